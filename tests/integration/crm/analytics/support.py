"""Short-hands of the analytics tests: commands as the worker applies them, reports, read model."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.crm.analytics.adapters import deal_tables, tables
from services.crm.analytics.adapters.rebuild import rebuild
from shared.db import transaction
from tests.integration.crm.test_tasks import call_due, run_command

__all__ = ["call_due", "read_model", "rebuilt", "report", "rows_by", "run_command"]

READ_MODEL = (
    tables.ManagerDay,
    tables.Loss,
    tables.CustomerMonth,
    tables.CustomerMonthTotal,
    tables.CustomerSpan,
    tables.Customer,
    tables.GroupMonth,
    tables.CardMonth,
    deal_tables.DealDay,
    deal_tables.DealStageDay,
    deal_tables.DealStay,
    deal_tables.OpenDealDay,
    deal_tables.OpenPipeline,
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
