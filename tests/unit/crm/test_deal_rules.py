"""The rules of deals: allowed moves, required fields to leave a stage, the amount of the lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.crm.domain import deals as rules
from services.crm.domain.errors import Conflict
from shared.contracts import ContractError, envelope, parse

KIND = rules.KindRule(
    rules.MANUAL,
    (
        rules.StageRule(1, "qualification"),
        rules.StageRule(2, "proposal", required=("amount",)),
        rules.StageRule(3, "negotiation", next=("proposal", "won")),
    ),
)


def test_a_stage_moves_to_the_next_by_default_the_last_to_won_and_any_may_be_lost():
    assert rules.allowed_moves(KIND, 1) == ["proposal", "lost", "cancelled"]
    assert rules.allowed_moves(KIND, 3) == ["proposal", "won", "lost", "cancelled"]
    last = rules.KindRule(rules.MANUAL, (rules.StageRule(7, "only"),))
    assert rules.allowed_moves(last, 7) == ["won", "lost", "cancelled"]


def test_a_forbidden_move_names_the_allowed_ones_and_a_closed_deal_does_not_move():
    with pytest.raises(rules.MoveNotAllowed) as refused:
        rules.check_move(KIND, rules.IN_PROGRESS, 1, "negotiation")
    assert refused.value.allowed == ["proposal", "lost", "cancelled"]
    with pytest.raises(Conflict):
        rules.check_move(KIND, rules.WON, 3, "proposal")


def test_leaving_a_stage_names_every_missing_field_and_lost_needs_a_reason():
    with pytest.raises(rules.Incomplete) as missing:
        rules.check_leave(("amount", "comment"), {"amount": False, "comment": False})
    assert set(missing.value.missing) == {"amount", "comment"}
    rules.check_leave(("amount",), {"amount": True})
    with pytest.raises(rules.Incomplete) as lost:
        rules.check_lost(None)
    assert list(lost.value.missing) == ["lost_reason_id"]


def test_stage_codes_differ_and_moves_name_known_stages():
    assert rules.check_stages(["a", "a"], [(), ()]) == {"stages": "stage codes must differ"}
    assert "stages.0.next" in rules.check_stages(["a"], [("b",)])
    assert rules.check_stages(["a", "b"], [("b", "won"), ("a",)]) == {}


def test_the_amount_of_lines_takes_a_lines_amount_else_quantity_times_price():
    lines = [
        (Decimal(2), Decimal("10.50"), None),
        (Decimal(1), None, Decimal(5)),
        (Decimal(3), None, None),
    ]
    assert rules.amount_of(lines) == Decimal("26.00")


def test_time_spent_is_counted_from_entering_the_stage():
    now = datetime(2026, 11, 29, tzinfo=UTC)
    assert rules.time_spent(None, now) == 0
    assert rules.time_spent(now - timedelta(hours=2), now) == 7200


def test_deal_events_keep_to_their_contracts():
    moved = {
        "deal_id": 1,
        "kind_id": 1,
        "responsible_id": 2,
        "changed_by_id": None,
        "change_id": 5,
        "seconds_spent": 0,
        "from_stage_id": None,
        "to_stage_id": 3,
        "changed_at": "2026-11-29T10:00:00+00:00",
    }
    env, data = parse(envelope("DealStageChanged", moved))
    assert env["type"] == "DealStageChanged" and data["to_stage_id"] == 3
    lost = {
        k: v for k, v in moved.items() if k not in ("from_stage_id", "to_stage_id", "changed_at")
    }
    lost |= {"stage_id": 3, "amount": "10.00", "currency": "UAH", "closed_at": moved["changed_at"]}
    with pytest.raises(ContractError, match="lost_reason_id"):
        parse(envelope("DealLost", {**lost, "competitor_id": None}))
