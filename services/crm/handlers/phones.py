"""The index of normalised phone numbers that calls from the exchange are matched by."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.crm.adapters.telephony import PhoneNumber
from services.crm.domain.phones import all_e164


def index(
    session: Session, owner_kind: str, owner_id: int, raws: Iterable[str | None], region: str
) -> None:
    """Replace the numbers indexed for one lead, contact person or employee.

    ``region`` is the configured ``PHONE_REGION`` of numbers written without a country code.
    """
    forget(session, owner_kind, owner_id)
    for number in sorted(all_e164(raws, region)):
        session.add(PhoneNumber(owner_kind=owner_kind, owner_id=owner_id, e164=number))
    session.flush()


def forget(session: Session, owner_kind: str, owner_id: int) -> None:
    """Drop the numbers indexed for one lead, contact person or employee."""
    session.execute(
        delete(PhoneNumber).where(
            PhoneNumber.owner_kind == owner_kind, PhoneNumber.owner_id == owner_id
        )
    )


def owners(session: Session, number: str) -> list[tuple[str, int]]:
    """Who has this E.164 number: (owner kind, id), employees first, then by id."""
    rows = session.execute(
        select(PhoneNumber.owner_kind, PhoneNumber.owner_id)
        .where(PhoneNumber.e164 == number)
        .order_by(PhoneNumber.owner_kind.desc(), PhoneNumber.owner_id)
    )
    return [(kind, id_) for kind, id_ in rows]
