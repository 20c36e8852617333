"""Timers the CRM asked the scheduler for, coming back: ``payload.kind`` names the handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from services.crm.analytics.handlers import claims
from services.crm.handlers import deal_moves
from shared.messages import TimerFired

log = logging.getLogger(__name__)

TimerHandler = Callable[[Session, dict[str, Any], dict[str, Any]], None]
# handler(session, envelope, payload) per kind of timer the CRM sets.
HANDLERS: dict[str, TimerHandler] = {
    "claim_deadline": claims.deadline_passed,
    "deal_stalled": deal_moves.stalled,
    "deal_stall_head": deal_moves.stall_escalated,
}


def on_timer_fired(session: Session, env: dict[str, Any], message: TimerFired) -> None:
    """TimerFired: a moment the CRM waited for has come."""
    handler = HANDLERS.get(message.payload.get("kind", ""))
    if handler is None:
        # Nothing to retry: a timer of a kind this version does not handle is logged, not kept.
        log.warning("timer of an unknown kind", extra={"key": message.key})
        return
    handler(session, env, message.payload)
