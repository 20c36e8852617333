"""Process instances and the steps they record: the bookkeeping under every sales document."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.sales import Order, ProcessInstance, ProcessStep
from services.crm.adapters.work import Interaction
from services.crm.domain import documents as doc_rules
from services.crm.domain import orders as order_rules
from services.crm.domain import process as rules
from services.crm.domain.errors import NotFound
from services.crm.domain.roles import Actor
from services.crm.handlers.common import INT_MAX, get
from shared.db import utcnow
from shared.messages import ProcessEnded, ProcessStarted, ProcessStepCompleted

T = TypeVar("T", bound=Any)


def start(session: Session, kind: str, actor: Actor | None) -> ProcessInstance:
    """A new instance; ``actor`` None: the system started it (an exchange or mailbox event)."""
    definition = rules.definition(kind)
    by = actor.id if actor else None
    instance = ProcessInstance(
        kind=kind, state=rules.ACTIVE, current_step=definition.start, started_by_id=by
    )
    session.add(instance)
    session.flush()
    session.refresh(instance, ["started_at"])
    outbox.record(
        session,
        "process",
        instance.id,
        ProcessStarted(
            process_id=instance.id, kind=kind, started_by_id=by, started_at=instance.started_at
        ),
    )
    return instance


def load(session: Session, process_id: int, *, lock: bool = False) -> ProcessInstance:
    return get(session, ProcessInstance, process_id, "process", lock=lock)


def lock_with(
    session: Session, model: type[T], document_id: int, what: str
) -> tuple[ProcessInstance, T]:
    """Lock a document's instance, then the document: always in this order, so two requests
    about one instance wait for each other instead of deadlocking."""
    process_id = None
    if 0 < document_id <= INT_MAX:
        process_id = session.scalar(select(model.process_id).where(model.id == document_id))
    if process_id is None:
        raise NotFound(what, document_id)  # an interaction of the calling loop is not one
    instance = load(session, process_id, lock=True)
    return instance, get(session, model, document_id, what, lock=True)


def record(
    session: Session,
    instance: ProcessInstance,
    step: str,
    document_kind: str | None,
    document_id: int | None,
    *,
    actor_id: int | None,
    responsible_id: int | None = None,
) -> ProcessStep:
    """Add a step to the instance; a main step becomes the current one."""
    row = ProcessStep(
        process_id=instance.id,
        step=step,
        document_kind=document_kind,
        document_id=document_id,
        actor_id=actor_id,
        responsible_id=responsible_id,
        entered_at=utcnow(),
    )
    session.add(row)
    if rules.definition(instance.kind).step(step).kind == rules.MAIN:
        instance.current_step = step
    session.flush()
    return row


def step_of(session: Session, document_kind: str, document_id: int, step: str) -> ProcessStep:
    return session.scalars(
        select(ProcessStep).where(
            ProcessStep.document_kind == document_kind,
            ProcessStep.document_id == document_id,
            ProcessStep.step == step,
        )
    ).one()


def mark_done(
    session: Session,
    document_kind: str,
    document_id: int,
    step: str,
    outcome: str,
    refusal_reason_id: int | None = None,
) -> None:
    row = step_of(session, document_kind, document_id, step)
    row.completed_at, row.outcome = utcnow(), outcome
    row.refusal_reason_id = refusal_reason_id
    instance = session.get(ProcessInstance, row.process_id)
    outbox.record(
        session,
        "process",
        instance.id,
        ProcessStepCompleted(
            process_id=instance.id,
            kind=instance.kind,
            step=step,
            document_kind=document_kind,
            document_id=document_id,
            outcome=outcome,
            completed_at=row.completed_at,
        ),
    )


def current_step_row(session: Session, instance: ProcessInstance) -> ProcessStep:
    return session.scalars(
        select(ProcessStep)
        .where(ProcessStep.process_id == instance.id, ProcessStep.step == instance.current_step)
        .order_by(ProcessStep.id.desc())
        .limit(1)
    ).one()


def steps(session: Session, process_id: int) -> list[ProcessStep]:
    return list(
        session.scalars(
            select(ProcessStep)
            .where(ProcessStep.process_id == process_id)
            .order_by(ProcessStep.entered_at, ProcessStep.id)
        )
    )


def finish(
    session: Session,
    instance: ProcessInstance,
    state: str,
    step: str,
    document: tuple[str | None, int | None],
    *,
    actor_id: int | None,
    responsible_id: int | None = None,
    refusal_reason_id: int | None = None,
) -> None:
    """Close the instance with its end step (routed to execution, or refused)."""
    row = record(
        session,
        instance,
        step,
        *document,
        actor_id=actor_id,
        responsible_id=responsible_id,
    )
    now = utcnow()
    row.completed_at, row.outcome, row.refusal_reason_id = now, state, refusal_reason_id
    instance.current_step, instance.state, instance.ended_at = step, state, now
    instance.refusal_reason_id = refusal_reason_id
    outbox.record(
        session,
        "process",
        instance.id,
        ProcessEnded(
            process_id=instance.id,
            kind=instance.kind,
            state=state,
            step=step,
            refusal_reason_id=refusal_reason_id,
            ended_at=now,
        ),
    )


def current_document(session: Session, instance: ProcessInstance) -> Interaction | Order | None:
    """The document of the instance's current step (None once the instance has ended)."""
    row = current_step_row(session, instance)
    models: dict[str, type[Interaction] | type[Order]] = {
        "interaction": Interaction,
        "order": Order,
    }
    model = models.get(row.document_kind or "")
    return session.get(model, row.document_id) if model else None


def is_open(document: Interaction | Order | None) -> bool:
    """Still being worked on: an interaction not completed, an order not posted."""
    if isinstance(document, Order):
        return document.status in order_rules.EDITABLE
    if isinstance(document, Interaction):
        return document.state in doc_rules.OPEN_STATES
    return False
