"""Stage of relationship of a buyer, from what the CRM holds today.

Orders and deals arrive in a later issue; until then the stage is read from the
subject's own record and its status history, with these rules, in this order:

- a lead converted into a counterparty has no stage of its own (``None``): its
  counterparty carries the relationship on;
- **dormant**: archived, or holding a status that generates no calls (Hopeless):
  nobody is going to call;
- **prospect**: any other lead (not converted, not given up);
- **new**: a counterparty created or converted within the last ``WINDOW``;
- **regular**: a counterparty in the loop of calls (its status generates calls) whose
  status history (its lead's included) goes back more than ``WINDOW``;
- **new** as well for a counterparty brought into the loop only within ``WINDOW``
  (first status assignment recent): the relationship itself is new;
- **dormant** for an older counterparty that never got a status: no calls, no contact.

When orders exist, "regular" should mean "bought repeatedly" and "dormant" "no
order for a long time"; the callers only need ``BuyerFacts`` to grow.
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


def stage_of(facts: BuyerFacts, now: datetime) -> Stage | None:
    """The stage of relationship of one buyer at ``now`` (rules in the module docstring)."""
    if facts.kind == "lead" and facts.converted:
        return None
    if facts.archived or facts.status_generates_calls is False:
        return Stage.DORMANT
    if facts.kind == "lead":
        return Stage.PROSPECT
    since = now - WINDOW
    if facts.created_at >= since:
        return Stage.NEW
    if facts.status_generates_calls is None or facts.first_status_at is None:
        return Stage.DORMANT
    return Stage.REGULAR if facts.first_status_at < since else Stage.NEW
