"""The API under load: status assignments a second at p99 <= 50 ms against a raw PostgreSQL
insert+commit loop, and the calls panel of one manager among a million call plans.

On a throw-away database: the CRM API runs as in its container (gunicorn with
``deploy/gunicorn.conf.py``: gevent workers, ``--workers``), and a closed-loop load generator
(bench/load_generator.py: every client its own process with one keep-alive connection)
raises the concurrency step by step until p99 passes 50 ms:

1. a raw loop, each client on its own psycopg connection inserting one row per transaction
   and committing: the most the database lets a client commit on this machine;
2. ``POST /api/leads/<id>/status`` by managers on leads of their own, each request a real
   change (Hot and Warm in turn); printed: the highest rate with p99 <= 50 ms and its ratio
   to the raw loop's (the target: >= 40%), the ratio at one client each (comparable even when
   no step keeps within 50 ms), and the rows written against the requests answered;
   then the floor under any write request: a Flask app of one route that inserts one row
   and commits (bench/bare_api.py), under the same gunicorn, and the ratio of the status
   assignments to it;
3. ``--plans`` call plans (with their leads, 2% of them due with an open call task) spread
   over ``--managers`` managers, then ``GET /api/call-plans`` of one manager (another each
   request), as the manager and as an admin filtering by ``responsible_id``: p50/p95 (the
   target: p95 <= 50 ms). ``--explain`` prints the query plans of that request.

Printed so that a figure can be trusted: load average before and after, the CPU count,
the processes run (pids), the data's sizes, the clients' own CPU time at each step.

    .venv/bin/python bench/api_load.py             # 1,000,000 plans, 10 s a step
    .venv/bin/python bench/api_load.py --quick     # 20,000 plans, 3 s a step (make bench)
    .venv/bin/python bench/api_load.py --plans 1000000 --explain
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402
import urllib3  # noqa: E402
from sqlalchemy import event, make_url, text  # noqa: E402

from bench.figures import load_average, percentile  # noqa: E402
from bench.load_generator import ramp, step  # noqa: E402
from bench.web import ms_of  # noqa: E402
from services.crm.domain.roles import Actor, Role  # noqa: E402
from services.crm.handlers import calls  # noqa: E402
from shared.db import make_engine, make_session_factory  # noqa: E402
from tests import factories  # noqa: E402
from tests.e2e.conftest import free_port  # noqa: E402
from tests.helpers import eventually  # noqa: E402
from tests.sandbox import sandbox  # noqa: E402

P99_MS = 50.0
LEVELS = (1, 2, 4, 8, 16, 32)
LEADS_PER_CLIENT = 50
HOT, WARM = 1, 2  # seeded statuses (services/crm/seeds.py), both plan a call


def libpq(url: str) -> str:
    """A SQLAlchemy URL as psycopg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# ---- 1. the raw loop --------------------------------------------------------------------


def create_raw_table(owner) -> None:
    """A table shaped like status_assignments (serial key, a few columns, stamped)."""
    with owner.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE public.raw_inserts (id bigserial PRIMARY KEY, subject_id int NOT "
                "NULL, status_id int NOT NULL, assigned_at timestamptz NOT NULL DEFAULT now())"
            )
        )


def raw_client(url: str):
    def make(clients: int, index: int):
        conn = psycopg.connect(url)
        count = iter(range(sys.maxsize))

        def once() -> None:
            n = next(count)
            conn.execute(
                "INSERT INTO public.raw_inserts (subject_id, status_id) VALUES (%s, %s)",
                (index, HOT + n % 2),
                prepare=True,
            )
            conn.commit()

        return once

    return make


# ---- 2. status assignments through the API ----------------------------------------------


def assignment_set_up(sessions, owner, levels: tuple[int, ...]) -> dict[tuple[int, int], tuple]:
    """A manager per client and leads of its own for every (step, client), all Hot: each
    request of a step changes a status no other request touches."""
    managers = [
        factories.employee(sessions, "manager", department="Sales") for _ in range(max(levels))
    ]
    slots = [(clients, i) for clients in levels for i in range(clients)]
    with owner.begin() as conn:
        rows = conn.execute(
            text(
                "INSERT INTO crm.leads (name, responsible_id, status_id, status_assigned_at) "
                "SELECT 'Load ' || s || '.' || g, (:owners)[s + 1], :hot, now() "
                "FROM generate_series(0, :slots - 1) s, generate_series(1, :per) g "
                "RETURNING id, name"
            ),
            {
                "owners": [managers[i][0] for _, i in slots],
                "hot": HOT,
                "slots": len(slots),
                "per": LEADS_PER_CLIENT,
            },
        ).all()
    leads: dict[int, list[int]] = {}
    for lead, name in rows:
        leads.setdefault(int(name.split()[1].split(".")[0]), []).append(lead)
    return {slot: (managers[slot[1]][1], leads[n]) for n, slot in enumerate(slots)}


def assignment_client(port: int, slots: dict[tuple[int, int], tuple]):
    def make(clients: int, index: int):
        token, leads = slots[clients, index]
        pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, retries=False, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        holds = dict.fromkeys(leads, HOT)
        turn = iter(range(sys.maxsize))

        def once() -> None:
            lead = leads[next(turn) % len(leads)]
            status = WARM if holds[lead] == HOT else HOT
            answer = pool.request(
                "POST",
                f"/api/leads/{lead}/status",
                body=json.dumps({"status_id": status}),
                headers=headers,
            )
            if answer.status != 200:
                raise RuntimeError(f"{answer.status} {answer.data[:200]!r}")
            holds[lead] = status

        return once

    return make


def bare_client(port: int):
    def make(clients: int, index: int):
        pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, retries=False, timeout=30)

        def once() -> None:
            answer = pool.request("POST", "/insert")
            if answer.status != 200:
                raise RuntimeError(f"{answer.status} {answer.data[:200]!r}")

        return once

    return make


# ---- 3. the calls panel among a million plans --------------------------------------------

# Every manager's plans alike: one in 50 due (in the past), the others over the next 60 days.
PLANS = """
INSERT INTO crm.call_plans (plan_id, subject_kind, subject_id, responsible_id, status_id,
                            next_call_at, state, revision)
SELECT l.id, 'lead', l.id, l.responsible_id, l.status_id,
       CASE WHEN (l.id / 200) % 50 = 0 THEN now() - make_interval(secs => l.id % 259200)
            ELSE now() + make_interval(secs => (l.id::bigint * 7919) % 5184000) END,
       CASE WHEN (l.id / 200) % 50 = 0 THEN 'due' ELSE 'planned' END, 1
FROM crm.leads l WHERE l.id > :after
"""
# A due plan's open call task; one in four went to another manager in turn.
DUE_TASKS = """
INSERT INTO crm.tasks (key, kind, title, assignee_id, subject_kind, subject_id, plan_id,
                       planned_at, due_at)
SELECT 'bench:' || p.plan_id, 'call', 'Call', CASE WHEN p.plan_id % 4 = 0
       THEN (:managers)[1 + (array_position(:managers, p.responsible_id) + 6) % :count]
       ELSE p.responsible_id END,
       'lead', p.subject_id, p.plan_id, p.next_call_at, p.next_call_at + interval '8 hours'
FROM crm.call_plans p WHERE p.state = 'due'
"""


def build_plans(sessions, owner, plans: int, count: int) -> list[tuple[int, str]]:
    """``plans`` leads of ``count`` managers, a plan each; returns the managers and tokens."""
    managers = [factories.employee(sessions, "manager", department="Calls") for _ in range(count)]
    ids = [m for m, _ in managers]
    started = time.monotonic()
    with owner.begin() as conn:
        after = conn.scalar(text("SELECT coalesce(max(id), 0) FROM crm.leads"))
        conn.execute(
            text(
                "INSERT INTO crm.leads (name, responsible_id, status_id, status_assigned_at) "
                "SELECT 'Customer ' || g, (:managers)[1 + g % :count], 1 + g % 3, now() "
                "FROM generate_series(1, :n) g"
            ),
            {"managers": ids, "count": count, "n": plans},
        )
        conn.execute(text(PLANS), {"after": after})
        conn.execute(text(DUE_TASKS), {"managers": ids, "count": count})
    written = time.monotonic() - started
    with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE crm.leads, crm.call_plans, crm.tasks"))
        sizes = conn.execute(
            text(
                "SELECT relname, reltuples::bigint, pg_size_pretty(pg_total_relation_size(oid)) "
                "FROM pg_class WHERE oid IN ('crm.call_plans'::regclass, 'crm.leads'::regclass, "
                "'crm.tasks'::regclass) ORDER BY relname"
            )
        ).all()
    print(
        f"  {plans:,} plans over {count} managers written in {written:.1f} s, vacuumed and "
        f"analysed in {time.monotonic() - started - written:.1f} s; "
        + ", ".join(f"{name} {rows:,} rows {size}" for name, rows, size in sizes),
        flush=True,
    )
    return managers


def panel_client(port: int, managers: list[tuple[int, str]], admin_token: str | None):
    """One manager's panel a request, the next manager each time: as the manager, or as the
    admin filtering by ``responsible_id`` when ``admin_token`` is given."""

    def make(clients: int, index: int):
        pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, retries=False, timeout=30)
        turn = iter(range(index, sys.maxsize, clients))

        def once() -> None:
            manager, token = managers[next(turn) % len(managers)]
            url = "/api/call-plans"
            if admin_token:
                url, token = f"{url}?responsible_id={manager}", admin_token
            answer = pool.request("GET", url, headers={"Authorization": f"Bearer {token}"})
            if answer.status != 200:
                raise RuntimeError(f"{answer.status} {answer.data[:200]!r}")

        return once

    return make


def explain(settings, admin_id: int, manager_id: int) -> None:
    """EXPLAIN ANALYZE of each query the panel runs for one manager, as an admin asks it."""
    engine = make_engine(settings.database_url, pool_size=1)
    seen: list[tuple[str, Any]] = []
    event.listen(
        engine, "before_cursor_execute", lambda c, cur, sql, params, *_: seen.append((sql, params))
    )
    sessions = make_session_factory(engine)
    with sessions() as session:
        calls.list_plans(
            session, Actor(admin_id, Role.ADMIN), page=1, page_size=10, responsible_id=manager_id
        )
        queries = [(sql, params) for sql, params in seen if sql.lstrip().startswith("SELECT")]
        for sql, params in queries:
            plan = session.connection().exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            print("\n".join(f"    {line}" for (line,) in plan))
            print()
    engine.dispose()


# ---- the API's processes ------------------------------------------------------------------


CRM_API = "services.crm.entrypoints.api.app:wsgi()"
BARE_API = "bench.bare_api:wsgi()"


def start_api(
    settings, workers: int, tmp: Path, app: str = CRM_API, database_url: str | None = None
) -> tuple[subprocess.Popen, int, Path]:
    """gunicorn as the container runs it (deploy/gunicorn.conf.py), on a free port, serving
    ``app`` (the CRM API) on ``database_url`` (the API's)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url or settings.database_url,
        "BROKER_URL": settings.broker_url,
        "API_BIND": f"127.0.0.1:{port}",
        "API_WORKERS": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / f"metrics-{port}"),
        "METRICS_PORT": "0",
    }
    log = tmp / f"api-{port}.log"
    argv = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--config",
        str(ROOT / "deploy" / "gunicorn.conf.py"),
        app,
    ]
    api = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def up() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
        except requests.RequestException:
            return api.poll() is not None  # died: say so below rather than wait

    eventually(up, timeout=120)
    if api.poll() is not None:
        raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
    children = Path(f"/proc/{api.pid}/task/{api.pid}/children").read_text().split()
    print(f"  gunicorn master pid {api.pid}, {workers} gevent workers pids {' '.join(children)}")
    print(f"    {' '.join(argv[1:])} (API_BIND 127.0.0.1:{port})", flush=True)
    return api, port, log


def stop_api(api: subprocess.Popen) -> None:
    api.terminate()
    try:
        api.wait(timeout=30)
    except subprocess.TimeoutExpired:
        api.kill()
        api.wait()


# ---- the run ------------------------------------------------------------------------------


def ratio_lines(api_steps, api_best, raw_steps, raw_best) -> str:
    """The target's ratio, and always the one at a single client (comparable from run to
    run even when no step keeps p99 within the bound)."""
    single = f"  at 1 client: ratio {api_steps[0].rate / raw_steps[0].rate:.0%}"
    if api_best is None or raw_best is None:
        return f"  ratio at p99 <= {P99_MS:.0f} ms: none (no step within it)\n{single}"
    return (
        f"  status assignments {api_best.rate:,.0f}/s ({api_best.clients} clients) against the "
        f"raw loop's {raw_best.rate:,.0f}/s ({raw_best.clients} clients), both at p99 <= "
        f"{P99_MS:.0f} ms: ratio {api_best.rate / raw_best.rate:.0%} (target >= 40%)\n{single}"
    )


def floor(settings, workers, tmp, seconds, warmup, steps, api_best) -> None:
    """The Flask app of one insert under the same gunicorn, and the assignments against it."""
    bare, port, _ = start_api(settings, workers, tmp, BARE_API, settings.migration_database_url)
    try:
        print("   the floor: POST /insert of a Flask app that inserts one row and commits:")
        bare_steps, bare_best = ramp(bare_client(port), LEVELS, seconds, warmup, P99_MS)
    finally:
        stop_api(bare)
    single = f"at 1 client {steps[0].rate / bare_steps[0].rate:.0%}"
    if api_best is None or bare_best is None:
        print(f"  status assignments against the floor: {single}", flush=True)
        return
    print(
        f"  status assignments against the floor's {bare_best.rate:,.0f}/s ({bare_best.clients} "
        f"clients, p99 <= {P99_MS:.0f} ms): {api_best.rate / bare_best.rate:.0%}; {single}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 plans, 3 s a step")
    parser.add_argument("--plans", type=int, help="call plans (1,000,000; --quick 20,000)")
    parser.add_argument("--managers", type=int, default=200, help="managers sharing the plans")
    parser.add_argument("--seconds", type=float, help="measured time of a step (10; --quick 3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (API_WORKERS)")
    parser.add_argument("--explain", action="store_true", help="print the panel's query plans")
    args = parser.parse_args()
    plans = args.plans or (20_000 if args.quick else 1_000_000)
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    warmup = 1.0 if args.quick else 2.0
    print(f"The API under load ({os.cpu_count()} CPUs):")
    print(f"  load average before: {load_average()}", flush=True)
    with sandbox("api_load_bench") as settings, tempfile.TemporaryDirectory() as tmp:
        owner = make_engine(settings.migration_database_url, pool_size=1)
        app_engine = make_engine(settings.database_url, pool_size=1)
        sessions = make_session_factory(app_engine)
        create_raw_table(owner)
        slots = assignment_set_up(sessions, owner, LEVELS)
        print(
            f"1. raw loop: INSERT one row + COMMIT (psycopg {psycopg.__version__}), a connection "
            f"a client, {seconds:.0f} s a step after {warmup:.0f} s of warm-up:",
            flush=True,
        )
        raw_steps, raw_best = ramp(
            raw_client(libpq(settings.migration_database_url)), LEVELS, seconds, warmup, P99_MS
        )
        api, port, log = start_api(settings, args.workers, Path(tmp))
        try:
            print(
                "2. POST /api/leads/<id>/status (a real change each), a keep-alive connection "
                "a client:",
                flush=True,
            )
            steps, api_best = ramp(assignment_client(port, slots), LEVELS, seconds, warmup, P99_MS)
            with owner.connect() as conn:
                written = conn.scalar(text("SELECT count(*) FROM crm.status_assignments"))
            print(
                f"  {written:,} assignments written, {sum(s.answered for s in steps):,} "
                "requests answered 200"
            )
            print(ratio_lines(steps, api_best, raw_steps, raw_best), flush=True)
            floor(settings, args.workers, Path(tmp), seconds, warmup, steps, api_best)
            print(f"3. GET /api/call-plans of one manager among {plans:,} plans:", flush=True)
            managers = build_plans(sessions, owner, plans, args.managers)
            admin_id, admin_token = factories.employee(sessions, "admin")
            seen = 0
            for label, token in (
                ("as the manager", None),
                ("as an admin, ?responsible_id=", admin_token),
            ):
                done = step(panel_client(port, managers, token), 1, seconds, warmup)
                p95 = percentile(done.ms, 0.95) if done.ms else float("inf")
                print(
                    f"  {label:<30} p50 {percentile(done.ms, 0.5):6.1f} ms   p95 {p95:6.1f} ms "
                    f"  ({len(done.ms):,} requests, 1 client, target p95 <= 50 ms)"
                    + (f"   {done.errors} errors ({done.first_error})" if done.errors else ""),
                    flush=True,
                )
                # The server's own time (its request log, warm-up included): the rest is
                # the wait for a CPU on a loaded machine, and the client's.
                server = ms_of(log, "/api/call-plans")[seen:]
                seen += len(server)
                print(
                    f"  {'':<30} server time p50 {percentile(server, 0.5):6.1f} ms   "
                    f"p95 {percentile(server, 0.95):6.1f} ms (the API's request log)"
                )
            if args.explain:
                explain(settings, admin_id, managers[0][0])
        finally:
            stop_api(api)
            owner.dispose()
            app_engine.dispose()
    print(f"  load average after: {load_average()}")


if __name__ == "__main__":
    main()
