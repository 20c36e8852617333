"""Overdue tasks are escalated to a head (rule: services/notifier/domain/escalation.py)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from services.notifier.adapters import directory
from services.notifier.domain.escalation import escalation_recipient, head_role_for
from services.notifier.handlers.notifications import Notification, notify
from shared import config
from shared.i18n import _, format_moment, translate

log = logging.getLogger(__name__)


def task_overdue(session: Session, env: dict[str, Any], data: dict[str, Any]) -> None:
    """TaskOverdue: tell the head of the assignee's department, through their channels."""
    settings = config.load()
    assignee = directory.find(session, data["assignee_id"])
    fallback = settings.notifier_escalation_fallback_id or None
    candidates = directory.active_with_role(
        session, head_role_for(assignee.role if assignee else None), [fallback] if fallback else []
    )
    head_id = escalation_recipient(
        assignee, candidates, settings.notifier_default_department, fallback
    )
    if head_id is None:
        log.warning("overdue task has nobody to escalate to", extra={"task_id": data["task_id"]})
        return
    head = directory.find(session, head_id)
    locale, zone = (head.locale, head.timezone) if head else (None, None)
    who = assignee.name if assignee else translate(locale, _("nobody"))
    key = f"escalation:{data['task_id']}"
    note = Notification(
        key=key,
        in_app_key=key,
        recipient_id=head_id,
        subject=translate(locale, _("Overdue: {title}"), title=data["title"]),
        body=translate(
            locale,
            _('The task "{title}" assigned to {who} was due at {due} and is not done.'),
            title=data["title"],
            who=who,
            due=format_moment(locale, zone, data["due_at"]),
        ),
        due_at=data["due_at"],
        task_id=data["task_id"],
    )
    channels = notify(session, note, head)
    log.info(
        "task escalated",
        extra={"task_id": data["task_id"], "head_id": head_id, "channels": channels},
    )
