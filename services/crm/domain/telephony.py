"""A call as the cloud telephone exchange reports it, whatever the exchange's own format.

Each exchange's webhook (services/crm/adapters/exchanges.py) is read into :class:`CallEvent`;
the rules here say how one event moves the call's state, so events that arrive twice or
out of order (an exchange retries; "ended" may overtake "answered") end in the same state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.crm.domain.errors import Invalid

STARTED, ANSWERED, ENDED = "started", "answered", "ended"
EVENTS = (STARTED, ANSWERED, ENDED)
INCOMING, OUTGOING = "incoming", "outgoing"
# The state a call's log row is in, in the order a call moves through them.
RINGING, TALKING, FINISHED, MISSED = "ringing", "answered", "ended", "missed"
ORDER = {RINGING: 0, TALKING: 1, FINISHED: 2, MISSED: 2}


class BadPayload(Invalid):
    """A webhook that does not describe a call: 422 naming the field."""


@dataclass(frozen=True)
class CallEvent:
    """One moment of one call: started (ringing), answered or ended."""

    exchange: str
    call_id: str
    event: str
    direction: str
    external_number: str | None  # the customer's side: the caller, or whom we called
    line_number: str | None = None  # the company's number the call came in on or went out by
    extension: str | None = None
    at: datetime | None = None
    duration_seconds: int | None = None
    answered: bool | None = None  # on "ended": whether anyone talked
    recording_url: str | None = None

    def __post_init__(self) -> None:
        if not self.call_id or len(self.call_id) > 200:
            raise BadPayload("call_id", "required, at most 200 characters")
        if self.event not in EVENTS:
            raise BadPayload("event", f"must be one of: {', '.join(EVENTS)}")
        if self.direction not in (INCOMING, OUTGOING):
            raise BadPayload("direction", "must be incoming or outgoing")
        if self.duration_seconds is not None and not 0 <= self.duration_seconds < 10**7:
            raise BadPayload("duration", "must be a number of seconds")


def state_after(state: str | None, event: CallEvent) -> str:
    """The call's state once ``event`` is applied; a later state is never undone."""
    new = {STARTED: RINGING, ANSWERED: TALKING}.get(event.event)
    if new is None:
        talked = event.answered if event.answered is not None else state == TALKING
        new = FINISHED if talked or (event.duration_seconds or 0) > 0 else MISSED
    if state is not None and ORDER[state] >= ORDER[new]:
        return state
    return new
