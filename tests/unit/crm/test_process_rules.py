"""Rules of the inbound sales process, as plain data and functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.crm.domain import documents, orders
from services.crm.domain.errors import Conflict, Forbidden, Invalid
from services.crm.domain.process import (
    ACTIVE,
    INBOUND_SALES,
    REFUSED,
    StepNotAllowed,
    allowed_now,
    check_continuation,
    check_performer,
    ranks,
)
from services.crm.domain.roles import Role

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


def test_the_definition_is_closed_every_continuation_names_a_step():
    names = {s.name for s in INBOUND_SALES.steps}
    assert INBOUND_SALES.start in names
    assert {target for _, target in INBOUND_SALES.edges()} <= names
    assert all(s.next == () for s in INBOUND_SALES.steps if s.kind == "end")


def test_flowchart_layers_follow_the_longest_path_from_the_start():
    layer = ranks(INBOUND_SALES)
    assert layer["registration"] == 0 and layer["first_contact"] == 1
    assert all(layer[target] > layer[source] for source, target in INBOUND_SALES.edges())


@pytest.mark.parametrize(
    ("current", "current_open", "expected"),
    [
        ("registration", True, []),
        ("registration", False, []),  # the first contact is the system's to make
        ("first_contact", True, ["assignment", "refusal"]),
        ("first_contact", False, ["assignment", "proposal", "meeting", "order", "refusal"]),
        ("proposal", True, ["proposal_approval", "refusal"]),
        ("proposal", False, ["meeting", "order", "refusal"]),
        ("meeting", False, ["order", "refusal"]),
        ("order", True, []),
    ],
)
def test_the_steps_allowed_depend_on_the_current_step_and_its_document(
    current, current_open, expected
):
    assert allowed_now(INBOUND_SALES, ACTIVE, current, current_open) == expected


def test_an_ended_process_allows_nothing():
    assert allowed_now(INBOUND_SALES, REFUSED, "refusal", False) == []
    with pytest.raises(StepNotAllowed, match="the process is refused") as exc:
        check_continuation(INBOUND_SALES, REFUSED, "refusal", False, "proposal")
    assert exc.value.allowed == []


def test_a_step_out_of_turn_is_refused_with_the_allowed_ones():
    with pytest.raises(StepNotAllowed, match="may not follow meeting") as exc:
        check_continuation(INBOUND_SALES, ACTIVE, "meeting", False, "proposal")
    assert exc.value.allowed == ["order", "refusal"]
    assert isinstance(exc.value, Conflict)
    with pytest.raises(StepNotAllowed, match="only while its document is completed"):
        check_continuation(INBOUND_SALES, ACTIVE, "first_contact", True, "order")
    with pytest.raises(StepNotAllowed, match="only while its document is open"):
        check_continuation(INBOUND_SALES, ACTIVE, "proposal", False, "proposal_approval")
    assert check_continuation(INBOUND_SALES, ACTIVE, "proposal", False, "order").name == "order"


def test_secretaries_register_and_sales_staff_take_the_rest():
    check_performer(INBOUND_SALES.step("registration"), Role.SECRETARY)
    check_performer(INBOUND_SALES.step("proposal"), Role.MANAGER)
    with pytest.raises(Forbidden):
        check_performer(INBOUND_SALES.step("proposal"), Role.SECRETARY)
    with pytest.raises(Forbidden):
        check_performer(INBOUND_SALES.step("registration"), Role.EXECUTOR)


def test_missing_fields_are_all_named_with_their_reasons():
    required = INBOUND_SALES.step("proposal").required
    assert documents.missing(required, {"topic": "commercial proposal", "contacts": []}) == {
        "contacts": "at least one contact is required",
        "subject_id": "a counterparty or a lead is required",
        "content": "required",
        "attachments": "attach at least one file",
    }
    filled = {
        "topic": "t",
        "contacts": [{"contact_person_id": 3, "email": "a@b.example"}],
        "subject_id": 1,
        "content": "c",
        "attachments": [{"name": "p.pdf"}],
    }
    assert documents.missing(required, filled) == {}


def test_every_contacts_row_names_someone_and_a_way_to_reach_them():
    rows = [{"presentation": "Ann", "phone": "+1"}, {"presentation": " "}, {"email": "x@y"}]
    assert documents.contacts_problem(rows) == (
        "row 2: a contact person or a presentation is required; "
        "row 2: a phone or an e-mail is required; "
        "row 3: a contact person or a presentation is required"
    )


def test_order_lines_need_item_quantity_and_price():
    assert documents.missing(("lines",), {"lines": [{"item_id": 1, "quantity": 1}]}) == {
        "lines": "line 1: price is required"
    }
    assert documents.missing(("requires_approval",), {"requires_approval": False}) == {}


def test_only_a_new_clients_order_needs_its_source():
    required = INBOUND_SALES.step("order").required
    assert "source" in orders.required_to_post(required, new_client=True)
    assert "source" not in orders.required_to_post(required, new_client=False)


def test_an_order_goes_to_execution_when_approved_or_needing_no_approval():
    assert orders.goes_to_execution(orders.OPEN, requires_approval=False)
    assert not orders.goes_to_execution(orders.OPEN, requires_approval=True)
    assert orders.goes_to_execution(orders.APPROVED, requires_approval=True)
    assert orders.executor_named(Role.EXECUTOR)
    assert not orders.executor_named(Role.HEAD_OF_EXECUTION)
    with pytest.raises(Invalid):
        orders.check_execution_responsible(Role.MANAGER)
    with pytest.raises(Conflict):
        orders.check_postable(orders.APPROVED, (), {})
    assert orders.line_amount(Decimal("1.5"), Decimal("99.99")) == Decimal("149.99")


def test_only_a_meeting_takes_start_and_end_by_hand():
    with pytest.raises(Invalid, match="started_at"):
        documents.check_edit_times("call", documents.PLANNED, {"started_at": NOW})
    documents.check_edit_times("meeting", documents.PLANNED, {"started_at": NOW})
    with pytest.raises(Invalid, match="ended_at"):
        documents.check_edit_times(
            "meeting", documents.PLANNED, {"started_at": NOW, "ended_at": NOW - timedelta(1)}
        )


def test_start_and_end_are_the_moments_of_starting_and_completing():
    earlier = NOW - timedelta(hours=1)
    assert documents.start_times("call", None, NOW) == NOW
    assert documents.completion_times("email", None, None, NOW) == (NOW, NOW)
    assert documents.completion_times("call", earlier, None, NOW) == (earlier, NOW)
    later = NOW + timedelta(days=3)
    assert documents.completion_times("meeting", later, later, NOW) == (later, later)
    assert documents.completion_times("meeting", earlier, None, NOW) == (earlier, NOW)


def test_completed_documents_do_not_change():
    with pytest.raises(Conflict):
        documents.check_open(documents.COMPLETED)


def test_outcomes_default_unless_the_step_offers_a_choice():
    assert documents.check_outcome(("done",), None) == "done"
    with pytest.raises(Invalid, match="required"):
        documents.check_outcome(("approved", "rejected"), None)
    with pytest.raises(Invalid, match="must be one of"):
        documents.check_outcome(("approved", "rejected"), "maybe")


def test_the_first_contact_is_an_email_when_the_client_left_no_phone():
    assert documents.first_contact_kind([{"email": "a@b"}, {"phone": "+1"}]) == "call"
    assert documents.first_contact_kind([{"email": "a@b"}]) == "email"
