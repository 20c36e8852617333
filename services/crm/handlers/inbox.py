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
from shared.db import table_of, utcnow
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
    note = {
        "key": key,
        "recipient_id": recipient_id,
        "text": text,
        "task_id": task_id,
        "reminder_id": reminder_id,
    }
    return bool(notify_many(session, [note]))


_notes = table_of(Notification)
# Built once: on the calling loop's path its construction cost more than the insert.
_NOTIFY = (
    insert(_notes).on_conflict_do_nothing(index_elements=["key"]).returning(_notes.c.recipient_id)
)


def notify_many(session: Session, notes: list[dict[str, Any]]) -> int:
    """Put notifications in the inbox in one statement, each unless one with its ``key`` is
    there; how many were added.

    Each note: ``key``, ``recipient_id``, ``text``, ``task_id``, ``reminder_id``.
    """
    if not notes:
        return 0
    added = session.scalars(_NOTIFY, notes).all()
    if added:
        session.info.setdefault(NOTIFIED, set()).update(added)
    return len(added)


def deliver_in_app(session: Session, env: dict[str, Any], command: DeliverInApp) -> None:
    """DeliverInApp: the notifier puts a reminder or an escalation in the recipient's inbox."""
    deliver_many(session, [command])


def deliver_many(session: Session, commands: list[DeliverInApp]) -> None:
    """DeliverInApp for many commands at once, in one statement."""
    notify_many(
        session,
        [
            {
                "key": c.key,
                "recipient_id": c.recipient_id,
                "text": c.text,
                "task_id": c.task_id,
                "reminder_id": c.reminder_id,
            }
            for c in commands
        ],
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
    return bool(tell_many(session, [(key, employee, message, task_id, params)]))


# One notification of tell_many: key, employee, message (marked with ``_``), task id, params.
Told = tuple[str, Employee, str, int | None, dict[str, object]]


def tell_many(session: Session, notes: list[Told]) -> int:
    """:func:`tell` for many notifications in one statement; how many were added."""
    return notify_many(
        session,
        [
            {
                "key": key,
                "recipient_id": employee.id,
                "text": translate_for(employee.locale, employee.timezone, message, **params),
                "task_id": task_id,
                "reminder_id": None,
            }
            for key, employee, message, task_id, params in notes
        ],
    )


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
