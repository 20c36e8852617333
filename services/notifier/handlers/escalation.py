"""Overdue work is escalated to a head (rule: services/notifier/domain/escalation.py): tasks
left open past their due time, and customers' claims past their deadline."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.notifier.adapters import directory
from services.notifier.domain.directory import Person
from services.notifier.domain.escalation import escalation_recipient, head_role_for
from services.notifier.handlers.notifications import Notification, notify
from shared import config
from shared.i18n import _, translate, translate_for
from shared.messages import ClaimOverdue, TaskOverdue

log = logging.getLogger(__name__)

TASK_SUBJECT = _("Overdue: {title}")
TASK_BODY = _('The task "{title}" assigned to {who} was due at {due} and is not done.')
CLAIM_SUBJECT = _("Overdue claim: {title}")
CLAIM_BODY = _(
    'The claim No. {number} of {customer} "{title}", handled by {who}, was due at '
    "{deadline} and is not resolved."
)


def _head_of(
    session: Session, assignee_id: int | None, settings: config.Settings
) -> tuple[int | None, Person | None]:
    """The head to tell about work of ``assignee_id``, and the assignee."""
    assignee = directory.find(session, assignee_id)
    fallback = settings.notifier_escalation_fallback_id or None
    candidates = directory.active_with_role(
        session, head_role_for(assignee.role if assignee else None), [fallback] if fallback else []
    )
    head_id = escalation_recipient(
        assignee, candidates, settings.notifier_default_department, fallback
    )
    return head_id, assignee


def _escalate(
    session: Session,
    key: str,
    head_id: int,
    due_at: datetime,
    assignee: Person | None,
    messages: tuple[str, str],
    *,
    task_id: int | None = None,
    **params: object,
) -> list[str]:
    """Tell the head in their language and time zone: ``messages`` are the marked subject and
    body, ``{who}`` in them the assignee; instants in ``params`` are written as the head reads."""
    subject, body = messages
    head = directory.find(session, head_id)
    locale, zone = (head.locale, head.timezone) if head else (None, None)
    who = assignee.name if assignee else translate(locale, _("nobody"))
    told = Notification(
        key=key,
        in_app_key=key,
        recipient_id=head_id,
        subject=translate_for(locale, zone, subject, who=who, **params),
        body=translate_for(locale, zone, body, who=who, **params),
        due_at=due_at,
        task_id=task_id,
    )
    return notify(session, told, head)


def task_overdue(
    session: Session, env: dict[str, Any], message: TaskOverdue, *, settings: config.Settings
) -> None:
    """TaskOverdue: tell the head of the assignee's department, through their channels."""
    head_id, assignee = _head_of(session, message.assignee_id, settings)
    if head_id is None:
        log.warning("overdue task has nobody to escalate to", extra={"task_id": message.task_id})
        return
    channels = _escalate(
        session,
        f"escalation:{message.task_id}",
        head_id,
        message.due_at,
        assignee,
        (TASK_SUBJECT, TASK_BODY),
        task_id=message.task_id,
        title=message.title,
        due=message.due_at,
    )
    log.info(
        "task escalated",
        extra={"task_id": message.task_id, "head_id": head_id, "channels": channels},
    )


def claim_overdue(
    session: Session, env: dict[str, Any], message: ClaimOverdue, *, settings: config.Settings
) -> None:
    """ClaimOverdue: tell the head of the responsible's department, through their channels."""
    head_id, responsible = _head_of(session, message.responsible_id, settings)
    if head_id is None:
        log.warning("overdue claim has nobody to escalate to", extra={"claim_id": message.claim_id})
        return
    channels = _escalate(
        session,
        f"claim-escalation:{message.claim_id}",
        head_id,
        message.deadline,
        responsible,
        (CLAIM_SUBJECT, CLAIM_BODY),
        number=message.claim_id,
        customer=message.counterparty_name,
        title=message.title,
        deadline=message.deadline,
    )
    log.info(
        "claim escalated",
        extra={"claim_id": message.claim_id, "head_id": head_id, "channels": channels},
    )
