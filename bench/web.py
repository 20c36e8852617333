"""The web workspace's figures, with the real processes on a throw-away database and vhost.

1. My day rendered for a manager with ``--due`` calls due among ``--customers`` leads:
   server time p50/p95 (the API's own request log, ``ms``).
2. The API's p95 (GET /api/tasks) idle, then with ``--streams`` live connections (/live)
   open, and their ratio (the target: within 1.5x).
3. The time from a reminder's moment to its event reaching the open pages (``--reminders``
   reminders; the first page and the last of all open pages).

    .venv/bin/python bench/web.py [--customers 100000] [--due 200] [--streams 200]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
from datetime import timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.figures import machine_line, percentile  # noqa: E402
from shared.db import make_engine, make_session_factory, utcnow  # noqa: E402
from tests import factories  # noqa: E402
from tests.e2e.conftest import ALL, Service, free_port  # noqa: E402
from tests.helpers import eventually  # noqa: E402
from tests.sandbox import sandbox  # noqa: E402

CUSTOMERS = """
INSERT INTO crm.leads (name, responsible_id, phones, emails)
SELECT 'Customer ' || n, CASE WHEN n <= :due THEN :manager ELSE NULL END,
       ARRAY['+380 44 ' || lpad(n::text, 7, '0')], ARRAY['c' || n || '@example.com']
FROM generate_series(1, :count) AS n
"""
DUE = """
INSERT INTO crm.tasks (key, kind, title, assignee_id, subject_kind, subject_id, due_at, details)
SELECT 'bench:' || l.id, 'call', 'Call ' || l.name, :manager, 'lead', l.id,
       now() - (random() * interval '2 days'),
       jsonb_build_object(
         'contacts', jsonb_build_array(jsonb_build_object(
           'name', 'Contact ' || l.id, 'phones', to_jsonb(l.phones), 'emails', to_jsonb(l.emails))),
         'last_interactions', jsonb_build_array(jsonb_build_object(
           'kind', 'call', 'outcome', 'no_answer', 'content', 'Nobody picked up')))
FROM crm.leads l WHERE l.responsible_id = :manager ORDER BY l.id LIMIT :due
"""


def ms_of(log: Path, path: str) -> list[float]:
    """Server times of ``path`` from the API's JSON request log."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if f'"path": "{path}"' in line:
            found.append(json.loads(line)["ms"])
    return found


def p95(url: str, token: str, n: int) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    for _ in range(n):
        started = time.perf_counter()
        requests.get(f"{url}/api/tasks", headers=headers, params={"page_size": 20}, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 0.95)


class Streams:
    """``count`` open /live connections; records when each notification id reached each one."""

    def __init__(self, url: str, cookies, count: int):
        self.seen: dict[int, list[float]] = {}
        self.lock = threading.Lock()
        self.responses = []
        for _ in range(count):
            r = requests.get(f"{url}/live", cookies=cookies, stream=True, timeout=(5, 600))
            self.responses.append(r)
            threading.Thread(target=self._read, args=(r,), daemon=True).start()

    def _read(self, response) -> None:
        try:
            for line in response.iter_lines(decode_unicode=True):
                if line and line.startswith("id: "):
                    with self.lock:
                        self.seen.setdefault(int(line[4:]), []).append(time.time())
        except (requests.RequestException, AttributeError):
            pass

    def close(self) -> None:
        for r in self.responses:
            r.close()


def sign_in(url: str, email: str, password: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{url}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    browser.post(
        f"{url}/login",
        data={"email": email, "password": password, "csrf_token": token},
        timeout=10,
    )
    return browser


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=200)
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reminders", type=int, default=10)
    args = parser.parse_args()
    print(f"before: {machine_line()}", flush=True)

    with sandbox("crm_bench") as settings, tempfile.TemporaryDirectory() as logs:
        sessions = make_session_factory(make_engine(settings.database_url))
        manager_id, email, password, token = factories.web_user(
            sessions, "manager", department="Sales", timezone="Europe/Kyiv"
        )
        with sessions.begin() as db:
            db.execute(
                text(CUSTOMERS), {"manager": manager_id, "count": args.customers, "due": args.due}
            )
            db.execute(text(DUE), {"manager": manager_id, "due": args.due})
            db.execute(text("ANALYZE"))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "BROKER_URL": settings.broker_url,
            "SCHEDULER_ROUTINES": "",
            "WEB_SECURE_COOKIES": "false",
        }
        services = [Service(name, env, Path(logs), port).start() for name in ALL]
        try:
            eventually(lambda: _up(url), timeout=60)
            browser = sign_in(url, email, password)

            for _ in range(args.renders):
                page = browser.get(f"{url}/my-day", timeout=60)
                assert page.text.count('<article class="task') >= args.due, (
                    page.url,
                    page.status_code,
                )
            server = ms_of(Path(logs) / "api.log", "/my-day")
            print(
                f"My day, {args.due} due calls among {args.customers} customers "
                f"({len(server)} renders): server p50 {percentile(server, 0.5):.1f} ms   "
                f"p95 {percentile(server, 0.95):.1f} ms"
            )

            idle = p95(url, token, args.requests)
            streams = Streams(url, browser.cookies, args.streams)
            time.sleep(2)
            loaded = p95(url, token, args.requests)
            print(
                f"API p95 (GET /api/tasks): idle {idle:.1f} ms, with {args.streams} live "
                f"connections {loaded:.1f} ms ({loaded / idle:.2f}x)"
            )

            first, last = [], []
            api = {"Authorization": f"Bearer {token}"}
            for n in range(args.reminders):
                at = utcnow() + timedelta(seconds=2)
                requests.post(
                    f"{url}/api/reminders",
                    headers=api,
                    json={
                        "recipient_id": manager_id,
                        "text": f"bench {n}",
                        "remind_at": at.isoformat(),
                    },
                    timeout=10,
                ).raise_for_status()
                note = eventually(partial(_note_id, url, api, f"bench {n}"), timeout=60)
                seen = partial(lambda note: len(streams.seen.get(note, [])) >= args.streams, note)
                eventually(seen, 60)
                arrivals = streams.seen[note]
                first.append((min(arrivals) - at.timestamp()) * 1000)
                last.append((max(arrivals) - at.timestamp()) * 1000)
            streams.close()
            print(
                f"Reminder moment -> event on the page ({args.reminders} reminders, "
                f"{args.streams} pages): first page p50 {percentile(first, 0.5):.0f} ms "
                f"max {max(first):.0f} ms; all pages p50 {percentile(last, 0.5):.0f} ms "
                f"max {max(last):.0f} ms"
            )
        finally:
            for service in services:
                service.stop()
    print(f"after: {machine_line()}")


def _up(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _note_id(url: str, headers: dict, text_: str) -> int | None:
    for note in requests.get(f"{url}/api/inbox", headers=headers, timeout=10).json():
        if note["text"] == text_:
            return note["id"]
    return None


if __name__ == "__main__":
    main()
