"""Overdue work is escalated to a head (rule: services/notifier/domain/escalation.py): tasks
left open past their due time, and customers' claims past their deadline."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.notifier.adapters import directory
from services.notifier.domain.escalation import escalation_recipient, head_role_for
from services.notifier.handlers.notifications import Notification, notify
from shared import config
from shared.i18n import _, translate

log = logging.getLogger(__name__)

CLAIM_SUBJECT = _("Overdue claim: {title}")
CLAIM_BODY = _(
    'The claim No. {number} of {customer} "{title}", handled by {who}, was due at '
    "{deadline} and is not resolved."
)


def _head_of(session: Session, assignee_id: int | None) -> tuple[int | None, str]:
    """The head to tell about work of ``assignee_id``, and the assignee's name."""
    settings = config.load()
    assignee = directory.find(session, assignee_id)
    fallback = settings.notifier_escalation_fallback_id or None
    candidates = directory.active_with_role(
        session, head_role_for(assignee.role if assignee else None), [fallback] if fallback else []
    )
    head_id = escalation_recipient(
        assignee, candidates, settings.notifier_default_department, fallback
    )
    return head_id, assignee.name if assignee else "nobody"


def _escalate(
    session: Session, key: str, head_id: int, subject: str, body: str, due_at: datetime, **ids
) -> list[str]:
    note = Notification(key, key, head_id, subject, body, due_at, **ids)
    return notify(session, note, directory.find(session, head_id))


def task_overdue(session: Session, env: dict[str, Any], data: dict[str, Any]) -> None:
    """TaskOverdue: tell the head of the assignee's department, through their channels."""
    head_id, who = _head_of(session, data["assignee_id"])
    if head_id is None:
        log.warning("overdue task has nobody to escalate to", extra={"task_id": data["task_id"]})
        return
    body = (
        f'The task "{data["title"]}" assigned to {who} was due at '
        f"{data['due_at'].isoformat()} and is not done."
    )
    key = f"escalation:{data['task_id']}"
    subject = f"Overdue: {data['title']}"
    channels = _escalate(
        session, key, head_id, subject, body, data["due_at"], task_id=data["task_id"]
    )
    log.info(
        "task escalated",
        extra={"task_id": data["task_id"], "head_id": head_id, "channels": channels},
    )


def claim_overdue(session: Session, env: dict[str, Any], data: dict[str, Any]) -> None:
    """ClaimOverdue: tell the head of the responsible's department, through their channels."""
    head_id, who = _head_of(session, data["responsible_id"])
    if head_id is None:
        log.warning("overdue claim has nobody to escalate to", extra={"claim_id": data["claim_id"]})
        return
    body = translate(
        None,
        CLAIM_BODY,
        number=data["claim_id"],
        customer=data["counterparty_name"],
        title=data["title"],
        who=who,
        deadline=data["deadline"].isoformat(timespec="minutes"),
    )
    subject = translate(None, CLAIM_SUBJECT, title=data["title"])
    key = f"claim-escalation:{data['claim_id']}"
    channels = _escalate(session, key, head_id, subject, body, data["deadline"])
    log.info(
        "claim escalated",
        extra={"claim_id": data["claim_id"], "head_id": head_id, "channels": channels},
    )
