"""The inbound sales process at work: starting it, moving it on, and what each document's
completion makes happen (services/crm/domain/process.py holds the definition).

- registration completed -> the first contact for the employee the call went to, plus a
  reminder to that employee after the reminder delay (5 minutes);
- a proposal's approval requested -> an event and a task for the approver, and a reminder;
- an order posted -> an "Approve the order" event when it requires approval (the approver
  named on it gets a reminder), else straight to execution;
- an order reaching its executor -> reminder to the executor, and the instance closes;
- a refusal (reason required) -> open approvals called off, and the instance ends.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.crm.adapters.orm import RefusalReason
from services.crm.adapters.sales import Item, Order, ProcessInstance
from services.crm.adapters.work import Interaction, Task
from services.crm.analytics.handlers import recorder
from services.crm.domain import documents as doc_rules
from services.crm.domain import orders as order_rules
from services.crm.domain import process as rules
from services.crm.domain.errors import Conflict, Invalid
from services.crm.domain.roles import Actor
from services.crm.handlers import (
    documents,
    instances,
    orders,
    ownership,
    refusals,
    reminders,
    tasks,
)
from services.crm.handlers.common import referenced, responsible
from services.crm.handlers.employees import locale_of
from services.crm.handlers.process_documents import cancel_event, check_owner
from shared.config import Settings
from shared.db import utcnow
from shared.i18n import _, translate

PROCESS = rules.INBOUND_SALES
# Fields each kind of step takes when it is started; anything else is refused by name.
INTERACTION_FIELDS = frozenset(
    {
        "kind",
        "direction",
        "topic",
        "subject_kind",
        "subject_id",
        "contacts",
        "content",
        "attachments",
        "responsible_id",
        "needs_approval",
        "started_at",
        "ended_at",
    }
)
STEP_FIELDS = {
    "registration": INTERACTION_FIELDS - {"needs_approval"} | {"transferred_to_id"},
    "proposal": INTERACTION_FIELDS,
    "meeting": INTERACTION_FIELDS - {"needs_approval"},
    "assignment": frozenset({"assignee_id", "item_id", "due_at", "content"}),
    "proposal_approval": frozenset({"approver_id", "due_at", "content"}),
    "order": frozenset(PROCESS.step("order").required) | {"comment", "loyalty_card_id"},
    "refusal": frozenset({"refusal_reason_id", "content"}),
}


def _check_fields(step: str, fields: dict[str, Any]) -> None:
    for name in fields:
        if name not in STEP_FIELDS[step]:
            raise Invalid(name, f"not a field of a {step}")


def start(session: Session, actor: Actor | None, fields: dict[str, Any]) -> ProcessInstance:
    """The secretary registers an incoming call or e-mail: a new instance of the process.

    A registration records who called or wrote: without a contact it is refused (422 naming
    ``contacts``); what completing it needs (the employee the call went to...) may follow,
    listed meanwhile in the document's ``missing``. ``actor`` is None when the telephone
    exchange or the sales mailbox registers it.
    """
    step = PROCESS.step(PROCESS.start)
    if actor is not None:
        rules.check_performer(step, actor.role)
    _check_fields(step.name, fields)
    if not fields.get("contacts"):
        raise doc_rules.Incomplete({"contacts": "at least one contact is required"})
    instance = instances.start(session, PROCESS.kind, actor)
    by = actor.id if actor else None
    documents.create(session, instance, step, by, {"responsible_id": by, **fields})
    return instance


def take_step(
    session: Session,
    actor: Actor,
    process_id: int,
    step_name: str,
    fields: dict[str, Any],
    *,
    delay_seconds: int,
    settings: Settings,
) -> tuple[ProcessInstance, str | None, int | None]:
    """Go on from the current step: (instance, kind and id of the document made)."""
    instance = instances.load(session, process_id, lock=True)
    current = instances.current_document(session, instance)
    step = rules.check_continuation(
        PROCESS, instance.state, instance.current_step, instances.is_open(current), step_name
    )
    rules.check_performer(step, actor.role)
    ownership.require_change_of(session, actor, instance.subject_kind, instance.subject_id)
    _check_fields(step.name, fields)
    if step.name == "refusal":
        _refuse(session, actor, instance, current, fields, settings)
        return instance, None, None
    if step.name == "assignment":
        task = _assign(session, actor, instance, step, fields)
        return instance, "task", task.id
    if step.name == "proposal_approval":
        event = _request_approval(session, actor, instance, current, step, fields, delay_seconds)
        return instance, "interaction", event.id
    if step.name == "order":
        order = orders.create(session, instance, actor, fields, current)
        ownership.require_change_of(session, actor, "counterparty", order.counterparty_id)
        return instance, "order", order.id
    doc = documents.create(
        session,
        instance,
        step,
        actor.id,
        {**documents.carried_over(current), "responsible_id": actor.id, **fields},
        basis=("interaction", current.id),
    )
    check_owner(session, actor, step, doc)  # the customer the new document names
    return instance, "interaction", doc.id


def _refuse(
    session: Session,
    actor: Actor,
    instance: ProcessInstance,
    current: Interaction | Order | None,
    fields: dict[str, Any],
    settings: Settings,
) -> None:
    """The client refuses: the current document closes with the reason, and so does the process."""
    doc_rules.check_complete(("refusal_reason_id",), fields)
    reason = referenced(
        session, RefusalReason, fields["refusal_reason_id"], "refusal_reason_id", "refusal reason"
    )
    if isinstance(current, Interaction) and instances.is_open(current):
        if fields.get("content"):
            current.content = "\n".join(filter(None, (current.content, fields["content"])))
        documents.complete(session, current, "refusal", refusal_reason_id=reason.id)
    for event in documents.open_side_documents(session, instance.id):
        cancel_event(session, event)
    if instance.subject_kind is not None and instance.subject_id is not None:
        refusals.refuse(
            session,
            actor,
            instance.subject_kind,
            instance.subject_id,
            reason,
            fields.get("content"),
            settings,
        )
    recorder.process_refused(session, instance, utcnow(), reason.id, actor.id)
    instances.finish(
        session,
        instance,
        rules.REFUSED,
        "refusal",
        (None, None),
        actor_id=actor.id,
        responsible_id=actor.id,
        refusal_reason_id=reason.id,
    )


def _assign(
    session: Session, actor: Actor, instance: ProcessInstance, step: rules.StepDef, fields: dict
) -> Task:
    """A work assignment to the execution department, based on the first contact."""
    doc_rules.check_complete(step.required, fields)
    assignee = responsible(session, fields["assignee_id"], "assignee_id")
    order_rules.check_execution_responsible(assignee.role, "assignee_id")
    item = referenced(session, Item, fields.get("item_id"), "item_id", "item")
    task = _task(session, actor, instance, "assignment", step.title, assignee.id, fields)
    if item is not None:
        # The work or service: its "grey or white" and planned cost and time (document 002).
        task.details = {**task.details, "item": order_rules.item_terms(item)}
    instances.record(
        session, instance, step.name, "task", task.id, actor_id=actor.id, responsible_id=assignee.id
    )
    return task


def _task(
    session: Session,
    actor: Actor,
    instance: ProcessInstance,
    kind: str,
    title: str,
    assignee_id: int,
    fields: dict[str, Any],
) -> Task:
    subject = (
        {"subject_kind": instance.subject_kind, "subject_id": instance.subject_id}
        if instance.subject_kind
        else {}
    )
    return tasks.create_task(
        session,
        actor,
        {
            "kind": kind,
            "title": translate(locale_of(session, assignee_id), title),
            "assignee_id": assignee_id,
            "due_at": fields.get("due_at") or utcnow() + timedelta(days=1),
            "description": fields.get("content"),
            **subject,
        },
    )


def _request_approval(
    session: Session,
    actor: Actor,
    instance: ProcessInstance,
    proposal: Interaction,
    step: rules.StepDef,
    fields: dict[str, Any],
    delay_seconds: int,
) -> Interaction:
    """An event "Approval of the commercial proposal": a task and a reminder for the approver."""
    doc_rules.check_complete(step.required, fields)
    if proposal.approval == "pending":
        raise Conflict("the proposal is already waiting for approval")
    event = documents.create(
        session,
        instance,
        step,
        actor.id,
        {
            **documents.carried_over(proposal),
            "responsible_id": actor.id,
            "approver_id": fields["approver_id"],
            "content": fields.get("content") or proposal.content,
        },
        basis=("interaction", proposal.id),
    )
    task = _task(session, actor, instance, "approval", step.title, event.approver_id, fields)
    event.task_id = task.id
    proposal.approval = "pending"
    reminders.remind_later(
        session,
        event.approver_id,
        _("Approval of the commercial proposal: {topic}"),
        delay_seconds,
        "interaction",
        event.id,
        topic=proposal.topic,
    )
    return event
