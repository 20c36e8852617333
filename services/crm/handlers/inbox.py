"""The in-app inbox: notifications for one employee, delivered once per key."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Employee
from services.crm.adapters.work import Notification
from services.crm.domain.errors import NotFound
from services.crm.domain.roles import Actor
from services.crm.handlers.common import paginate
from shared.db import utcnow
from shared.i18n import translate_for
from shared.messages import DeliverInApp

# Recipients given a notification in the session's transaction; services/crm/adapters/live.py
# tells their open pages once it commits.
NOTIFIED = "inbox.notified"


def notify(
    session: Session,
    key: str,
    recipient_id: int,
    text: str,
    *,
    task_id: int | None = None,
    reminder_id: int | None = None,
) -> bool:
    """Put a notification in the inbox unless one with ``key`` is there; True if added."""
    stmt = (
        insert(Notification)
        .values(
            key=key, recipient_id=recipient_id, text=text, task_id=task_id, reminder_id=reminder_id
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Notification.id)
    )
    added = session.execute(stmt).first() is not None
    if added:
        session.info.setdefault(NOTIFIED, set()).add(recipient_id)
    return added


def deliver_in_app(session: Session, env: dict[str, Any], command: DeliverInApp) -> None:
    """DeliverInApp: the notifier puts a reminder or an escalation in the recipient's inbox."""
    notify(
        session,
        command.key,
        command.recipient_id,
        command.text,
        task_id=command.task_id,
        reminder_id=command.reminder_id,
    )


def since(
    session: Session, recipient_id: int, after_id: int, limit: int = 50
) -> list[Notification]:
    """The recipient's notifications newer than ``after_id``, oldest first: what a page missed."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.recipient_id == recipient_id, Notification.id > after_id)
            .order_by(Notification.id)
            .limit(limit)
        )
    )


def latest_id(session: Session, recipient_id: int) -> int:
    """Id of the recipient's newest notification (0 for none): where a fresh page starts."""
    newest = session.scalar(
        select(Notification.id)
        .where(Notification.recipient_id == recipient_id)
        .order_by(Notification.id.desc())
        .limit(1)
    )
    return newest or 0


def unread_count(session: Session, recipient_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.recipient_id == recipient_id, Notification.read_at.is_(None))
        )
        or 0
    )


def tell(
    session: Session,
    key: str,
    employee: Employee,
    message: str,
    *,
    task_id: int | None = None,
    **params: object,
) -> bool:
    """Notify ``employee`` of ``message`` (marked with ``_``) in their language and zone."""
    text = translate_for(employee.locale, employee.timezone, message, **params)
    return notify(session, key, employee.id, text, task_id=task_id)


def list_inbox(
    session: Session, actor: Actor, *, unread: bool | None, page: int, page_size: int
) -> tuple[list[Notification], int]:
    stmt = (
        select(Notification)
        .where(Notification.recipient_id == actor.id)
        .order_by(Notification.id.desc())
    )
    if unread is not None:
        stmt = stmt.where(
            Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None)
        )
    return paginate(session, stmt, page, page_size)


def mark_read(session: Session, actor: Actor, notification_id: int) -> Notification:
    note = session.get(Notification, notification_id)
    if note is None or note.recipient_id != actor.id:
        raise NotFound("notification", notification_id)  # another's inbox is not even visible
    if note.read_at is None:
        note.read_at = utcnow()
    return note
