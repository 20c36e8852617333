"""Production defaults with the real processes: no start with a known webhook secret, and a
clean stop (SIGTERM) of every process, after real work, without one error in the logs."""

from __future__ import annotations

import re
import signal
import subprocess
from datetime import timedelta

import requests
from sqlalchemy import text
from standardwebhooks import Webhook

from shared import config
from shared.db import utcnow
from tests import factories
from tests.e2e.conftest import ALL, COMMANDS, ROOT, free_port
from tests.helpers import eventually
from tests.integration.notifier.sinks import WebhookServer

STRONG_SECRET = "0c8f3e5a9b2d4f6e8a1c3b5d7f9e2a4c6b8d0f1e3a5c7b9d"
PROBLEMS = re.compile(r"\bERROR\b|\bCRITICAL\b|Traceback")


def test_the_api_and_the_notifier_refuse_to_start_in_production_with_a_known_secret(system):
    for secret in ("", config.Settings().webhook_secret):
        env = {**system.env, "ENVIRONMENT": "production", "WEBHOOK_SECRET": secret}
        for name in ("api", "notifier"):
            argv = [a.format(port=free_port()) for a in COMMANDS[name]]
            done = subprocess.run(
                argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
            )
            assert done.returncode != 0, (name, secret)
            assert "refusing to start: WEBHOOK_SECRET" in done.stderr, (name, done.stderr[-2000:])


def test_every_process_stops_on_sigterm_after_real_work_without_an_error(
    system, sessions, tmp_path
):
    runtime = tmp_path / "runtime"  # where gunicorn would put a control socket
    runtime.mkdir()
    system.env.update(
        ENVIRONMENT="production",
        WEBHOOK_SECRET=STRONG_SECRET,
        HOME=str(tmp_path),
        XDG_RUNTIME_DIR=str(runtime),
    )
    receiver = WebhookServer().start()
    try:
        for name in ALL:  # each with its /metrics and /health server, as in a container
            system.env["METRICS_PORT"] = str(free_port())
            system.start(name)
        secret = deliver_a_signed_reminder(system, sessions, receiver)
        # No gunicorn control socket, which instances on one host would share by default.
        assert list(runtime.iterdir()) == [] and not (tmp_path / ".gunicorn").exists()
    finally:
        receiver.stop()
    [hook] = receiver.received("/hooks/manager")
    assert Webhook(secret).verify(hook["body"], hook["headers"])["text"] == "Call Globex back"

    for service in system.services.values():
        service.proc.send_signal(signal.SIGTERM)
    codes = {name: service.proc.wait(timeout=60) for name, service in system.services.items()}

    assert codes == dict.fromkeys(ALL, 0)
    problems = {
        name: [line for line in service.logs().splitlines() if PROBLEMS.search(line)]
        for name, service in system.services.items()
    }
    assert problems == {name: [] for name in ALL}


def deliver_a_signed_reminder(system, sessions, receiver: WebhookServer) -> str:
    """A manager sets a webhook and gets its secret; a reminder for them is delivered through
    every process (API, relay, scheduler and its worker, notifier and its worker, CRM worker)."""
    manager_id, token = factories.employee(
        sessions,
        "manager",
        department="Sales",
        channels=["in_app", "webhook"],
        webhook_url=f"{receiver.url}/hooks/manager",
    )
    auth = {"Authorization": f"Bearer {token}"}
    issued = requests.post(
        f"{system.url}/api/employees/{manager_id}/webhook-secret", headers=auth, timeout=10
    )
    assert issued.status_code == 201, issued.text
    eventually(lambda: secret_version_known_to_notifier(sessions, manager_id) == 1, timeout=60)
    reminder = requests.post(
        f"{system.url}/api/reminders",
        headers=auth,
        json={
            "recipient_id": manager_id,
            "text": "Call Globex back",
            "remind_at": (utcnow() + timedelta(seconds=1)).isoformat(),
        },
        timeout=10,
    )
    assert reminder.status_code == 201, reminder.text
    eventually(lambda: receiver.received("/hooks/manager"), timeout=60)
    eventually(lambda: inbox(system, auth), timeout=60)
    return issued.json()["webhook_secret"]


def secret_version_known_to_notifier(sessions, employee_id: int) -> int | None:
    with sessions() as session:
        return session.scalar(
            text("SELECT webhook_secret_version FROM notifier.employees WHERE id = :id"),
            {"id": employee_id},
        )


def inbox(system, auth) -> list:
    return requests.get(f"{system.url}/api/inbox", headers=auth, timeout=10).json()
