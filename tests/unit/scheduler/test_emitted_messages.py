"""What the tick sends for a due call: envelopes that pass their contract, and where to."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from services.scheduler.adapters.plan_emitter import call_due
from shared.contracts import parse
from shared.publisher import outgoing

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


def test_a_due_call_goes_to_the_notifier_and_the_events_exchange_with_one_id():
    env = call_due(plan_row())
    messages = outgoing("crm.events", "call_plan", env)
    assert [(m.exchange, m.routing_key) for m in messages] == [
        ("crm.events", "call_plan.due"),
        ("", "notifier"),
    ]
    assert messages[0].properties.message_id == env["message_id"]
    assert {json.loads(m.body)["message_id"] for m in messages[1:]} == {env["message_id"]}
    assert call_due(plan_row())["message_id"] == env["message_id"]  # the same when re-sent
