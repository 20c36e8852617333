"""Files kept in PostgreSQL (attachments of received e-mails): stored with a checksum,
described without their bytes, read whole only when asked for."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters.telephony import StoredFile
from services.crm.adapters.work import Interaction
from services.crm.domain.access import may_read_customer, require_read
from services.crm.domain.process import FRONT_OFFICE
from services.crm.domain.roles import Actor
from services.crm.handlers import subjects
from services.crm.handlers.common import get
from services.crm.handlers.ownership import owner_of


@dataclass(frozen=True)
class Upload:
    """A file as a person uploaded it, already read within the size limit."""

    name: str
    content_type: str
    data: bytes


# Who may read files other records hold: reader(session, actor, file_id) -> True/False, or
# None when the file is not one of that record's.
FileReader = Callable[[Session, Actor, int], bool | None]
READERS: list[FileReader] = []


def register_reader(reader: FileReader) -> None:
    """Let another kind of record (a deal, a deal kind's instruction) hold files."""
    READERS.append(reader)


def store(session: Session, name: str, content_type: str, data: bytes) -> dict[str, Any]:
    """Keep a file; returns the attachment row that documents carry."""
    stored = StoredFile(
        name=name[:300] or "attachment",
        content_type=content_type[:200],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    session.add(stored)
    session.flush()
    return {
        "name": stored.name,
        "content_type": stored.content_type,
        "size": stored.size,
        "file_id": stored.id,
        "url": None,
    }


def load(session: Session, actor: Actor, file_id: int) -> StoredFile:
    """A file, for whoever may read the customer whose e-mail brought it (the front office
    for a registration's); 404 otherwise, as if there were none."""
    stored = get(session, StoredFile, file_id, "file")
    for reader in READERS:
        allowed = reader(session, actor, stored.id)
        if allowed is not None:
            require_read(allowed, "file", file_id)
            return stored
    doc = session.scalars(
        select(Interaction).where(Interaction.attachments.contains([{"file_id": stored.id}]))
    ).first()
    if doc is not None and doc.subject_kind is not None:
        customer = subjects.load(session, doc.subject_kind, doc.subject_id)
        allowed = may_read_customer(actor, owner_of(session, customer.responsible_id))
    else:
        allowed = actor.role in FRONT_OFFICE
    require_read(allowed, "file", file_id)
    return stored
