"""E-mail to the sales address: logged for the customer who wrote, or registered.

The receiving endpoint (entrypoints/mail.py) hands each message over whole. The sender is
matched by address to a lead or to a counterparty's contact person: the message becomes
an incoming e-mail interaction of that customer, its attachments kept as files, and the
responsible manager is told. A sender nobody knows starts a registration of the inbound
sales process for the secretaries (document 002 registers calls and e-mails alike). A
message delivered twice (same Message-ID) is kept once.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.crm.adapters.orm import ContactPerson, Counterparty, Employee, Lead
from services.crm.adapters.work import Interaction
from services.crm.handlers import files, inbox, instances, interactions, processes, subjects
from shared.db import utcnow
from shared.i18n import _

BODY_LIMIT = 100_000  # characters of the text kept as the interaction's content


def receive(session: Session, raw: bytes, envelope_from: str | None) -> Interaction:
    """Log one received message; returns the interaction (or registration) it became."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    external_id = f"email:{_message_id(message, raw)}"[:300]
    known = session.scalar(select(Interaction).where(Interaction.external_id == external_id))
    if known is not None:
        return known
    name, address = _sender(message, envelope_from)
    topic = str(message.get("Subject") or "").strip()[:300] or None
    content = _text(message)
    attachments = [
        files.store(
            session, part.get_filename() or "attachment", part.get_content_type(), _bytes(part)
        )
        for part in message.iter_attachments()
    ]
    subject = _customer(session, address)
    if subject is None:
        doc = _register(session, name, address, topic, content, attachments)
    else:
        doc = _log(session, subject, name, address, topic, content, attachments, _sent_at(message))
    doc.external_id = external_id
    session.flush()
    return doc


def _message_id(message: EmailMessage, raw: bytes) -> str:
    given = str(message.get("Message-ID") or "").strip()
    return given or "sha256:" + hashlib.sha256(raw).hexdigest()


def _sender(message: EmailMessage, envelope_from: str | None) -> tuple[str, str]:
    pairs = getaddresses([str(message.get("From") or "")])
    name, address = pairs[0] if pairs and pairs[0][1] else ("", envelope_from or "")
    return name.strip()[:300], address.strip().lower()[:320]


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return part.get_content()[:BODY_LIMIT]
    except (LookupError, UnicodeError):
        # A leaf part decoded: bytes (typeshed also lists what a multipart part would give).
        return part.get_payload(decode=True).decode("utf-8", "replace")[:BODY_LIMIT]  # type: ignore[union-attr]


def _bytes(part: EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else str(part.get_payload()).encode()


def _sent_at(message: EmailMessage):
    try:
        sent = parsedate_to_datetime(str(message.get("Date")))
    except (TypeError, ValueError):
        return utcnow()
    return sent if sent.tzinfo else utcnow()


def _customer(session: Session, address: str) -> tuple[str, int, int | None] | None:
    """(kind, id, contact person) of the customer writing from ``address``, if one is known."""
    if not address:
        return None
    # Addresses are kept as typed: compare them lower-cased.
    has = "EXISTS (SELECT 1 FROM unnest({table}.emails) AS e WHERE lower(e) = :address)"
    lead = session.scalar(
        select(Lead.id).where(text(has.format(table="crm.leads"))).order_by(Lead.id),
        {"address": address},
    )
    if lead is not None:
        return (*subjects.successor(session, "lead", lead), None)
    row = session.execute(
        select(ContactPerson.id, Counterparty.id)
        .join(Counterparty, Counterparty.partner_id == ContactPerson.partner_id)
        .where(text(has.format(table="crm.contact_persons")), Counterparty.archived.is_(False))
        .order_by(ContactPerson.id, Counterparty.id)
        .limit(1),
        {"address": address},
    ).first()
    return ("counterparty", row[1], row[0]) if row else None


def _log(session, subject, name, address, topic, content, attachments, sent_at) -> Interaction:
    kind, subject_id, person = subject
    customer = subjects.load(session, kind, subject_id)
    doc = Interaction(
        kind="email",
        direction="incoming",
        topic=topic,
        subject_kind=kind,
        subject_id=subject_id,
        contacts=[{"contact_person_id": person, "presentation": name or address, "email": address}],
        content=content,
        attachments=attachments,
        responsible_id=customer.responsible_id,
        state="completed",
        started_at=sent_at,
        ended_at=sent_at,
    )
    session.add(doc)
    session.flush()
    manager = session.get(Employee, customer.responsible_id) if customer.responsible_id else None
    if manager is not None:
        inbox.tell(
            session,
            f"email:{doc.id}",
            manager,
            _("E-mail from {customer}: {topic}"),
            customer=customer.name,
            topic=topic or "",
        )
    interactions.recorded(session, doc, utcnow())
    return doc


def _register(session, name, address, topic, content, attachments) -> Interaction:
    fields: dict[str, Any] = {
        "kind": "email",
        "contacts": [{"presentation": name or address, "email": address}],
        "content": "\n\n".join(filter(None, (topic, content))),
        "attachments": attachments,
    }
    instance = processes.start(session, None, fields)
    doc = instances.current_document(session, instance)
    assert isinstance(doc, Interaction)  # the process an e-mail starts is at its e-mail
    interactions.recorded(session, doc, utcnow())
    return doc
