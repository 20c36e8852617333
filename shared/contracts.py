"""Message contracts: the envelope, one versioned marshmallow schema per message type.

This module is the integration surface of the system. Every event published to the
``crm.events`` exchange and every command sent between services is defined here once.
"""

from __future__ import annotations

import builtins
import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from shared.db import utcnow
from shared.i18n import DEFAULT_LOCALE, LOCALES, _
from shared.names import CHANNELS

SUBJECT_KINDS = ("lead", "counterparty")


class ContractError(ValueError):
    """A message does not match its contract; ``reason`` says which field and why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# Every instant the system accepts, from the API or in a message, lies in this window: a
# year 1 or 9999 overflows the arithmetic of the scheduler and the broker's timestamps.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
FIRST_DAY, LAST_DAY = EARLIEST.date(), LATEST.date()
OUT_OF_WINDOW = _("Must lie between 2000-01-01 and 2100-01-01 UTC.")


def within_window(moment: datetime) -> datetime:
    """``moment`` itself when it lies in EARLIEST..LATEST.

    Raises:
      marshmallow.ValidationError: outside the window (or too far out to convert to UTC).
    """
    try:
        inside = EARLIEST <= moment.astimezone(UTC) <= LATEST
    except (OverflowError, ValueError):
        inside = False
    if not inside:
        raise ma.ValidationError(OUT_OF_WINDOW)
    return moment


class AwareDateTime(fields.AwareDateTime):
    """An ISO-8601 instant that must carry its offset and lie in EARLIEST..LATEST."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> datetime:
        return within_window(super()._deserialize(value, attr, data, **kwargs))


class EnvelopeSchema(ma.Schema):
    message_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = AwareDateTime(required=True)
    data = fields.Dict(required=True)


class _Data(ma.Schema):
    class Meta:
        unknown = ma.RAISE


def SubjectKind(**kw: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(SUBJECT_KINDS), **kw)


def Id(**kw: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1), **kw)


class StatusAssignedV1(_Data):
    assignment_id = Id(required=True)
    subject_kind = SubjectKind(required=True)
    subject_id = Id(required=True)
    status_id = Id(required=True)
    status_name = fields.String(required=True)
    status_version = fields.Integer(strict=True, required=True)
    previous_status_id = Id(required=True, allow_none=True)
    generate_calls = fields.Boolean(required=True)
    call_interval_days = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))
    responsible_id = Id(required=True, allow_none=True)
    responsible_timezone = fields.String(required=True)
    # Whose working calendar the call lands in; absent from older messages: the company's.
    responsible_department = fields.String(load_default=None, allow_none=True)
    assigned_by_id = Id(required=True, allow_none=True)
    assigned_at = AwareDateTime(required=True)
    reason = fields.String(required=True, allow_none=True)


class InteractionStatusChangedV1(_Data):
    status_id = Id(required=True)
    name = fields.String(required=True)
    applies_to = fields.String(
        required=True, validate=validate.OneOf(("lead", "counterparty", "both"))
    )
    generate_calls = fields.Boolean(required=True)
    call_interval_days = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))
    active = fields.Boolean(required=True)
    version = fields.Integer(strict=True, required=True)


class SubjectRegisteredV1(_Data):
    subject_kind = SubjectKind(required=True)
    subject_id = Id(required=True)
    name = fields.String(required=True)
    responsible_id = Id(required=True, allow_none=True)
    partner_id = Id(load_default=None, allow_none=True)
    source = fields.String(load_default=None, allow_none=True)


class ResponsibleChangedV1(_Data):
    subject_kind = SubjectKind(required=True)
    subject_id = Id(required=True)
    responsible_id = Id(required=True, allow_none=True)
    responsible_timezone = fields.String(required=True)
    responsible_department = fields.String(load_default=None, allow_none=True)


class SubjectArchivedV1(_Data):
    subject_kind = SubjectKind(required=True)
    subject_id = Id(required=True)


class LeadConvertedV1(_Data):
    lead_id = Id(required=True)
    counterparty_id = Id(required=True)
    partner_id = Id(required=True)


class AssignStatusV1(_Data):
    """Command to the CRM worker: other systems assign a status by message."""

    subject_kind = SubjectKind(required=True)
    subject_id = Id(required=True)
    status_id = Id(required=True)
    reason = fields.String(load_default=None, allow_none=True)


class CallCompletedV1(_Data):
    """The CRM recorded a completed call with a subject; the next call is planned from it."""

    subject_kind = SubjectKind(required=True)
    subject_id = Id(required=True)
    completed_at = AwareDateTime(required=True)
    task_id = Id(load_default=None, allow_none=True)
    # What the call came to (talked, prepare_proposal, refusal...); absent from older messages.
    outcome = fields.String(load_default=None, allow_none=True)


class RescheduleCallV1(_Data):
    """Command to the scheduler: move the subject's next planned call to ``due_at``."""

    subject_kind = SubjectKind(required=True)
    subject_id = Id(required=True)
    due_at = AwareDateTime(required=True)
    requested_by_id = Id(required=True, allow_none=True)


# Most items a batch message holds: its producers send at most a broker write's worth
# (services/scheduler/adapters/confirmed_sender.py, services/notifier/handlers/calls.py).
BATCH_MOST = 500


class CallDueV1(_Data):
    """The scheduler: a planned call fell due; the notifier makes it a manager's task."""

    plan_id = Id(required=True)
    subject_kind = SubjectKind(required=True)
    subject_id = Id(required=True)
    responsible_id = Id(required=True, allow_none=True)
    status_id = Id(required=True)
    status_version = fields.Integer(strict=True, required=True)
    due_at = AwareDateTime(required=True)
    # The plan's revision in the due state: the notifier hands it to the CRM with the call's
    # task (CreateTask), and the read model stores it; absent from older messages, which a
    # CallPlanned of that revision followed instead.
    revision = fields.Integer(strict=True, load_default=None, allow_none=True)


class CallsDueV1(_Data):
    """The scheduler: planned calls fell due; the notifier makes each a manager's task, as
    ``CallDue`` one by one (the events on ``crm.events`` stay one per call)."""

    calls = fields.List(
        fields.Nested(CallDueV1), required=True, validate=validate.Length(min=1, max=BATCH_MOST)
    )


class CallPlannedV1(_Data):
    """The scheduler's view of one subject's plan, for the CRM's read model."""

    plan_id = Id(required=True)
    subject_kind = SubjectKind(required=True)
    subject_id = Id(required=True)
    responsible_id = Id(required=True, allow_none=True)
    status_id = Id(required=True, allow_none=True)
    next_call_at = AwareDateTime(required=True, allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(("planned", "due", "removed")))
    revision = fields.Integer(strict=True, required=True)


class ScheduleTimerV1(_Data):
    """Command to the scheduler: fire ``TimerFired`` to ``reply_to`` at ``fire_at``."""

    key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    fire_at = AwareDateTime(required=True)
    reply_to = fields.String(required=True, validate=validate.OneOf(("crm", "notifier")))
    payload = fields.Dict(load_default=dict)


class CancelTimerV1(_Data):
    key = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TimerFiredV1(_Data):
    key = fields.String(required=True)
    fire_at = AwareDateTime(required=True)
    fired_at = AwareDateTime(required=True)
    payload = fields.Dict(required=True)


class RunRoutineV1(_Data):
    """Command from the scheduler's routine clock to the service that does the work."""

    routine = fields.String(required=True)
    period = fields.String(required=True, metadata={"description": "e.g. 2026-11-26T03:00Z"})


# "document": a step document of the sales process someone must act on (first contact...).
# "deal_stage": the task of a deal's stage in the business-process mode.
TASK_KINDS = (
    "call",
    "proposal",
    "visit",
    "approval",
    "assignment",
    "document",
    "other",
    "deal_stage",
)


class EmployeeChangedV1(_Data):
    """The CRM's employee directory, for the notifier's assignment rules and channels."""

    employee_id = Id(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True)
    department = fields.String(required=True, allow_none=True)
    timezone = fields.String(required=True)
    active = fields.Boolean(required=True)
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), required=True)
    webhook_url = fields.String(required=True, allow_none=True)
    # Which derived signing secret the webhook is signed with; never the secret itself.
    webhook_secret_version = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0)
    )
    # Added beside the original fields: a message without it means English.
    locale = fields.String(load_default=DEFAULT_LOCALE, validate=validate.OneOf(LOCALES))


class ReminderScheduledV1(_Data):
    reminder_id = Id(required=True)
    recipient_id = Id(required=True)
    text = fields.String(required=True)
    basis_kind = fields.String(required=True, allow_none=True)
    basis_id = Id(required=True, allow_none=True)
    remind_at = AwareDateTime(required=True)


class ReminderCancelledV1(_Data):
    reminder_id = Id(required=True)


class DocumentClosedV1(_Data):
    """A task or document is done or cancelled: reminders based on it are no longer delivered."""

    document_kind = fields.String(required=True)
    document_id = Id(required=True)
    state = fields.String(required=True, validate=validate.OneOf(("done", "cancelled")))


class TaskOverdueV1(_Data):
    task_id = Id(required=True)
    assignee_id = Id(required=True, allow_none=True)
    title = fields.String(required=True)
    due_at = AwareDateTime(required=True)


class CreateTaskV1(_Data):
    """Command to the CRM: a task for a person, created once per ``key``."""

    key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(TASK_KINDS))
    # None lets the CRM title it from the kind and the subject ("Call Globex").
    title = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=300)
    )
    assignee_id = Id(required=True)
    subject_kind = SubjectKind(load_default=None, allow_none=True)
    subject_id = Id(load_default=None, allow_none=True)
    due_at = AwareDateTime(required=True)
    plan_id = Id(load_default=None, allow_none=True)
    status_id = Id(load_default=None, allow_none=True)
    status_version = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        metadata={"description": "The status's call-rule version the call was planned from."},
    )
    # A call's: the plan's revision in the due state, which the calls panel shows with it.
    plan_revision = fields.Integer(strict=True, load_default=None, allow_none=True)


class CreateTasksV1(_Data):
    """Command to the CRM: the tasks of many due calls at once, each created once per ``key``,
    as ``CreateTask`` would create them one by one."""

    tasks = fields.List(
        fields.Nested(CreateTaskV1), required=True, validate=validate.Length(min=1, max=BATCH_MOST)
    )


class DeliverInAppV1(_Data):
    """Command to the CRM: put a notification in an employee's in-app inbox, once per ``key``."""

    key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    recipient_id = Id(required=True)
    text = fields.String(required=True)
    reminder_id = Id(load_default=None, allow_none=True)
    task_id = Id(load_default=None, allow_none=True)


@dataclass(frozen=True)
class Contract:
    """One message type: its name, version, data schema and the internal queues it goes to."""

    type: str
    version: int
    schema: builtins.type[ma.Schema]  # builtins: `type` is a field of this class
    event: str | None = None  # routing-key suffix for domain events; None for commands
    subscribers: tuple[str, ...] = field(default=())
    # False while a new version is only read: consumers learn it before producers send it
    # (docs/messages.md).
    produced: bool = True

    @property
    def key(self) -> tuple[str, int]:
        return (self.type, self.version)


SCHEDULER = "scheduler"
NOTIFIER = "notifier"
CRM = "crm"

# Keyed by (type, version): a new version of a type is registered beside the one it replaces.
CONTRACTS: dict[tuple[str, int], Contract] = {
    c.key: c
    for c in (
        Contract("StatusAssigned", 1, StatusAssignedV1, "status_assigned", (SCHEDULER,)),
        Contract(
            "InteractionStatusChanged", 1, InteractionStatusChangedV1, "changed", (SCHEDULER,)
        ),
        Contract("SubjectRegistered", 1, SubjectRegisteredV1, "registered"),
        Contract(
            "ResponsibleChanged", 1, ResponsibleChangedV1, "responsible_changed", (SCHEDULER,)
        ),
        Contract("SubjectArchived", 1, SubjectArchivedV1, "archived", (SCHEDULER,)),
        Contract("LeadConverted", 1, LeadConvertedV1, "converted", (SCHEDULER,)),
        Contract("AssignStatus", 1, AssignStatusV1),
        Contract("CallCompleted", 1, CallCompletedV1, "call_completed", (SCHEDULER,)),
        Contract("RescheduleCall", 1, RescheduleCallV1, None, (SCHEDULER,)),
        # A due call reaches the notifier in a CallsDue with the others of its batch.
        Contract("CallDue", 1, CallDueV1, "due"),
        Contract("CallsDue", 1, CallsDueV1),
        Contract("CallPlanned", 1, CallPlannedV1, "planned", (CRM,)),
        Contract("ScheduleTimer", 1, ScheduleTimerV1),
        Contract("CancelTimer", 1, CancelTimerV1),
        Contract("TimerFired", 1, TimerFiredV1),
        Contract("RunRoutine", 1, RunRoutineV1),
        # The scheduler re-plans a manager's calls when their time zone or department changes.
        Contract("EmployeeChanged", 1, EmployeeChangedV1, "changed", (NOTIFIER, SCHEDULER)),
        Contract("ReminderScheduled", 1, ReminderScheduledV1, "scheduled", (NOTIFIER,)),
        Contract("ReminderCancelled", 1, ReminderCancelledV1, "cancelled", (NOTIFIER,)),
        Contract("DocumentClosed", 1, DocumentClosedV1, "closed", (NOTIFIER,)),
        Contract("TaskOverdue", 1, TaskOverdueV1, "overdue", (NOTIFIER,)),
        Contract("CreateTask", 1, CreateTaskV1),
        Contract("CreateTasks", 1, CreateTasksV1),
        Contract("DeliverInApp", 1, DeliverInAppV1),
    )
}


# ---- Calling loop and inbound process to the letter of documents 000-002 -----------------
# The working calendar, reminder delivery, the sales process, orders, tasks, partners and
# interactions logged from the telephone exchange and the sales mailbox.

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PROCESS_END_STATES = ("completed", "refused")


class CalendarWeekV1(_Data):
    department = fields.String(required=True, allow_none=True)
    workdays = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAY_NAMES)),
        required=True,
        validate=validate.Length(min=1, max=7),
    )
    work_start = fields.Time(required=True)
    work_end = fields.Time(required=True)
    call_time = fields.Time(required=True, allow_none=True)


class HolidayV1(_Data):
    day = fields.Date(required=True, validate=validate.Range(min=FIRST_DAY, max=LAST_DAY))
    department = fields.String(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)


class WorkingCalendarChangedV1(_Data):
    """The whole working calendar after a change; ``revision`` grows with every change."""

    revision = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    # None: the company saved no week of its own; the configured default applies.
    default = fields.Nested(CalendarWeekV1, required=True, allow_none=True)
    departments = fields.List(fields.Nested(CalendarWeekV1), required=True)
    holidays = fields.List(fields.Nested(HolidayV1), required=True)


class ReminderDeliveredV1(_Data):
    """The notifier handed a fired reminder to its recipient's channels."""

    reminder_id = Id(required=True)
    delivered_at = AwareDateTime(required=True)
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), required=True)


class ProcessStartedV1(_Data):
    process_id = Id(required=True)
    kind = fields.String(required=True)
    started_by_id = Id(required=True, allow_none=True)
    started_at = AwareDateTime(required=True)


class ProcessStepCompletedV1(_Data):
    process_id = Id(required=True)
    kind = fields.String(required=True)
    step = fields.String(required=True)
    document_kind = fields.String(required=True, allow_none=True)
    document_id = Id(required=True, allow_none=True)
    outcome = fields.String(required=True)
    completed_at = AwareDateTime(required=True)


class ProcessEndedV1(_Data):
    """An instance closed: completed (the order reached execution) or refused (with why)."""

    process_id = Id(required=True)
    kind = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(PROCESS_END_STATES))
    step = fields.String(required=True)
    refusal_reason_id = Id(required=True, allow_none=True)
    ended_at = AwareDateTime(required=True)


class OrderPostedV1(_Data):
    order_id = Id(required=True)
    process_id = Id(required=True, allow_none=True)
    counterparty_id = Id(required=True)
    requires_approval = fields.Boolean(required=True)
    total = fields.Decimal(required=True, as_string=True)
    posted_at = AwareDateTime(required=True)


class OrderDecidedV1(_Data):
    """An order's approval answered (``OrderApproved`` or ``OrderRejected``)."""

    order_id = Id(required=True)
    process_id = Id(required=True, allow_none=True)
    decided_at = AwareDateTime(required=True)


class OrderRoutedV1(_Data):
    """An order reached the execution department: its head, or the executor named."""

    order_id = Id(required=True)
    process_id = Id(required=True, allow_none=True)
    responsible_id = Id(required=True)
    executor_id = Id(required=True, allow_none=True)
    routed_at = AwareDateTime(required=True)


class TaskCreatedV1(_Data):
    task_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(TASK_KINDS))
    title = fields.String(required=True)
    assignee_id = Id(required=True)
    subject_kind = SubjectKind(required=True, allow_none=True)
    subject_id = Id(required=True, allow_none=True)
    due_at = AwareDateTime(required=True)
    plan_id = Id(required=True, allow_none=True)


class TaskCompletedV1(_Data):
    task_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(TASK_KINDS))
    outcome = fields.String(required=True)
    assignee_id = Id(required=True)
    completed_by_id = Id(required=True, allow_none=True)
    subject_kind = SubjectKind(required=True, allow_none=True)
    subject_id = Id(required=True, allow_none=True)
    completed_at = AwareDateTime(required=True)


class PartnerChangedV1(_Data):
    partner_id = Id(required=True)
    name = fields.String(required=True)
    responsible_id = Id(required=True, allow_none=True)
    change = fields.String(
        required=True, validate=validate.OneOf(("created", "updated", "contacts", "links"))
    )


class InteractionRecordedV1(_Data):
    """A call, e-mail, meeting or other interaction was logged (by the telephone exchange, the
    sales mailbox or a manager); ``deal_id`` names the deal it belongs to, if any."""

    interaction_id = Id(required=True)
    kind = fields.String(
        required=True, validate=validate.OneOf(("call", "email", "meeting", "other"))
    )
    direction = fields.String(required=True, validate=validate.OneOf(("incoming", "outgoing")))
    subject_kind = SubjectKind(required=True, allow_none=True)
    subject_id = Id(required=True, allow_none=True)
    responsible_id = Id(required=True, allow_none=True)
    process_id = Id(required=True, allow_none=True)
    task_id = Id(required=True, allow_none=True)
    occurred_at = AwareDateTime(required=True)
    deal_id = Id(load_default=None, allow_none=True)


LOOP_CONTRACTS = (
    Contract("WorkingCalendarChanged", 1, WorkingCalendarChangedV1, "changed", (SCHEDULER,)),
    Contract("ReminderDelivered", 1, ReminderDeliveredV1, "delivered", (CRM,)),
    Contract("ProcessStarted", 1, ProcessStartedV1, "started"),
    Contract("ProcessStepCompleted", 1, ProcessStepCompletedV1, "step_completed"),
    Contract("ProcessEnded", 1, ProcessEndedV1, "ended"),
    Contract("OrderPosted", 1, OrderPostedV1, "posted"),
    Contract("OrderApproved", 1, OrderDecidedV1, "approved"),
    Contract("OrderRejected", 1, OrderDecidedV1, "rejected"),
    Contract("OrderRouted", 1, OrderRoutedV1, "routed"),
    Contract("TaskCreated", 1, TaskCreatedV1, "created"),
    Contract("TaskCompleted", 1, TaskCompletedV1, "completed"),
    Contract("PartnerChanged", 1, PartnerChangedV1, "changed"),
    Contract("InteractionRecorded", 1, InteractionRecordedV1, "recorded"),
)
CONTRACTS.update({c.key: c for c in LOOP_CONTRACTS})


# ---- Analytics: claims work and the buyers' classification (document 000) -----------------


class ClaimOverdueV1(_Data):
    """A customer's claim passed its deadline unresolved: the responsible's head is told."""

    claim_id = Id(required=True)
    responsible_id = Id(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    counterparty_name = fields.String(required=True, validate=validate.Length(max=300))
    deadline = AwareDateTime(required=True)


class RunClassificationV1(_Data):
    """Command to the CRM worker: carry out a requested buyers' classification run."""

    run_id = Id(required=True)


CONTRACTS.update(
    (c.key, c)
    for c in (
        Contract("ClaimOverdue", 1, ClaimOverdueV1, "overdue", (NOTIFIER,)),
        Contract("RunClassification", 1, RunClassificationV1),
    )
)
# ---- end of the analytics contracts ----------------------------------------------------------


# ---- Deals: sales opportunities and their stage history (documents 003, 004) -------------------


def Money(**kw: Any) -> fields.Decimal:
    return fields.Decimal(as_string=True, places=2, **kw)


class DealOpenedV1(_Data):
    deal_id = Id(required=True)
    kind_id = Id(required=True)
    # None for a lead's deal until the lead becomes a customer.
    customer_id = Id(required=True, allow_none=True)
    responsible_id = Id(required=True)
    source = fields.String(required=True)
    amount = Money(required=True)
    currency = fields.String(required=True, validate=validate.Length(equal=3))
    opened_at = AwareDateTime(required=True)


class _DealMoveV1(_Data):
    deal_id = Id(required=True)
    kind_id = Id(required=True)
    responsible_id = Id(required=True)
    changed_by_id = Id(required=True, allow_none=True)
    # The stage history row this move wrote: exact and never rewritten.
    change_id = Id(required=True)
    seconds_spent = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))


class DealStageChangedV1(_DealMoveV1):
    from_stage_id = Id(required=True, allow_none=True)
    to_stage_id = Id(required=True)
    changed_at = AwareDateTime(required=True)


class DealClosedV1(_DealMoveV1):
    """DealWon and DealCancelled; ``stage_id`` is the stage the deal closed from."""

    stage_id = Id(required=True, allow_none=True)
    amount = Money(required=True)
    currency = fields.String(required=True, validate=validate.Length(equal=3))
    closed_at = AwareDateTime(required=True)


class DealLostV1(DealClosedV1):
    lost_reason_id = Id(required=True)
    competitor_id = Id(required=True, allow_none=True)


CONTRACTS.update(
    (c.key, c)
    for c in (
        Contract("DealOpened", 1, DealOpenedV1, "opened"),
        Contract("DealStageChanged", 1, DealStageChangedV1, "stage_changed"),
        Contract("DealWon", 1, DealClosedV1, "won"),
        Contract("DealLost", 1, DealLostV1, "lost"),
        Contract("DealCancelled", 1, DealClosedV1, "cancelled"),
    )
)


def consumer_actor(queue: str) -> str:
    """Name of the one actor that consumes ``queue``, dispatching on the envelope's ``type``.

    Names differ per queue, since dramatiq actor names are unique within a broker.
    """
    return f"handle_{queue}_message"


def contract_for(type_: str, version: int | None = None) -> Contract:
    """The contract of a message type: of ``version``, or the version producers send.

    Parameters:
      type_: the message type.
      version: a registered version; None means the highest version that is produced.

    Raises:
      ContractError: the type, or that version of it, is unknown.
    """
    if version is not None and (contract := CONTRACTS.get((type_, version))):
        return contract
    versions = [c for c in CONTRACTS.values() if c.type == type_]
    if not versions:
        raise ContractError(f"type: unknown message type {type_!r}")
    if version is None:
        return max(versions, key=lambda c: (c.produced, c.version))
    supported = ", ".join(str(c.version) for c in sorted(versions, key=lambda c: c.version))
    raise ContractError(
        f"version: {type_} version {version} is not supported (supported: {supported})"
    )


def envelope(
    type_: Any,
    data: dict[str, Any] | None = None,
    *,
    message_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    version: int | None = None,
    check: bool = True,
) -> dict[str, Any]:
    """Build a JSON-ready envelope around ``data`` after checking it against its contract.

    Parameters:
      type_: the message type, as registered in ``CONTRACTS``; or a typed message of
        ``shared.messages``, which brings its type, version and data.
      data: the payload, as JSON primitives (none with a typed message).
      message_id: kept when the caller already has one (the outbox does).
      occurred_at: when the fact happened; now by default.
      version: the version to build; by default the one producers send.
      check: False skips the check, for a producer whose data come from typed columns
        in a hot loop; its consumers still check it and dead-letter what fails.

    Returns:
      dict: ``message_id``, ``type``, ``version``, ``occurred_at``, ``data``.

    Raises:
      ContractError: the payload does not match the contract.
    """
    if not isinstance(type_, str):
        data, version, type_ = type_.data(), type_.contract.version, type_.contract.type
    contract = contract_for(type_, version)
    if check:
        _check(_schema(contract.schema), data)
    return {
        "message_id": str(message_id or uuid.uuid4()),
        "type": contract.type,
        "version": contract.version,
        "occurred_at": (occurred_at or utcnow()).isoformat(),
        "data": data,
    }


def parse(message: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate a received envelope and its data.

    Returns:
      tuple: the envelope with typed ``message_id``/``occurred_at``, and the loaded data.

    Raises:
      ContractError: with the first failing field and the reason.
    """
    if not isinstance(message, dict):
        raise ContractError(f"envelope: expected an object, got {type(message).__name__}")
    env = _check(_schema(EnvelopeSchema), message)
    contract = contract_for(env["type"], env["version"])
    return env, _check(_schema(contract.schema), env["data"], prefix="data.")


@functools.cache
def _schema(cls: type[ma.Schema]) -> ma.Schema:
    """One instance per schema: building one deep-copies its fields, loading keeps no state."""
    return cls()


def _check(schema: ma.Schema, payload: Any, prefix: str = "") -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(payload)
    except ma.ValidationError as exc:
        raise ContractError(_reason(exc.messages, prefix)) from None
    return loaded


def _reason(messages: Any, prefix: str) -> str:
    if isinstance(messages, dict):
        return "; ".join(
            f"{prefix}{name}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
            for name, msgs in sorted(messages.items(), key=lambda kv: str(kv[0]))
        )
    return f"{prefix.rstrip('.') or 'message'}: {messages}"
