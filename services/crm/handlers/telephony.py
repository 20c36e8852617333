"""Calls from the virtual telephone exchange: logged, matched, offered, or registered.

On the first event of a call the numbers are matched (E.164, handlers/phones.py): the
extension or number to an employee, the other side to a lead or a counterparty (through
its contact persons). A customer's call is logged as an interaction; when it ends, its
open call task (the calling loop's) is offered to the manager for the outcome. A call
from an unknown number starts a registration of the inbound sales process for whoever
answered (the secretary). Every event is idempotent: the exchange may send one twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.crm.adapters.orm import ContactPerson, Counterparty, Employee
from services.crm.adapters.telephony import PhoneCall
from services.crm.adapters.work import Interaction, Task
from services.crm.domain import telephony as rules
from services.crm.domain.calls import OVERSEERS
from services.crm.domain.errors import Forbidden
from services.crm.domain.phones import e164
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import inbox, interactions, phones, processes, subjects
from services.crm.handlers.common import paginate
from shared.db import utcnow
from shared.i18n import _


def receive(session: Session, event: rules.CallEvent, region: str) -> PhoneCall:
    """Apply one event of a call: the log row, and on the first one what the call is about.

    ``region`` is the configured ``PHONE_REGION`` of numbers written without a country code.
    """
    at = event.at or utcnow()
    session.execute(
        insert(PhoneCall)
        .values(
            exchange=event.exchange,
            call_id=event.call_id,
            direction=event.direction,
            state=rules.RINGING,
            started_at=at,
        )
        .on_conflict_do_nothing(index_elements=["exchange", "call_id"])
    )
    call = session.scalars(
        select(PhoneCall)
        .where(PhoneCall.exchange == event.exchange, PhoneCall.call_id == event.call_id)
        .with_for_update()
    ).one()
    first = call.interaction_id is None and call.process_id is None
    _note(session, call, event, at, region)
    if first:
        _match(session, call)
        _log(session, call)
    elif call.process_id is not None and call.employee_id is not None:
        _answered_by(session, call)
    if call.state in (rules.FINISHED, rules.MISSED):
        _ended(session, call)
    return call


def _note(session: Session, call: PhoneCall, event: rules.CallEvent, at, region: str) -> None:
    """What this event adds; what is known already stays (a late or repeated event)."""
    call.external_number = call.external_number or e164(event.external_number, region)
    call.line_number = call.line_number or event.line_number
    call.extension = call.extension or event.extension
    call.started_at = min(call.started_at, at) if event.event == rules.STARTED else call.started_at
    if event.event == rules.ANSWERED and call.answered_at is None:
        call.answered_at = at
    if event.event == rules.ENDED and call.ended_at is None:
        call.ended_at = at
        call.duration_seconds = event.duration_seconds
    call.recording_url = call.recording_url or event.recording_url
    call.state = rules.state_after(call.state, event)
    if call.employee_id is None and call.extension:
        call.employee_id = session.scalar(
            select(Employee.id).where(Employee.extension == call.extension)
        )


def _match(session: Session, call: PhoneCall) -> None:
    """Who the other side is: a lead, or a counterparty through its contact persons."""
    for kind, owner_id in phones.owners(session, call.external_number or ""):
        if kind == "employee":
            continue  # a colleague calling from their own phone: not a customer
        if kind == "lead":
            call.subject_kind, call.subject_id = subjects.successor(session, "lead", owner_id)
            return
        person = session.get(ContactPerson, owner_id)
        counterparty = session.scalar(
            select(Counterparty.id)
            .where(Counterparty.partner_id == person.partner_id, Counterparty.archived.is_(False))
            .order_by(Counterparty.id)
            .limit(1)
        )
        if counterparty is not None:
            call.subject_kind, call.subject_id = "counterparty", counterparty
            call.contact_person_id = person.id
            return


def _log(session: Session, call: PhoneCall) -> None:
    """A customer's call becomes an interaction; an unknown caller's, a registration."""
    if call.subject_kind is not None:
        doc = Interaction(
            external_id=f"call:{call.exchange}:{call.call_id}",
            kind="call",
            direction=call.direction,
            topic=None,
            subject_kind=call.subject_kind,
            subject_id=call.subject_id,
            contacts=[_contact_row(call)],
            responsible_id=call.employee_id,
            state="in_progress",
            started_at=call.started_at,
        )
        session.add(doc)
        session.flush()
        call.interaction_id = doc.id
    elif call.direction == rules.INCOMING and call.external_number:
        instance = processes.start(
            session,
            None,
            {"kind": "call", "contacts": [_contact_row(call)], "responsible_id": call.employee_id},
        )
        call.process_id = instance.id


def _answered_by(session: Session, call: PhoneCall) -> None:
    """The registration an unknown caller started is the employee's who answered."""
    registration = session.scalars(
        select(Interaction).where(
            Interaction.process_id == call.process_id,
            Interaction.step == "registration",
            Interaction.responsible_id.is_(None),
        )
    ).first()
    if registration is not None:
        registration.responsible_id = call.employee_id


def _contact_row(call: PhoneCall) -> dict[str, Any]:
    return {
        "contact_person_id": call.contact_person_id,
        "presentation": call.external_number,
        "phone": call.external_number,
        "email": None,
    }


def _ended(session: Session, call: PhoneCall) -> None:
    """The call is over: its interaction completes, and its open call task is offered."""
    doc = session.get(Interaction, call.interaction_id) if call.interaction_id else None
    if doc is None or doc.state == "completed":
        return
    doc.state, doc.ended_at = "completed", call.ended_at
    doc.responsible_id = doc.responsible_id or call.employee_id
    if call.state == rules.MISSED:
        doc.outcome = "missed"
    if call.recording_url:
        doc.attachments = [{"name": "recording", "url": call.recording_url}]
    task = _due_call(session, call)
    if task is not None and call.state == rules.FINISHED:
        call.offered_task_id = doc.task_id = task.id
        assignee = session.get(Employee, task.assignee_id)
        inbox.tell(
            session,
            f"call:{call.id}:offer:{task.id}",
            assignee,
            _("The call with {who} has ended: record its outcome in the task {title}"),
            task_id=task.id,
            who=call.external_number or "",
            title=task.title,
        )
    interactions.recorded(session, doc, call.ended_at or utcnow())


def _due_call(session: Session, call: PhoneCall) -> Task | None:
    """The customer's open call task: the calling loop's call this one may well be."""
    return session.scalars(
        select(Task)
        .where(
            Task.subject_kind == call.subject_kind,
            Task.subject_id == call.subject_id,
            Task.kind == "call",
            Task.state == "open",
        )
        .order_by(Task.due_at, Task.id)
        .limit(1)
    ).first()


def list_calls(
    session: Session,
    actor: Actor,
    *,
    page: int,
    page_size: int,
    employee_id: int | None = None,
    state: str | None = None,
    number: str | None = None,
    region: str,
) -> tuple[list[PhoneCall], int]:
    """The exchange's call log, newest first: a manager's own; everyone's for heads, admins
    and secretaries (who answer the company's lines)."""
    if actor.role is Role.MANAGER:
        if employee_id not in (None, actor.id):
            raise Forbidden("a manager sees only their own calls")
        employee_id = actor.id
    elif actor.role not in OVERSEERS | {Role.SECRETARY}:
        raise Forbidden(f"role {actor.role} has no calls panel")
    stmt = select(PhoneCall).order_by(PhoneCall.started_at.desc(), PhoneCall.id.desc())
    if employee_id is not None:
        stmt = stmt.where(PhoneCall.employee_id == employee_id)
    if state is not None:
        stmt = stmt.where(PhoneCall.state == state)
    if number is not None:
        stmt = stmt.where(PhoneCall.external_number == e164(number, region))
    return paginate(session, stmt, page, page_size)
