"""Document 000: the classification of buyers by stages of relationship, and its runs.

A run puts every lead and counterparty in its stage of relationship, gives each
counterparty its ABC/XYZ class from the orders of the run's months, and assigns the status
the document's rules call for through the normal status assignment (so the scheduler
re-plans the calls). Each buyer gets a line with its old and new status. A status the
document assigns may move a buyer on to another stage (a given-up lead called again is a
prospect): the next run follows, and the runs settle once no rule changes a status. The nightly
``reclassify_buyers`` routine runs one; an admin requests one through the API (the CRM
worker carries it out).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import Employee
from services.crm.analytics.adapters.records import (
    ClassificationLine,
    ClassificationRule,
    ClassificationRun,
    RelationshipStrategy,
)
from services.crm.analytics.domain import classification as rules
from services.crm.analytics.domain.periods import Period, period
from services.crm.analytics.domain.scope import Scope
from services.crm.analytics.handlers.customers import classified
from services.crm.analytics.handlers.scope import Filters
from services.crm.domain.errors import Forbidden, Invalid, NotFound
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import subjects
from services.crm.handlers.buyers import Buyer, buyers
from services.crm.handlers.calls import with_subject
from services.crm.handlers.common import get, paginate
from shared.config import Settings
from shared.contracts import CRM
from shared.db import utcnow
from shared.i18n import translate
from shared.messages import RunClassification

log = logging.getLogger(__name__)

PENDING, DONE = "pending", "done"
PLURAL = {"lead": "leads", "counterparty": "counterparties"}


def request_run(
    session: Session, actor: Actor, start: date | None = None, end: date | None = None
) -> ClassificationRun:
    """An admin asks for a run: recorded now, carried out by the CRM worker."""
    if actor.role != Role.ADMIN:
        raise Forbidden("only admins start a classification of buyers")
    months = _period(start, end)
    run = ClassificationRun(
        trigger="request",
        requested_by_id=actor.id,
        state=PENDING,
        period_start=months.start,
        period_end=months.end,
    )
    session.add(run)
    session.flush()
    outbox.record(session, "classification", run.id, RunClassification(run_id=run.id), queue=CRM)
    return run


def _period(start: date | None, end: date | None) -> Period:
    """The months asked for; none asked: the twelve whole months before this one."""
    if start is None and end is None:
        return rules.default_period(utcnow().date())
    return period(start, end, utcnow().date())


def on_run_classification(
    session: Session, env: dict[str, Any], command: RunClassification, settings: Settings
) -> None:
    """RunClassification: carry out a requested run, once."""
    run = session.get(ClassificationRun, command.run_id, with_for_update=True)
    if run is None:
        raise NotFound("classification run", command.run_id)
    if run.state == PENDING:
        requester = session.get(Employee, run.requested_by_id) if run.requested_by_id else None
        actor = (
            Actor(requester.id, Role(requester.role), requester.department) if requester else None
        )
        carry_out(session, run, actor, settings)


def run_routine(session: Session, keep_runs: int, settings: Settings) -> dict[str, Any]:
    """The reclassify_buyers routine: a run over the default months; old runs' lines go."""
    months = _period(None, None)
    run = ClassificationRun(
        trigger="routine", state=PENDING, period_start=months.start, period_end=months.end
    )
    session.add(run)
    session.flush()
    carry_out(session, run, None, settings)
    _forget_lines(session, keep_runs)
    return run.counts


def carry_out(
    session: Session, run: ClassificationRun, actor: Actor | None, settings: Settings
) -> None:
    """Classify every buyer, apply the statuses, write the lines; the run is done."""
    now = utcnow()
    classes = _classes(session, Period(run.period_start, run.period_end))
    by_stage = {
        (r.stage, r.abc_class): r.status_id for r in session.scalars(select(ClassificationRule))
    }
    by_class = {s.abc_class: s.status_id for s in session.scalars(select(RelationshipStrategy))}
    counts: Counter[str] = Counter()
    for kind in ("lead", "counterparty"):
        for batch in buyers(session, kind, now):
            lines = []
            for buyer in batch:
                if buyer.converted:
                    continue  # its counterparty carries the relationship on
                abc, xyz = (
                    classes.get(buyer.id, (None, None)) if kind == "counterparty" else (None, None)
                )
                stage = buyer.stage.value if buyer.stage else None
                status = rules.status_for(stage, abc, by_stage, by_class)
                line = _apply(session, run, actor, buyer, stage, abc, status, settings)
                lines.append({**line, "xyz_class": xyz})
                counts.update((PLURAL[kind], f"stage:{stage}", f"class:{abc or '-'}"))
                counts["changed"] += line["changed"]
            if lines:
                session.execute(insert(ClassificationLine), lines)
    run.counts, run.state, run.finished_at = dict(counts), DONE, utcnow()
    log.info("buyers classified", extra={"run_id": run.id, **run.counts})


def _apply(
    session: Session,
    run: ClassificationRun,
    actor: Actor | None,
    buyer: Buyer,
    stage: str | None,
    abc: str | None,
    status_id: int | None,
    settings: Settings,
) -> dict[str, Any]:
    line = {
        "run_id": run.id,
        "subject_kind": buyer.kind,
        "subject_id": buyer.id,
        "stage": stage,
        "abc_class": abc,
        "old_status_id": buyer.status_id,
        "new_status_id": buyer.status_id,
        "changed": False,
        "note": None,
    }
    if status_id is None or status_id == buyer.status_id:
        return line
    if buyer.archived:
        return {**line, "note": translate(None, rules.ARCHIVED)}
    reason = translate(None, rules.REASON, number=run.id, stage=stage, abc=abc or "-")
    try:
        with session.begin_nested():
            subjects.assign_status(
                session, actor, buyer.kind, buyer.id, status_id, reason, settings=settings
            )
    except Invalid as refused:
        # A rule's status that does not apply to this kind of buyer: listed, not applied.
        return {**line, "note": refused.reason[:300]}
    return {**line, "new_status_id": status_id, "changed": True}


def _classes(session: Session, months: Period) -> dict[int, tuple[str, str]]:
    """Every counterparty's ABC and XYZ class over the months, company-wide."""
    sql, params = classified(Filters(months, None, Scope(), None))
    found = session.execute(text(sql + " SELECT counterparty_id, abc, xyz FROM final"), params)
    return {row.counterparty_id: (row.abc, row.xyz) for row in found}


def _forget_lines(session: Session, keep_runs: int) -> None:
    """Lines of all but the latest ``keep_runs`` runs are deleted; the runs and counts stay."""
    latest = select(ClassificationRun.id).order_by(ClassificationRun.id.desc()).limit(keep_runs)
    oldest_kept = select(func.min(latest.subquery().c.id)).scalar_subquery()
    session.execute(delete(ClassificationLine).where(ClassificationLine.run_id < oldest_kept))


def list_runs(session: Session, actor: Actor, *, page: int, page_size: int):
    _check_reader(actor)
    stmt = select(ClassificationRun).order_by(ClassificationRun.id.desc())
    return paginate(session, stmt, page, page_size)


def load_run(session: Session, actor: Actor, run_id: int) -> ClassificationRun:
    _check_reader(actor)
    return get(session, ClassificationRun, run_id, "classification run")


def list_lines(
    session: Session, actor: Actor, run_id: int, *, page: int, page_size: int, **equal: Any
) -> tuple[list[dict[str, Any]], int]:
    """The run's buyers with their names, leads first, then counterparties, by id."""
    load_run(session, actor, run_id)
    stmt = with_subject(
        select(ClassificationLine), ClassificationLine.subject_kind, ClassificationLine.subject_id
    ).where(ClassificationLine.run_id == run_id)
    for name, value in equal.items():
        if value is not None:
            stmt = stmt.where(getattr(ClassificationLine, name) == value)
    stmt = stmt.order_by(ClassificationLine.subject_kind.desc(), ClassificationLine.subject_id)
    rows, total = paginate(session, stmt, page, page_size, rows=True)
    columns = ClassificationLine.__table__.c
    return [
        {**{c.key: getattr(line, c.key) for c in columns}, "name": name} for line, name, _ in rows
    ], total


def _check_reader(actor: Actor) -> None:
    if actor.role not in (Role.ADMIN, Role.HEAD_OF_SALES):
        raise Forbidden("the classification of buyers is read by admins and heads of sales")
