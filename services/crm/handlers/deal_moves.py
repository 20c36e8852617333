"""Moving a deal: by hand (manual mode) or by its stage tasks (business-process mode).

Every move writes one row of the stage history (from, to, when, by whom, time spent), which
the database refuses to update or delete, publishes its event, calls off the stall timers of
the stage left and sets those of the stage entered. In the business-process mode entering a
stage gives its performer a task through the task loop, due after the stage's standard
duration; completing it moves the deal on (services/crm/handlers/outcomes.py calls
:func:`stage_task_completed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.deals import Deal, DealKind, DealStage, DealStageChange
from services.crm.adapters.orm import Employee, Partner, RefusalReason
from services.crm.adapters.work import Task
from services.crm.analytics.domain import kinds
from services.crm.analytics.handlers import deal_recorder, recorder
from services.crm.domain import deals as rules
from services.crm.domain.errors import Conflict
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import deal_kinds, deals, reminders
from services.crm.handlers.common import referenced
from services.crm.handlers.tasks import open_task
from shared.contracts import CRM, SCHEDULER
from shared.db import utcnow
from shared.i18n import _, translate
from shared.messages import (
    CancelTimer,
    DealCancelled,
    DealLost,
    DealStageChanged,
    DealWon,
    ScheduleTimer,
)

CLOSING_EVENTS = {rules.WON: DealWon, rules.LOST: DealLost, rules.CANCELLED: DealCancelled}
STAGE_TASK_TITLE = _("Deal {deal}: {stage}")
STALLED = _("Deal {deal} has been standing in the stage {stage} too long")
STALLED_HEAD = _("Deal {deal} of {manager} is still stalled in the stage {stage}")


@dataclass(frozen=True)
class StallPolicy:
    """When an open deal counts as stalled beyond its stage's duration, and when the head hears."""

    quiet_days: float = 14.0
    escalate_seconds: int = 86400


def enter_first_stage(
    session: Session, actor: Actor | None, deal: Deal, policy: StallPolicy | None = None
) -> None:
    kind = session.get(DealKind, deal.kind_id)
    first = deal_kinds.rule_of(session, kind).first()
    _enter(session, deal, session.get(DealStage, first.id), rules.IN_PROGRESS, actor, policy)


def start(session: Session, actor: Actor, deal_id: int, policy: StallPolicy) -> Deal:
    """Post a business-process deal: the process starts in the first stage, with its task."""
    deal = deals.load_for_change(session, actor, deal_id)
    kind = session.get(DealKind, deal.kind_id)
    if kind.mode != rules.PROCESS:
        raise Conflict(_("only a business-process deal is posted"))
    if deal.posted_at is not None or deal.state != rules.IN_PROGRESS:
        raise Conflict(_("the deal is already posted"))
    deal.posted_at = utcnow()
    enter_first_stage(session, actor, deal, policy)
    return deal


def move(
    session: Session, actor: Actor, deal_id: int, fields: dict[str, Any], policy: StallPolicy
) -> Deal:
    """A manual move to a stage (by its code) or to won/lost/cancelled.

    Cancelling is also how a business-process deal is stopped; its open stage task ends.
    """
    deal = deals.load_for_change(session, actor, deal_id)
    kind = session.get(DealKind, deal.kind_id)
    target = fields["to"]
    if kind.mode == rules.PROCESS and target != rules.CANCELLED:
        raise rules.MoveNotAllowed(target, [rules.CANCELLED] if deal.posted_at else [])
    if deal.stage_id is None:
        if target != rules.CANCELLED or deal.state != rules.IN_PROGRESS:
            raise Conflict(_("the deal is not posted yet"))
        _enter(session, deal, None, rules.CANCELLED, actor, policy)  # dropped before posting
        return deal
    rule = deal_kinds.rule_of(session, kind)
    rules.check_move(rule, deal.state, deal.stage_id, target)
    _transition(session, actor, deal, rule, target, fields, policy)
    return deal


def _transition(
    session: Session,
    actor: Actor | None,
    deal: Deal,
    rule: rules.KindRule,
    target: str,
    fields: dict[str, Any],
    policy: StallPolicy | None,
) -> None:
    """Leave the current stage for ``target`` (a stage code or a closing state)."""
    if target not in (rules.LOST, rules.CANCELLED):
        stage = rule.stages[rule.index(deal.stage_id)]
        rules.check_leave(stage.required, deals.filled(session, deal))
    if target == rules.LOST:
        rules.check_lost(fields.get("lost_reason_id"))
        referenced(session, RefusalReason, fields["lost_reason_id"], "lost_reason_id", "reason")
        referenced(session, Partner, fields.get("competitor_id"), "competitor_id", "partner")
        deal.lost_reason_id = fields["lost_reason_id"]
        deal.competitor_id = fields.get("competitor_id")
    if fields.get("comment"):
        deal.comment = fields["comment"]
    if rules.is_closing(target):
        _enter(session, deal, None, target, actor, policy)
    else:
        to = next(s for s in rule.stages if s.code == target)
        _enter(session, deal, session.get(DealStage, to.id), rules.IN_PROGRESS, actor, policy)


def _enter(
    session: Session,
    deal: Deal,
    stage: DealStage | None,
    state: str,
    actor: Actor | None,
    policy: StallPolicy | None,
) -> None:
    """Write the history row, move the deal, publish, and re-plan stall timers and stage tasks."""
    now = utcnow()
    from_stage_id = deal.stage_id
    stood = deal_recorder.standing(session, deal)
    spent = rules.time_spent(deal.stage_entered_at, now)
    change = DealStageChange(
        deal_id=deal.id,
        from_stage_id=from_stage_id,
        to_stage_id=stage.id if stage else None,
        to_state=state,
        changed_at=now,
        changed_by_id=actor.id if actor else None,
        responsible_id=deal.responsible_id,
        seconds_spent=spent,
    )
    session.add(change)
    _end_stage_tasks(session, deal)
    _call_off_stall(session, deal)
    deal.state = state
    if stage is not None:
        deal.stage_id, deal.stage_entered_at, deal.probability = stage.id, now, stage.probability
    else:
        deal.closed_at = now
        deal.probability = 100 if state == rules.WON else 0
    deal.stall_reminded_at = deal.stall_escalated_at = None
    session.flush()
    deal_recorder.moved(session, deal, change)
    deal_recorder.restand(session, stood, deal)
    common = {
        "deal_id": deal.id,
        "kind_id": deal.kind_id,
        "responsible_id": deal.responsible_id,
        "changed_by_id": change.changed_by_id,
        "change_id": change.id,
        "seconds_spent": spent,
    }
    if stage is not None:
        outbox.record(
            session,
            "deal",
            deal.id,
            DealStageChanged(
                **common, from_stage_id=from_stage_id, to_stage_id=stage.id, changed_at=now
            ),
        )
        _plan_stall(session, deal, stage, policy or StallPolicy())
        if session.get(DealKind, deal.kind_id).mode == rules.PROCESS:
            _open_stage_task(session, deal, stage, now)
        return
    closing = {
        **common,
        "stage_id": from_stage_id,
        "amount": deal.amount,
        "currency": deal.currency,
        "closed_at": now,
    }
    if state == rules.LOST:
        closing |= {"lost_reason_id": deal.lost_reason_id, "competitor_id": deal.competitor_id}
        # The lost analysis counts it in the same transaction (services/crm/analytics).
        recorder.lost(
            session,
            at=now,
            process_kind=kinds.DEALS,
            stage=session.get(DealStage, from_stage_id).code,
            reason_id=deal.lost_reason_id,
            manager_id=deal.responsible_id,
            competitor_id=deal.competitor_id,
            amount=deal.amount,
        )
    outbox.record(session, "deal", deal.id, CLOSING_EVENTS[state](**closing))


def head_of(session: Session, manager_id: int) -> int | None:
    """The head of sales of the manager's department, if it has one."""
    manager = session.get(Employee, manager_id)
    return session.scalar(
        select(Employee.id)
        .where(
            Employee.role == Role.HEAD_OF_SALES,
            Employee.active.is_(True),
            Employee.department == manager.department,
            Employee.department.is_not(None),
        )
        .order_by(Employee.id)
    )


def performer_of(session: Session, deal: Deal, stage: DealStage) -> int:
    """The stage's performer: the responsible manager, or the head of their department."""
    if stage.performer == "head":
        return head_of(session, deal.responsible_id) or deal.responsible_id
    return deal.responsible_id


def _open_stage_task(session: Session, deal: Deal, stage: DealStage, now: datetime) -> None:
    assignee = session.get(Employee, performer_of(session, deal, stage))
    title = translate(assignee.locale, STAGE_TASK_TITLE, deal=deal.name, stage=stage.name)
    open_task(
        session,
        Task(
            key=f"deal:{deal.id}:stage:{stage.id}:{now.timestamp()}",
            kind="deal_stage",
            title=title[:300],
            description=stage.deliverable,
            assignee_id=assignee.id,
            due_at=now + timedelta(days=stage.duration_days),
            deal_id=deal.id,
            deal_stage_id=stage.id,
            details={"deal_id": deal.id, "stage": stage.code},
        ),
    )


def _end_stage_tasks(session: Session, deal: Deal) -> None:
    """Stage tasks still open when the deal moves otherwise (cancelled by hand) end with it."""
    from services.crm.handlers.tasks import closed

    for task in session.scalars(
        select(Task).where(Task.deal_id == deal.id, Task.state == "open").with_for_update()
    ):
        task.state, task.completed_at = "cancelled", utcnow()
        recorder.task_cancelled(session, task)
        closed(session, "task", task.id, "cancelled")


def stage_task_completed(session: Session, actor: Actor, task: Task, outcome: str, fields) -> None:
    """A stage task done: the deal goes to the next stage, or is won after the last; or lost."""
    deal = session.get(Deal, task.deal_id, with_for_update=True)
    if deal is None or deal.state != rules.IN_PROGRESS or deal.stage_id != task.deal_stage_id:
        return  # the deal moved on meanwhile: the task's result stays on the task
    rule = deal_kinds.rule_of(session, session.get(DealKind, deal.kind_id))
    if outcome == "lost":
        target = rules.LOST
    else:
        after = rule.following(deal.stage_id)
        target = after.code if after else rules.WON
    _transition(session, actor, deal, rule, target, fields, None)


def history(session: Session, actor: Actor, deal_id: int) -> list[DealStageChange]:
    deals.load(session, actor, deal_id)
    return list(
        session.scalars(
            select(DealStageChange)
            .where(DealStageChange.deal_id == deal_id)
            .order_by(DealStageChange.id)
        )
    )


# ---- stalls ------------------------------------------------------------------------------


def _stall_keys(deal_id: int) -> tuple[str, ...]:
    return (f"deal_stall:{deal_id}", f"deal_quiet:{deal_id}", f"deal_stall_head:{deal_id}")


def _call_off_stall(session: Session, deal: Deal) -> None:
    if deal.stage_id is None:
        return
    for key in _stall_keys(deal.id):
        outbox.record(session, "deal", deal.id, CancelTimer(key=key), queue=SCHEDULER)


def _timer(session: Session, deal: Deal, key: str, fire_at: datetime, payload: dict) -> None:
    timer = ScheduleTimer(key=key, fire_at=fire_at, reply_to=CRM, payload=payload)
    outbox.record(session, "deal", deal.id, timer, queue=SCHEDULER)


def _plan_stall(session: Session, deal: Deal, stage: DealStage, policy: StallPolicy) -> None:
    """Timers at the end of the stage's standard duration and after the quiet days."""
    payload = {
        "kind": "deal_stalled",
        "deal_id": deal.id,
        "entered_at": deal.stage_entered_at.isoformat(),
        "escalate_seconds": policy.escalate_seconds,
    }
    stall, quiet, _head = _stall_keys(deal.id)
    if stage.duration_days > 0:
        _timer(
            session,
            deal,
            stall,
            deal.stage_entered_at + timedelta(days=stage.duration_days),
            payload,
        )
    if policy.quiet_days > 0:
        noticed = {**payload, "quiet": True}
        _timer(
            session, deal, quiet, deal.stage_entered_at + timedelta(days=policy.quiet_days), noticed
        )


def interaction_noticed(session: Session, deal: Deal, at: datetime, policy: StallPolicy) -> None:
    """An interaction about the deal: the quiet-days timer starts again from it."""
    if deal.state != rules.IN_PROGRESS or deal.stage_id is None or policy.quiet_days <= 0:
        return
    payload = {
        "kind": "deal_stalled",
        "deal_id": deal.id,
        "entered_at": deal.stage_entered_at.isoformat(),
        "escalate_seconds": policy.escalate_seconds,
        "quiet": True,
    }
    _timer(session, deal, _stall_keys(deal.id)[1], at + timedelta(days=policy.quiet_days), payload)


def _first_time(
    session: Session, payload: dict[str, Any], flag: str
) -> tuple[Deal, DealStage] | None:
    """The deal, locked, if it still stands where the timer was set and ``flag`` is not yet set;
    the flag is set then, so each stall reminder goes out once per stay in a stage."""
    deal = session.get(Deal, payload["deal_id"], with_for_update=True)
    if deal is None or deal.state != rules.IN_PROGRESS or deal.stage_entered_at is None:
        return None
    if deal.stage_entered_at.isoformat() != payload["entered_at"]:
        return None  # the deal moved since: its stall timers were called off or replaced
    if getattr(deal, flag) is not None:
        return None
    setattr(deal, flag, utcnow())
    return deal, session.get(DealStage, deal.stage_id)


def _remind(session: Session, deal: Deal, recipient_id: int, message: str, **params) -> None:
    text = reminders.written_for(session, recipient_id, message, deal=deal.name, **params)
    reminders.schedule(session, recipient_id, text, utcnow(), basis_kind="deal", basis_id=deal.id)


def stalled(session: Session, env: dict[str, Any], payload: dict[str, Any]) -> None:
    """A stall timer fired: the responsible manager is reminded, once per stage stay."""
    found = _first_time(session, payload, "stall_reminded_at")
    if found is None:
        return
    deal, stage = found
    _remind(session, deal, deal.responsible_id, STALLED, stage=stage.name)
    head_at = utcnow() + timedelta(seconds=payload.get("escalate_seconds", 86400))
    _timer(session, deal, _stall_keys(deal.id)[2], head_at, {**payload, "kind": "deal_stall_head"})


def stall_escalated(session: Session, env: dict[str, Any], payload: dict[str, Any]) -> None:
    """Still stalled after the further delay: the head of the manager's department is told, once."""
    found = _first_time(session, payload, "stall_escalated_at")
    if found is None:
        return
    deal, stage = found
    head = head_of(session, deal.responsible_id)
    if head is None or head == deal.responsible_id:
        return  # a department without a head: the manager has been reminded already
    manager = session.get(Employee, deal.responsible_id)
    _remind(session, deal, head, STALLED_HEAD, manager=manager.name, stage=stage.name)


reminders.register_basis("deal", Deal)
