"""Deals at scale: GET of a deal's timeline with 1,000 entries, and a listing by stage over
100k deals, through the API (in-process, JSON) on a throw-away database.

    .venv/bin/python bench/deals.py
    .venv/bin/python bench/deals.py --deals 100000 --entries 1000 --repeat 50

The timeline is one UNION ALL over its sources, each narrowed by an index (the deal's id or its
counterparties), ordered and paged in the database; the listing reads ix_deals_stage_state
(newest first) and counts the stage's deals for the pager.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.figures import latency_line  # noqa: E402
from services.crm.domain.roles import Actor, Role  # noqa: E402
from services.crm.entrypoints.api.app import create_app  # noqa: E402
from services.crm.handlers import counterparties, deal_kinds, partners  # noqa: E402
from shared.db import make_engine, make_session_factory, transaction  # noqa: E402
from tests import factories  # noqa: E402
from tests.sandbox import sandbox  # noqa: E402

STAGES = 5


def build(sessions, owner, settings, deals: int, entries: int) -> dict:
    """Employees, one kind, ``deals`` deals over its stages; one deal with ``entries`` entries."""
    admin_id, admin_token = factories.employee(sessions, "admin")
    manager_id, manager_token = factories.employee(sessions, "manager", department="Sales")
    others = [factories.employee(sessions, "manager", department=f"D{i}")[0] for i in range(19)]
    boss = Actor(admin_id, Role.ADMIN)
    with transaction(sessions) as session:
        partner = partners.create_partner(session, boss, {"name": "Globex"})
        customer = counterparties.create_counterparty(
            session,
            boss,
            {"name": "Globex LLC", "partner_id": partner.id, "kind": "legal_entity"},
            settings,
        )
        stages = [{"code": f"s{i}", "name": f"Stage {i}"} for i in range(STAGES)]
        kind = deal_kinds.create_kind(
            session, boss, {"name": "Bench", "mode": "manual", "stages": stages}
        )
        stage_ids = [s.id for s in deal_kinds.stages_of(session, kind.id)]
    managers = [manager_id, *others]
    quarter = entries // 4
    with owner.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO crm.deals (customer_id, name, responsible_id, kind_id, stage_id, "
                "stage_entered_at, state, amount, counterparty_id) "
                "SELECT :partner, 'Deal ' || g, (:managers)[1 + (g / 7) % 20], :kind, "
                "(:stages)[1 + g % :n], now(), "
                "CASE WHEN (g / 20) % 10 = 0 THEN 'won' WHEN (g / 20) % 10 = 1 THEN 'cancelled' "
                "ELSE 'in_progress' END, g % 1000, :customer "
                "FROM generate_series(1, :deals) g"
            ),
            {
                "partner": partner.id,
                "managers": managers,
                "kind": kind.id,
                "stages": stage_ids,
                "n": STAGES,
                "customer": customer.id,
                "deals": deals,
            },
        )
        deal_id = conn.scalar(
            text(
                "SELECT max(id) FROM crm.deals WHERE responsible_id = :m AND state = 'in_progress'"
            ),
            {"m": manager_id},
        )
        conn.execute(
            text("UPDATE crm.deals SET created_at = now() - interval '30 days' WHERE id = :d"),
            {"d": deal_id},
        )
        # A quarter each: interactions, tasks (created and completed: two entries each, so an
        # eighth), stage changes, orders of the deal's counterparty.
        conn.execute(
            text(
                "INSERT INTO crm.interactions (kind, direction, topic, responsible_id, state, "
                "started_at, deal_id) SELECT 'call', 'outgoing', 'Call ' || g, :m, 'completed', "
                "now() - g * interval '1 minute', :d FROM generate_series(1, :n) g"
            ),
            {"m": manager_id, "d": deal_id, "n": quarter},
        )
        conn.execute(
            text(
                "INSERT INTO crm.tasks (kind, title, assignee_id, state, due_at, completed_at, "
                "outcome, deal_id, created_at) SELECT 'other', 'Task ' || g, :m, 'done', now(), "
                "now() - g * interval '30 seconds', 'done', :d, now() - g * interval '1 minute' "
                "FROM generate_series(1, :n) g"
            ),
            {"m": manager_id, "d": deal_id, "n": quarter // 2},
        )
        conn.execute(
            text(
                "INSERT INTO crm.deal_stage_history (deal_id, from_stage_id, to_stage_id, to_state, "
                "changed_at, changed_by_id, responsible_id, seconds_spent) SELECT :d, :a, :b, "
                "'in_progress', now() - g * interval '2 minutes', :m, :m, 60 "
                "FROM generate_series(1, :n) g"
            ),
            {"d": deal_id, "a": stage_ids[0], "b": stage_ids[1], "m": manager_id, "n": quarter},
        )
        conn.execute(
            text(
                "INSERT INTO crm.orders (counterparty_id, status, author_id, created_at) "
                "SELECT :c, 'approved', :m, now() - g * interval '3 minutes' "
                "FROM generate_series(1, :n) g"
            ),
            {"c": customer.id, "m": manager_id, "n": entries - 3 * quarter},
        )
    with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return {
        "admin": admin_token,
        "manager": manager_token,
        "deal": deal_id,
        "stage": stage_ids[2],
    }


def timed(client, url: str, token: str, repeat: int, query: dict) -> tuple[list[float], Any]:
    headers = {"Authorization": f"Bearer {token}"}
    client.get(url, headers=headers, query_string=query)  # warm: the first request's set-up
    ms, last = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        last = client.get(url, headers=headers, query_string=query)
        ms.append((time.perf_counter() - started) * 1000)
        assert last.status_code == 200, last.json
    return ms, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with sandbox("crm_bench") as settings:
        engine = make_engine(settings.database_url, pool_size=5)
        owner = make_engine(settings.migration_database_url)
        started = time.perf_counter()
        made = build(make_session_factory(engine), owner, settings, args.deals, args.entries)
        print(
            f"{args.deals} deals, a timeline of {args.entries} entries, written in "
            f"{time.perf_counter() - started:.1f} s"
        )
        client = create_app(settings).test_client()
        url = f"/api/deals/{made['deal']}/timeline"
        for label, query in (
            ("first page of 100", {"page_size": 100}),
            ("last page of 100", {"page_size": 100, "page": args.entries // 100}),
        ):
            ms, last = timed(client, url, made["manager"], args.repeat, query)
            total = last.headers.get("X-Pagination", "")
            print(f"GET timeline, {label} ({total}): {latency_line(ms)}")
        for who in ("admin", "manager"):
            query = {"stage_id": made["stage"], "state": "in_progress", "page_size": 50}
            ms, last = timed(client, "/api/deals", made[who], args.repeat, query)
            total = last.headers.get("X-Pagination", "")
            print(f"GET deals by stage as {who} ({total}): {latency_line(ms)}")
        engine.dispose()
        owner.dispose()


if __name__ == "__main__":
    main()
