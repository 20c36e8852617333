"""The CRM's outbox relay: the shared relay bound to the crm.outbox table."""

from __future__ import annotations

from functools import partial

from services.crm.adapters.orm import OutboxMessage
from shared import outbox

Relay = partial(outbox.Relay, model=OutboxMessage)
pending_count = partial(outbox.pending_count, model=OutboxMessage)
