"""A refusal: the customer moves to the status the reference book marks as the refusal status,
with the reason. The one path for the calling loop's refusal outcomes and the sales process's
refusal step; renaming that status changes nothing here."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import InteractionStatus, RefusalReason
from services.crm.domain.errors import Invalid
from services.crm.domain.roles import Actor
from services.crm.handlers import subjects
from shared.config import Settings
from shared.db import table_of
from shared.i18n import _


def refusal_status(session: Session) -> InteractionStatus:
    """The status marked ``is_refusal``; Invalid when admins have marked none."""
    status = session.scalar(select(InteractionStatus).where(InteractionStatus.is_refusal))
    if status is None:
        raise Invalid("outcome", _("no interaction status is marked as the refusal status"))
    return status


def refuse(
    session: Session,
    actor: Actor,
    subject_kind: str,
    subject_id: int,
    reason: RefusalReason,
    note: str | None,
    settings: Settings,
) -> None:
    """Move the subject (a converted lead's counterparty) to the refusal status, the reason and
    the note in the status history; the callers have applied the ownership rule."""
    kind, subject = subjects.successor(session, subject_kind, subject_id)
    subjects.assign_status(
        session,
        actor,
        kind,
        subject,
        refusal_status(session).id,
        " ".join(filter(None, (f"refusal: {reason.name}.", note))),
        owner_checked=True,
        settings=settings,
    )


def mark(session: Session, status: InteractionStatus) -> None:
    """Make ``status`` the refusal status: the one marked before is unmarked first."""
    session.execute(
        table_of(InteractionStatus)
        .update()
        .where(InteractionStatus.is_refusal, InteractionStatus.id != status.id)
        .values(is_refusal=False)
    )
    status.is_refusal = True
