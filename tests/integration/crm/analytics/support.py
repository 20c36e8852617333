"""Short-hands of the analytics tests: commands as the worker applies them, reports, read model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from services.crm.analytics.adapters import tables
from services.crm.analytics.adapters.rebuild import rebuild
from shared.contracts import envelope, parse
from shared.db import transaction

READ_MODEL = (
    tables.ManagerDay,
    tables.Loss,
    tables.CustomerMonth,
    tables.Customer,
    tables.GroupMonth,
    tables.CardMonth,
)


def run_command(sessions, type_: str, data: dict[str, Any]) -> Any:
    """Apply a command as the CRM worker does, with the data loaded through its contract."""
    from services.crm.entrypoints.actors import HANDLERS

    env, loaded = parse(envelope(type_, data))
    with transaction(sessions) as session:
        return HANDLERS[type_](session, env, loaded)


def call_due(sessions, assignee_id: int, lead_id: int, due_at: datetime, plan_id: int) -> None:
    """The notifier's CreateTask for a due call of a lead in the loop (status 1, Hot)."""
    run_command(
        sessions,
        "CreateTask",
        {
            "key": f"call:{plan_id}:{due_at.isoformat()}",
            "kind": "call",
            "assignee_id": assignee_id,
            "subject_kind": "lead",
            "subject_id": lead_id,
            "due_at": due_at.isoformat(),
            "plan_id": plan_id,
            "status_id": 1,
        },
    )


def report(client, path: str, expect: int = 200, **query: Any) -> dict[str, Any]:
    r = client.get(f"/api/analytics/{path}", query_string=query)
    assert r.status_code == expect, r.json
    return r.json


def rows_by(result: dict[str, Any], key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in result["rows"]}


def read_model(sessions) -> dict[str, set[tuple]]:
    """Every aggregate row (without surrogate ids), per table."""
    found = {}
    with sessions() as session:
        for model in READ_MODEL:
            columns = [c for c in model.__table__.c if c.key != "id"]
            found[model.__tablename__] = set(session.execute(select(*columns)).all())
    return found


def rebuilt(sessions) -> dict[str, set[tuple]]:
    """The read model as recomputed from the history."""
    with transaction(sessions) as session:
        rebuild(session)
    return read_model(sessions)
