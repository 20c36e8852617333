"""The CRM worker's actors: commands other services and systems send to the CRM.

Run with ``dramatiq services.crm.entrypoints.actors --queues crm``.
"""

from __future__ import annotations

from functools import cache

import dramatiq
from sqlalchemy.orm import Session, sessionmaker

from services.crm.adapters.orm import InboxMessage
from services.crm.domain.errors import DomainError
from services.crm.handlers import subjects
from shared import config, logs
from shared.broker import ensure_broker
from shared.contracts import CRM, parse
from shared.db import first_delivery, make_engine, make_session_factory, transaction
from shared.deadletter import reject

broker = ensure_broker()
logs.configure("crm-worker", config.load().log_level)


@cache
def sessions() -> sessionmaker[Session]:
    return make_session_factory(make_engine(config.load().database_url))


@dramatiq.actor(queue_name=CRM, envelope=True, max_retries=10)
def assign_status(message: dict) -> None:
    """AssignStatus: another system sets a lead's or counterparty's interaction status."""
    env, data = parse(message)
    try:
        with transaction(sessions()) as session:
            if first_delivery(session, InboxMessage, env["message_id"]):
                subjects.assign_status(
                    session,
                    None,
                    data["subject_kind"],
                    data["subject_id"],
                    data["status_id"],
                    data.get("reason"),
                )
    except DomainError as exc:
        reject(str(exc))  # an unknown subject or status will not appear by retrying
