"""Documents of a running sales process: edited, started, completed (with what follows), called off."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters.sales import Order, ProcessInstance
from services.crm.adapters.work import Interaction
from services.crm.analytics.handlers import recorder
from services.crm.domain import documents as doc_rules
from services.crm.domain import process as rules
from services.crm.domain.errors import Conflict, Forbidden, Invalid
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import documents, instances, ownership, reminders
from services.crm.handlers.process_orders import order_decided
from shared.i18n import _

PROCESS = rules.INBOUND_SALES
# Fields only one step's document takes (a proposal's approver is fixed when it is requested).
STEP_ONLY = {
    "transferred_to_id": "registration",
    "needs_approval": "proposal",
    "approver_id": "order_approval",
}


def update_document(
    session: Session, actor: Actor, document_id: int, changes: dict[str, Any], *, delay_seconds: int
) -> Interaction:
    """Edit an open document; naming the approver of an order sets them a reminder."""
    doc, instance, step = _load(session, document_id)
    rules.check_performer(step, actor.role)
    check_owner(session, actor, step, doc)
    for name in changes.keys() & STEP_ONLY.keys():
        if doc.step != STEP_ONLY[name]:
            raise Invalid(name, f"not a field of a {doc.step}")
    before = documents.update(session, instance, doc, changes)
    check_owner(session, actor, step, doc)  # the customer it names now, too
    named = changes.get("approver_id")
    if doc.step == "order_approval" and named is not None and named != before["approver_id"]:
        order = session.get(Order, doc.basis_id)
        documents.give_task(session, doc, "approval", named, step.title)
        reminders.remind_later(
            session,
            named,
            _("Approve the order No. {order}: {topic}"),
            delay_seconds,
            "interaction",
            doc.id,
            order=order.id,
            topic=doc.topic,
        )
    return doc


def start_document(session: Session, actor: Actor, document_id: int) -> Interaction:
    doc, _, step = _load(session, document_id)
    rules.check_performer(step, actor.role)
    check_owner(session, actor, step, doc)
    documents.start(doc)
    recorder.first_contact_taken(session, doc)
    return doc


def check_owner(session: Session, actor: Actor, step: rules.StepDef, doc: Any) -> None:
    """A sales step's document about a customer follows the ownership rule; the front office's
    registration of a call and an approver's answer are their performers' own by the process."""
    if step.performer == "manager":
        ownership.require_change_of(session, actor, doc.subject_kind, doc.subject_id)


def _load(session: Session, document_id: int) -> tuple[Interaction, ProcessInstance, Any]:
    instance, doc = instances.lock_with(session, Interaction, document_id, "document")
    if instance.state != rules.ACTIVE:
        raise Conflict(f"the process is {instance.state}")
    return doc, instance, PROCESS.step(doc.step)


def complete_document(
    session: Session,
    actor: Actor,
    document_id: int,
    outcome: str | None,
    *,
    delay_seconds: int,
) -> Interaction:
    """Complete a document (422 naming each missing field) and carry out what follows."""
    doc, instance, step = _load(session, document_id)
    if step.performer == "approver":
        doc_rules.check_complete(("approver_id",), {"approver_id": doc.approver_id})
        if actor.id != doc.approver_id and actor.role != Role.ADMIN:
            raise Forbidden("only the named approver completes an approval")
    else:
        rules.check_performer(step, actor.role)
        check_owner(session, actor, step, doc)
    if doc.step == "proposal":
        _check_approved(doc)
    outcome = doc_rules.check_outcome(step.outcomes, outcome)
    documents.complete(session, doc, outcome, required=step.required, by_id=actor.id)
    if doc.step == "registration":
        _first_contact(session, instance, doc, delay_seconds)
    elif doc.step == "proposal_approval":
        session.get(Interaction, doc.basis_id).approval = outcome
    elif doc.step == "order_approval":
        order_decided(session, instance, session.get(Order, doc.basis_id), outcome, delay_seconds)
    return doc


def _check_approved(proposal: Interaction) -> None:
    if proposal.approval == "pending":
        raise Conflict("the proposal is waiting for approval")
    if proposal.needs_approval and proposal.approval != "approved":
        raise Conflict("the proposal needs approval: request it, and send once approved")


def _first_contact(
    session: Session, instance: ProcessInstance, registration: Interaction, delay_seconds: int
) -> None:
    """The request goes to the employee the secretary named, as an incoming first contact."""
    step = PROCESS.step("first_contact")
    doc = documents.create(
        session,
        instance,
        step,
        None,
        {
            **documents.carried_over(registration),
            "kind": doc_rules.first_contact_kind(registration.contacts),
            "content": registration.content,
            "attachments": list(registration.attachments),
            "responsible_id": registration.transferred_to_id,
        },
        basis=("interaction", registration.id),
    )
    who = ", ".join(
        filter(None, (registration.contacts[0].get(k) for k in ("presentation", "phone", "email")))
    )
    reminders.remind_later(
        session,
        doc.responsible_id,
        _("First contact with the client: {who}"),
        delay_seconds,
        "interaction",
        doc.id,
        who=who,
    )


def cancel_event(session: Session, event: Interaction) -> None:
    documents.cancel(session, event)
    if event.step == "proposal_approval":
        session.get(Interaction, event.basis_id).approval = None


def cancel_document(session: Session, actor: Actor, document_id: int) -> Interaction:
    """Call off an approval; main documents end with a refusal, never a cancellation."""
    doc, _, step = _load(session, document_id)
    rules.check_performer(step, actor.role)
    check_owner(session, actor, step, doc)
    if step.kind != rules.SIDE:
        raise Conflict(f"a {doc.step} is not cancelled: end the process with a refusal")
    cancel_event(session, doc)
    return doc


def document_task_completed(
    session: Session, actor: Actor, task_id: int, outcome: str, *, delay_seconds: int
) -> Interaction | None:
    """Completing a document's task (an approval, a first contact...) through the task API
    completes the document too, with the same checks of its required fields."""
    event_id = session.scalar(
        select(Interaction.id).where(
            Interaction.task_id == task_id,
            Interaction.process_id.is_not(None),
            Interaction.state.in_(doc_rules.OPEN_STATES),
        )
    )
    if event_id is None:
        return None
    return complete_document(session, actor, event_id, outcome, delay_seconds=delay_seconds)
