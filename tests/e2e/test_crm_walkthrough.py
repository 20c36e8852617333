"""The README's walk-through against real processes: API, CRM worker, relay, scheduler, notifier."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pika
import requests

from shared.contracts import envelope
from shared.deadletter import REASON_HEADER
from tests.helpers import bind_events, drain_queue, eventually

FLASK = [
    str(Path(sys.executable).parent / "flask"),
    "--app",
    "services.crm.entrypoints.api.app:wsgi()",
]


def create_admin(system) -> dict[str, str]:
    out = subprocess.run(
        [*FLASK, "create-admin", "--email", f"admin-{uuid.uuid4().hex[:6]}@example.com"],
        env=system.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return {"Authorization": f"Bearer {out.stdout.strip().splitlines()[-1]}"}


def command_message(env: dict) -> bytes:
    """A dramatiq message for the CRM worker, as another system would publish it with pika."""
    return json.dumps(
        {
            "queue_name": "crm",
            "actor_name": "handle_crm_message",
            "args": [env],
            "kwargs": {},
            "options": {},
            "message_id": env["message_id"],
            "message_timestamp": 0,
        }
    ).encode()


def test_status_lead_assignment_walkthrough_publishes_one_event(system, amqp, settings):
    system.start("api", "relay", "worker", "scheduler", "notifier")
    auth = create_admin(system)
    queue = bind_events(amqp, settings.events_exchange, "lead.status_assigned")

    status = requests.post(
        f"{system.url}/api/interaction-statuses",
        headers=auth,
        json={
            "name": "Negotiating",
            "applies_to": "lead",
            "call_interval_days": 2,
        },
        timeout=10,
    )
    assert status.status_code == 201, status.text
    lead = requests.post(
        f"{system.url}/api/leads",
        headers=auth,
        json={
            "name": "Globex",
            "source": "web form",
            "phones": ["+1 555 0199"],
        },
        timeout=10,
    )
    assert lead.status_code == 201, lead.text
    assigned = requests.post(
        f"{system.url}/api/leads/{lead.json()['id']}/status",
        headers=auth,
        json={"status_id": status.json()["id"], "reason": "asked for a quote"},
        timeout=10,
    )
    assert assigned.json()["changed"] is True

    [(_, _, body)] = eventually(lambda: drain_queue(amqp, queue))
    assert body["data"]["status_name"] == "Negotiating"
    assert body["data"]["subject_id"] == lead.json()["id"]
    assert requests.get(f"{system.url}/health", timeout=10).json()["status"] == "ok"
    assert system.stop_all() == {name: 0 for name in system.services}


def test_other_system_assigns_a_status_by_message_and_bad_messages_are_dead_lettered(
    system, amqp, settings
):
    system.start("api", "worker")
    auth = create_admin(system)
    lead = requests.post(
        f"{system.url}/api/leads", headers=auth, json={"name": "Umbrella"}, timeout=10
    ).json()
    amqp.queue_declare(
        "crm.XQ", durable=True, passive=False, arguments={"x-message-ttl": 86400000 * 7}
    )

    malformed = envelope(
        "AssignStatus", {"subject_kind": "lead", "subject_id": lead["id"], "status_id": 1}
    )
    malformed["data"]["status_id"] = "warm"
    unknown_lead = envelope(
        "AssignStatus", {"subject_kind": "lead", "subject_id": 999999, "status_id": 1}
    )
    good = envelope(
        "AssignStatus", {"subject_kind": "lead", "subject_id": lead["id"], "status_id": 2}
    )
    # A version this worker does not read (docs/messages.md): dead-lettered, never guessed at.
    unsupported = {**envelope("AssignStatus", good["data"]), "version": 2}
    for env in (malformed, unknown_lead, unsupported, good, good):  # the last is a redelivery
        amqp.basic_publish("", "crm", command_message(env), pika.BasicProperties(delivery_mode=2))

    def lead_status():
        return requests.get(
            f"{system.url}/api/leads/{lead['id']}", headers=auth, timeout=10
        ).json()["status_id"]

    assert eventually(lead_status) == 2
    history = requests.get(
        f"{system.url}/api/leads/{lead['id']}/status-history", headers=auth, timeout=10
    )
    assert len(history.json()) == 1

    # The dead letters may arrive in different probes: keep what each drain took.
    dead: list = []

    def three_dead_lettered() -> bool:
        dead.extend(drain_queue(amqp, "crm.XQ"))
        return len(dead) >= 3

    eventually(three_dead_lettered)
    reasons = {body["message_id"]: props.headers[REASON_HEADER] for _, props, body in dead}
    assert "data.status_id" in reasons[malformed["message_id"]]
    assert "not found" in reasons[unknown_lead["message_id"]]
    assert reasons[unsupported["message_id"]] == (
        "version: AssignStatus version 2 is not supported (supported: 1)"
    )
