"""Reading process instances: the list, one instance with its steps, and per-kind statistics."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from services.crm.adapters.orm import RefusalReason
from services.crm.adapters.sales import Order, ProcessInstance, ProcessStep
from services.crm.adapters.work import Interaction, Task
from services.crm.domain import process as rules
from services.crm.handlers import instances
from services.crm.handlers.common import paginate

DOCUMENTS = {"interaction": Interaction, "order": Order, "task": Task}


def list_processes(
    session: Session, *, page: int, page_size: int, **equal: Any
) -> tuple[list[ProcessInstance], int]:
    stmt = select(ProcessInstance).order_by(ProcessInstance.id.desc())
    for name, value in equal.items():
        if value is not None:
            stmt = stmt.where(getattr(ProcessInstance, name) == value)
    return paginate(session, stmt, page, page_size)


def view(session: Session, process_id: int) -> dict[str, Any]:
    """An instance with its steps (document, who, when, outcome) and what may follow now."""
    instance = instances.load(session, process_id)
    definition = rules.definition(instance.kind)
    current = instances.current_document(session, instance)
    return {
        **{column.key: getattr(instance, column.key) for column in ProcessInstance.__table__.c},
        "title": definition.title,
        "steps": [_step(session, definition, row) for row in instances.steps(session, instance.id)],
        "current_document": _ref(current),
        "allowed_next": rules.allowed_now(
            definition, instance.state, instance.current_step, instances.is_open(current)
        ),
    }


def _ref(document: Interaction | Order | None) -> dict[str, Any] | None:
    if document is None:
        return None
    kind = "order" if isinstance(document, Order) else "interaction"
    return {"kind": kind, "id": document.id}


def _step(session: Session, definition: rules.ProcessDef, row: ProcessStep) -> dict[str, Any]:
    document = None
    if row.document_kind is not None:
        document = session.get(DOCUMENTS[row.document_kind], row.document_id)
    return {
        "id": row.id,
        "step": row.step,
        "title": definition.step(row.step).title,
        "kind": definition.step(row.step).kind,
        "document_kind": row.document_kind,
        "document_id": row.document_id,
        # A task's or document's own state: an assignment is closed on the task itself.
        "document_state": getattr(document, "state", None) or getattr(document, "status", None),
        "actor_id": row.actor_id,
        "responsible_id": row.responsible_id,
        "entered_at": row.entered_at,
        "completed_at": row.completed_at or getattr(document, "completed_at", None),
        "outcome": row.outcome or getattr(document, "outcome", None),
        "refusal_reason_id": row.refusal_reason_id,
    }


MEDIANS = text(
    """
    WITH main AS (
        SELECT s.process_id, s.step, s.entered_at,
               lag(s.step) OVER w AS previous_step, lag(s.entered_at) OVER w AS previous_at
        FROM crm.process_steps s JOIN crm.process_instances p ON p.id = s.process_id
        WHERE p.kind = :kind AND s.step = ANY(:steps)
        WINDOW w AS (PARTITION BY s.process_id ORDER BY s.entered_at, s.id)
    )
    SELECT previous_step, step, count(*) AS transitions,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM entered_at - previous_at)
           ) AS median_seconds
    FROM main WHERE previous_step IS NOT NULL
    GROUP BY previous_step, step ORDER BY previous_step, step
    """
)


def statistics(session: Session, kind: str) -> dict[str, Any]:
    """How many instances reach each step, median time between steps, refusal reasons."""
    definition = rules.definition(kind)
    states = dict(
        session.execute(
            select(ProcessInstance.state, func.count())
            .where(ProcessInstance.kind == kind)
            .group_by(ProcessInstance.state)
        ).all()
    )
    reached = dict(
        session.execute(
            select(ProcessStep.step, func.count(ProcessStep.process_id.distinct()))
            .join(ProcessInstance, ProcessInstance.id == ProcessStep.process_id)
            .where(ProcessInstance.kind == kind)
            .group_by(ProcessStep.step)
        ).all()
    )
    # Side steps (an assignment, an approval) happen beside the path, not on it.
    on_path = [s.name for s in definition.steps if s.kind != rules.SIDE]
    medians = session.execute(MEDIANS, {"kind": kind, "steps": on_path}).all()
    refused_from = _refused_from()
    refusals = session.execute(
        select(RefusalReason.id, RefusalReason.name, refused_from.c.step, func.count())
        .select_from(ProcessInstance)
        .join(RefusalReason, RefusalReason.id == ProcessInstance.refusal_reason_id)
        .join(refused_from, refused_from.c.process_id == ProcessInstance.id)
        .where(ProcessInstance.kind == kind)
        .group_by(RefusalReason.id, RefusalReason.name, refused_from.c.step)
        .order_by(func.count().desc(), RefusalReason.id)
    ).all()
    return {
        "kind": kind,
        "started": sum(states.values()),
        "by_state": {state: states.get(state, 0) for state in rules.STATES},
        "reached": [
            {"step": s.name, "instances": reached.get(s.name, 0)} for s in definition.steps
        ],
        "median_between_steps": [
            {
                "from": m.previous_step,
                "to": m.step,
                "transitions": m.transitions,
                "median_seconds": round(m.median_seconds, 3),
            }
            for m in medians
        ],
        "refusal_reasons": [
            {"refusal_reason_id": r[0], "name": r[1], "refused_at_step": r[2], "count": r[3]}
            for r in refusals
        ],
    }


def _refused_from():
    """Per refused instance, the main step it was at when the client refused."""
    ranked = (
        select(
            ProcessStep.process_id,
            ProcessStep.step,
            func.row_number()
            .over(partition_by=ProcessStep.process_id, order_by=ProcessStep.id.desc())
            .label("n"),
        )
        .where(ProcessStep.step.not_in(("refusal", *_side_steps())))
        .subquery()
    )
    return select(ranked.c.process_id, ranked.c.step).where(ranked.c.n == 1).subquery()


def _side_steps() -> list[str]:
    return [s.name for p in rules.PROCESSES.values() for s in p.steps if s.kind == rules.SIDE]
