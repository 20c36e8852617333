"""The in-app inbox: notifications for one employee, delivered once per key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Employee
from services.crm.adapters.work import Notification
from services.crm.domain.errors import NotFound
from services.crm.domain.roles import Actor
from services.crm.handlers.common import paginate
from shared.db import utcnow
from shared.i18n import translate


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
    return session.execute(stmt).first() is not None


def tell(
    session: Session,
    key: str,
    employee: Employee,
    message: str,
    *,
    task_id: int | None = None,
    **params: object,
) -> bool:
    """Notify ``employee`` of ``message`` (marked with ``_``) in their own language."""
    # The employee's language setting arrives with the workspace; until then, English.
    text = translate(getattr(employee, "locale", None), message, **params)
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
