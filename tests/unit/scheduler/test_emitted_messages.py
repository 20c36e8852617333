"""What the tick sends for a due call: envelopes that pass their contract, and where to."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from services.scheduler.adapters.plan_emitter import call_due, due_messages
from shared.contracts import parse

DUE_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def plan_row(**values) -> Any:  # stands for a CallPlan row
    row = {
        "id": 5,
        "subject_kind": "lead",
        "subject_id": 7,
        "responsible_id": 11,
        "status_id": 2,
        "status_version": 3,
        "next_call_at": DUE_AT,
        "revision": 4,
    }
    return SimpleNamespace(**{**row, **values})


@pytest.mark.parametrize("values", [{}, {"subject_kind": "counterparty"}, {"responsible_id": None}])
def test_a_due_call_built_without_a_check_passes_its_contract(values):
    env = json.loads(json.dumps(call_due(plan_row(**values))))
    _env, data = parse(env)
    assert data["due_at"] == DUE_AT
    assert data["revision"] == 5  # the plan's revision once it is due


def test_due_calls_go_to_the_events_exchange_one_by_one_and_to_the_notifier_as_one_batch():
    rows = [plan_row(id=5), plan_row(id=6, subject_id=8)]
    messages = due_messages("crm.events", rows)
    assert [(m.exchange, m.routing_key) for m in messages] == [
        ("crm.events", "call_plan.due"),
        ("crm.events", "call_plan.due"),
        ("", "notifier"),
    ]
    events = [json.loads(m.body) for m in messages[:2]]
    assert [e["message_id"] for e in events] == [m.properties.message_id for m in messages[:2]]
    assert [e["data"]["plan_id"] for e in events] == [5, 6]

    # The notifier's copy is a dramatiq message whose one argument is the CallsDue envelope.
    batch = json.loads(messages[2].body)["args"][0]
    _env, data = parse(batch)
    assert [call["plan_id"] for call in data["calls"]] == [5, 6]
    assert batch["data"]["calls"] == [e["data"] for e in events]

    # Sent again (a tick killed before the confirms), the same chunk keeps its ids.
    def ids(sent):
        return [json.loads(m.body)["message_id"] for m in sent]

    assert ids(due_messages("crm.events", rows)) == ids(messages)
    assert ids(due_messages("crm.events", rows[:1]))[-1] != ids(messages)[-1]
