"""Stage of relationship of a buyer, from its record, its status history and its orders.

The rules, in this order:

- a lead converted into a counterparty has no stage of its own (``None``): its
  counterparty carries the relationship on;
- **dormant**: archived: nobody is going to call;
- a counterparty that has bought (orders that reached execution) is **dormant** when its
  last order is older than ``DORMANT_AFTER``, else **regular** after two orders or more,
  else **new**: buying says more than the loop of calls;
- **dormant**: holding a status that generates no calls (Hopeless);
- **prospect**: any other lead (not converted, not given up);
- **new**: a counterparty created or converted within the last ``WINDOW``;
- **regular**: a counterparty in the loop of calls (its status generates calls) whose
  status history (its lead's included) goes back more than ``WINDOW``;
- **new** as well for a counterparty brought into the loop only within ``WINDOW``
  (first status assignment recent): the relationship itself is new;
- **dormant** for an older counterparty that never got a status: no calls, no contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Stage(StrEnum):
    PROSPECT = "prospect"
    NEW = "new"
    REGULAR = "regular"
    DORMANT = "dormant"


WINDOW = timedelta(days=90)
DORMANT_AFTER = timedelta(days=180)


@dataclass(frozen=True)
class BuyerFacts:
    """What the rules look at for one lead or counterparty."""

    kind: str  # "lead" or "counterparty"
    archived: bool
    converted: bool  # a lead that became a counterparty
    created_at: datetime
    # None when the subject holds no status; else whether that status generates calls.
    status_generates_calls: bool | None
    # Oldest status assignment of the subject (for a counterparty, its lead's included).
    first_status_at: datetime | None
    # Orders that reached execution, and when the last one did.
    orders: int = 0
    last_order_at: datetime | None = None


def stage_of(facts: BuyerFacts, now: datetime) -> Stage | None:
    """The stage of relationship of one buyer at ``now`` (rules in the module docstring)."""
    if facts.kind == "lead" and facts.converted:
        return None
    if facts.archived:
        return Stage.DORMANT
    if facts.orders and facts.last_order_at is not None:
        if facts.last_order_at < now - DORMANT_AFTER:
            return Stage.DORMANT
        return Stage.REGULAR if facts.orders >= 2 else Stage.NEW
    if facts.status_generates_calls is False:
        return Stage.DORMANT
    if facts.kind == "lead":
        return Stage.PROSPECT
    since = now - WINDOW
    if facts.created_at >= since:
        return Stage.NEW
    if facts.status_generates_calls is None or facts.first_status_at is None:
        return Stage.DORMANT
    return Stage.REGULAR if facts.first_status_at < since else Stage.NEW
