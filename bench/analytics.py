"""Reports over the read model against the same figures computed from the raw history.

Generates the history at scale on a throw-away database (bench/analytics_data.py), then
for each report times requests through the API (in-process, JSON) with varied filters and
readers while a writer keeps adding facts, times the same figures computed from the raw
history in the same run, and measures the freshness lag: commit of a fact -> the first
report that shows it.

    .venv/bin/python bench/analytics.py                       # small (the default)
    .venv/bin/python bench/analytics.py --interactions 10000000 --orders 1000000 --managers 200

Targets at full size: p95 <= 300 ms per report, >= 10x faster than from the raw history,
figures at most 5 s behind. Deals: --deals 1000000 gives about 5M stage changes for the
funnel and the bottlenecks (their raw figures: the aggregates computed from the stage history,
and exact percentiles over it). The writer measures freshness on calls (the managers' report),
on deals (a stage change: the funnel and the bottlenecks) and on orders (the whole company's
ABC/XYZ, read from the buyers' ranks, which a process of the bench keeps as crm-relay does).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from bench.analytics_data import Sizes, generate  # noqa: E402
from bench.figures import percentile  # noqa: E402
from services.crm.adapters.deals import DealKind  # noqa: E402
from services.crm.adapters.orm import Counterparty, Employee, Partner  # noqa: E402
from services.crm.adapters.sales import Item  # noqa: E402
from services.crm.analytics.adapters.rebuild import HISTORY, params  # noqa: E402
from services.crm.analytics.api.reports import PATHS  # noqa: E402
from services.crm.analytics.domain.periods import Period, add_months, month_of  # noqa: E402
from services.crm.analytics.domain.scope import Scope  # noqa: E402
from services.crm.analytics.handlers import customers, loyalty, ranks, recorder, spans  # noqa: E402
from services.crm.analytics.handlers.customer_sql import Sources  # noqa: E402
from services.crm.analytics.handlers.scope import Filters  # noqa: E402
from services.crm.domain.roles import Actor, Role  # noqa: E402
from services.crm.domain.tasks import Completion  # noqa: E402
from services.crm.entrypoints.api.app import create_app  # noqa: E402
from services.crm.handlers import deal_moves, deals, leads, outcomes, tasks  # noqa: E402
from services.crm.handlers.employees import issue_token  # noqa: E402
from shared import config  # noqa: E402
from shared.db import make_engine, make_session_factory, transaction, utcnow  # noqa: E402
from tests import factories  # noqa: E402
from tests.sandbox import sandbox  # noqa: E402

PAUSE = 0.2  # seconds between the writer's facts: five calls planned and made a second
POLL = 0.1  # seconds between the writer's requests for the whole company's ABC/XYZ
ORDER = "100.00"  # the amount of each of the writer's orders

REPORTS = tuple(PATHS)


def raw(table: str) -> str:
    return f"({HISTORY[table]})"


RAW_MONTHS = Sources(raw("analytics_customer_months"), raw("analytics_customer_month_totals"))
HOLDERS = (
    "card_id IN (SELECT lc.id FROM crm.loyalty_cards lc JOIN crm.counterparties c "
    "ON c.id = lc.counterparty_id WHERE c.responsible_id = ANY(:ids))"
)


def _sums(
    table: str, key: str, columns: str, month: bool = False, whose: str = "manager_id = ANY(:ids)"
) -> Callable:
    """The report's sums straight from the history: the aggregate computed, then filtered."""
    column = "month" if month else "day"

    def run(session, filters: Filters) -> Any:
        first, last = filters.period.months if month else (filters.period.start, filters.period.end)
        scope = f"AND {whose}" if filters.manager_ids is not None else ""
        sql = (
            f"SELECT {key}, {columns} FROM {raw(table)} h "
            f"WHERE {column} BETWEEN :first AND :last {scope} GROUP BY {key}"
        )
        values = {**params(), "first": first, "last": last, "ids": filters.manager_ids}
        return session.execute(text(sql), values).all()

    return run


def _bcg(session, filters: Filters) -> Any:
    sums = _sums("analytics_group_months", "group_id", "sum(revenue)", month=True)
    previous = Filters(filters.period.previous(), None, filters.scope, filters.manager_ids)
    return sums(session, filters), sums(session, previous)


def _funnel(session, filters: Filters) -> Any:
    stages = _sums(
        "analytics_deal_stage_days",
        "stage_id",
        "sum(reached), sum(reached_in_order), sum(dropped), sum(stays), sum(stay_seconds)",
    )
    deals = _sums(
        "analytics_deal_days",
        "kind_id",
        "sum(opened), sum(won), sum(lost), sum(won_amount), sum(cycle_seconds)",
    )
    scope = "WHERE manager_id = ANY(:ids)" if filters.manager_ids is not None else ""
    pipeline = (  # open now: the period does not apply
        f"SELECT month, sum(deals), sum(amount), sum(weighted) "
        f"FROM {raw('analytics_open_pipeline')} h {scope} GROUP BY month"
    )
    open_now = session.execute(text(pipeline), {"ids": filters.manager_ids}).all()
    return stages(session, filters), deals(session, filters), open_now


def _stage_times(session, filters: Filters) -> Any:
    """Time in stage straight from the stage history: exact percentiles of the stays ended in
    the months of the period."""
    first, last = filters.period.months
    scope = "AND h.responsible_id = ANY(:ids)" if filters.manager_ids is not None else ""
    sql = f"""
        SELECT h.from_stage_id, count(*),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY h.seconds_spent),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY h.seconds_spent),
               max(h.seconds_spent)
        FROM crm.deal_stage_history h
        WHERE h.from_stage_id IS NOT NULL AND h.changed_at >= :first
          AND h.changed_at < CAST(:last AS date) + interval '1 month' {scope}
        GROUP BY h.from_stage_id"""
    values = {"first": first, "last": last, "ids": filters.manager_ids}
    return session.execute(text(sql), values).all()


RAW: dict[str, Callable] = {
    "managers": _sums(
        "analytics_manager_days",
        "manager_id",
        "sum(planned_calls), sum(calls_made), sum(calls_on_time), sum(tasks_overdue), "
        "sum(first_contacts), sum(first_contacts_in_time), sum(first_contact_seconds)",
    ),
    "lost": _sums("analytics_losses", "reason_id", "sum(count)"),
    "abc-xyz": lambda s, f: customers.abc_xyz(s, f, source=RAW_MONTHS),
    "dormant-customers": lambda s, f: customers.dormant(s, f, source=raw("analytics_customers")),
    "loyalty": lambda s, f: loyalty.loyalty(s, f, source=RAW_MONTHS),
    "rfm": lambda s, f: loyalty.rfm(s, f, source=RAW_MONTHS),
    "bcg": _bcg,
    "loyalty-cards": _sums(
        "analytics_card_months", "card_id", "sum(orders), sum(amount)", month=True, whose=HOLDERS
    ),
    "funnel": _funnel,
    "bottlenecks": _stage_times,
}


class Readers:
    """Who asks, and the filters they ask with: an admin (everyone), a head, a manager."""

    def __init__(self, sessions, today: date):
        with transaction(sessions) as session:
            head = session.scalar(
                select(Employee).where(
                    Employee.role == "head_of_sales", Employee.department == "Dept 1"
                )
            )
            manager = session.scalar(
                select(Employee).where(Employee.role == "manager", Employee.department == "Dept 1")
            )
            department = list(
                session.scalars(select(Employee.id).where(Employee.department == "Dept 1"))
            )
            self.tokens = {
                "admin": factories.employee(sessions, "admin")[1],
                "head": issue_token(session, None, head.id),
                "manager": issue_token(session, None, manager.id),
            }
        year = Period(add_months(month_of(today), -11), today)
        quarter = Period(add_months(month_of(today), -2), today)
        self.variants: list[tuple[Any, ...]] = [
            ("admin", year, {}, Scope(), None),
            ("admin", quarter, {}, Scope(), None),
            ("head", year, {}, Scope("Dept 1"), department),
            ("manager", year, {}, Scope("Dept 1", manager.id), [manager.id]),
        ]

    def query(self, period: Period, report: str) -> dict[str, str]:
        if report == "dormant-customers":
            return {"to": str(period.end)}
        return {"from": str(period.start), "to": str(period.end)}


def time_reports(client, readers: Readers, repeat: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    for report in REPORTS:
        ms = timings.setdefault(report, [])
        warm_up = {"Authorization": f"Bearer {readers.tokens['admin']}"}
        client.get(f"/api/analytics/{report}", headers=warm_up)
        for reader, period, extra, _, _ in itertools.islice(
            itertools.cycle(readers.variants), repeat
        ):
            headers = {"Authorization": f"Bearer {readers.tokens[reader]}"}
            started = time.perf_counter()
            r = client.get(
                f"/api/analytics/{report}",
                query_string={**readers.query(period, report), **extra},
                headers=headers,
            )
            ms.append((time.perf_counter() - started) * 1000)
            assert r.status_code == 200, (report, r.status_code, r.get_data(as_text=True)[:300])
    return timings


def time_raw(sessions, readers: Readers, repeat: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    for report in REPORTS:
        ms = timings.setdefault(report, [])
        for _, period, _, scope, ids in itertools.islice(itertools.cycle(readers.variants), repeat):
            filters = Filters(period, None, scope, ids)
            with sessions() as session:
                started = time.perf_counter()
                RAW[report](session, filters)
                ms.append((time.perf_counter() - started) * 1000)
    return timings


def _shown(
    client, headers, url: str, seen: Callable[[dict], Any], made: Any, committed, pause=0.0
) -> float:
    """Poll ``url`` until ``seen`` of its answer reaches ``made``: milliseconds since commit."""
    while seen(client.get(url, headers=headers).json) < made:
        time.sleep(pause)
    return (time.perf_counter() - committed) * 1000


def _calls(rows: dict) -> int:
    return rows["rows"][0]["calls_made"]


def _reached_second(funnel: dict) -> int:
    return next(r["reached"] for r in funnel["rows"] if r["code"] == "s2")


def _stays(bottlenecks: dict) -> int:
    return sum(r["stays"] for r in bottlenecks["rows"])


def _revenue(abc: dict) -> Decimal:
    return Decimal(abc["revenue"])


def write(database_url: str, ids: dict[str, int], tokens: dict[str, str], stop, lags) -> None:
    """In a process of its own: commit facts through the use cases, and after each commit poll
    the reports until they show it. Calls: a call task planned, then made (the managers'
    report). Deals: a deal opened in the first stage, then moved to the second (a stage
    change: the second stage reached in the funnel, a stay ended in the bottlenecks). Orders:
    one reaching execution, as the recorder adds it (the whole company's ABC/XYZ, from the
    buyers' ranks once the ranks loop has seen it)."""
    settings = replace(config.load(), database_url=database_url)
    app = create_app(settings)
    client, sessions = app.test_client(), app.extensions["crm.sessions"]
    headers = {"Authorization": f"Bearer {tokens['manager']}"}
    company = {"Authorization": f"Bearer {tokens['admin']}"}
    revenue = _revenue(client.get("/api/analytics/abc-xyz", headers=company).json)
    manager_id, kind_id = ids["manager"], ids["kind"]
    actor = Actor(manager_id, Role.MANAGER, "Dept 9")
    mine = f"manager_id={manager_id}&kind_id={kind_id}"
    for made in itertools.count(1):
        if stop.is_set():
            break
        # Due now: a call due later could fall on tomorrow's UTC day, past the report's period.
        fields = {"kind": "call", "assignee_id": manager_id, "due_at": utcnow()}
        with transaction(sessions) as session:
            task = tasks.create_task(
                session, actor, {**fields, "subject_kind": "lead", "subject_id": ids["lead"]}
            )
        with transaction(sessions) as session:
            outcomes.complete_task(
                session,
                actor,
                task.id,
                Completion("talked", "bench"),
                settings=settings,
            )
        committed = time.perf_counter()
        url = f"/api/analytics/managers?manager_id={manager_id}"
        lags.put(("managers", _shown(client, headers, url, _calls, made, committed)))
        deal = {"name": "Writer's deal", "kind_id": kind_id, "customer_id": ids["customer"]}
        with transaction(sessions) as session:
            deal_id = deals.open_deal(session, actor, deal).id
        with transaction(sessions) as session:
            deal_moves.move(session, actor, deal_id, {"to": "s2"}, deal_moves.StallPolicy())
        committed = time.perf_counter()
        for report, seen in (("funnel", _reached_second), ("bottlenecks", _stays)):
            url = f"/api/analytics/{report}?{mine}"
            lags.put((report, _shown(client, headers, url, seen, made, committed)))
        with transaction(sessions) as session:
            order = factories.routed_order(
                session, ids["buyer"], [(ids["item"], "1", ORDER)], utcnow()
            )
            recorder.order_routed(session, order)
        committed, revenue = time.perf_counter(), revenue + Decimal(ORDER)
        # Polled less eagerly: the whole company's ABC/XYZ costs more than one manager's figures.
        url = "/api/analytics/abc-xyz"
        lags.put(("abc-xyz", _shown(client, company, url, _revenue, revenue, committed, POLL)))
        time.sleep(PAUSE)
    app.extensions["crm.engine"].dispose()


def start_writer(settings, sessions, admin_token: str):
    """The writing process, on a manager, a lead and the bench's deal kind of its own, and
    orders of one buyer."""
    manager_id, token = factories.employee(sessions, "manager", department="Dept 9")
    with transaction(sessions) as session:
        actor = Actor(manager_id, Role.MANAGER, "Dept 9")
        fields = {"name": "Writer's lead", "responsible_id": manager_id}
        ids = {
            "manager": manager_id,
            "lead": leads.create_lead(session, actor, fields, settings).id,
            "kind": session.scalar(select(func.max(DealKind.id))),
            "customer": session.scalar(select(func.min(Partner.id))),
            "buyer": session.scalar(select(func.min(Counterparty.id))),
            "item": session.scalar(select(func.min(Item.id))),
        }
    context = multiprocessing.get_context("spawn")
    stop, lags = context.Event(), context.Queue()
    tokens = {"manager": token, "admin": admin_token}
    process = context.Process(target=write, args=(settings.database_url, ids, tokens, stop, lags))
    process.start()
    return process, stop, lags


class Refreshes(logging.Handler):
    """The ranks loop's log of each refresh that wrote rows: how long it took, in ms."""

    def __init__(self, durations) -> None:
        super().__init__(logging.DEBUG)
        self.durations = durations

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "buyers' ranks refreshed":
            self.durations.put(record.__dict__["seconds"] * 1000)  # the log record's extra


def keep_ranks(database_url: str, stop, durations) -> None:
    """In a process of its own, as in ``crm-relay``: the loop that keeps the buyers' ranks."""
    settings = replace(config.load(), database_url=database_url)
    engine = make_engine(database_url, pool_size=1)
    ranks.log.setLevel(logging.DEBUG)
    ranks.log.addHandler(Refreshes(durations))
    ranks.keep(make_session_factory(engine), settings.ranks_refresh_seconds, stop)
    engine.dispose()


def start_ranks(settings):
    context = multiprocessing.get_context("spawn")
    stop, durations = context.Event(), context.Queue()
    process = context.Process(target=keep_ranks, args=(settings.database_url, stop, durations))
    process.start()
    return process, stop, durations


def line(name: str, ms: list[float]) -> str:
    return f"p50 {statistics.median(ms):8.1f} ms   p95 {percentile(ms, 0.95):8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=50_000)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--managers", type=int, default=20)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--deals", type=int, default=10_000, help="stage changes: about 5x")
    parser.add_argument("--repeat", type=int, default=40, help="requests per report")
    args = parser.parse_args()
    sizes = Sizes(args.interactions, args.orders, args.managers, args.months, args.deals)

    with sandbox("crm_bench") as settings:
        engine = make_engine(settings.database_url, pool_size=10)
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        with transaction(sessions) as session:
            counts = generate(session, sizes)
        with transaction(sessions) as session:  # as the routine does within minutes
            counts |= {"customer spans": spans.shift(session, utcnow().date())["rows"]}
        counts |= {"customer ranks": ranks.refresh_in(sessions)["rows"]}  # the loop's first
        # As the tables' owner: the service's role may not vacuum them (PostgreSQL skips them
        # with a warning), which left the planner without statistics and the index-only
        # scans reading the table for lack of a visibility map.
        owner = make_engine(settings.migration_database_url)
        with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        owner.dispose()
        print(f"history written and read model rebuilt in {time.perf_counter() - started:.1f} s:")
        print("  " + ", ".join(f"{table} {n}" for table, n in counts.items()))

        app = create_app(settings)
        readers = Readers(sessions, utcnow().date())
        ranking, stop_ranking, refreshes = start_ranks(settings)
        writer, stop, queue = start_writer(settings, sessions, readers.tokens["admin"])
        lags = [queue.get(timeout=120)]  # the writer is up and writing
        timed = time_reports(app.test_client(), readers, args.repeat)
        from_history = time_raw(sessions, readers, max(args.repeat // 4, 4))
        stop.set()
        writer.join()
        stop_ranking.set()
        ranking.join()
        refreshed = []
        while not refreshes.empty():
            refreshed.append(refreshes.get())
        while not queue.empty():
            lags.append(queue.get())

        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        # Per round: a call planned and made, a deal opened and moved, an order; four lags.
        facts = 5 * len(lags) // 4
        print(f"\nreports while writes go on ({facts} facts committed meanwhile; load {load}):")
        print(
            f"  {'report':<18} {'through the API (read model)':<34} {'from the raw history':<34} ratio p50/p95"
        )
        for report in REPORTS:
            ours, theirs = timed[report], from_history[report]
            ratio50 = statistics.median(theirs) / statistics.median(ours)
            ratio95 = percentile(theirs, 0.95) / percentile(ours, 0.95)
            print(
                f"  {report:<18} {line(report, ours):<34} {line(report, theirs):<34} {ratio50:5.1f}x / {ratio95:5.1f}x"
            )
        print(
            "\nfreshness: commit of a fact -> first report showing it (calls: a call made; deals: a stage change; orders: an order routed):"
        )
        for report in ("managers", "funnel", "bottlenecks", "abc-xyz"):
            ms = [lag for shown, lag in lags if shown == report]
            print(
                f"  {report:<18} {len(ms):4d} facts   p50 {statistics.median(ms):.1f} ms   "
                f"p95 {percentile(ms, 0.95):.1f} ms   max {max(ms):.1f} ms"
            )
        if refreshed:  # the ranks loop, bringing the buyers' ranks up to the writer's orders
            print(
                f"  {'ranks refreshes':<18} {len(refreshed):4d} runs    "
                f"{line('ranks', refreshed)}   max {max(refreshed):.1f} ms"
            )
        app.extensions["crm.engine"].dispose()
        engine.dispose()


if __name__ == "__main__":
    main()
