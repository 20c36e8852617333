"""Assigning interaction statuses to leads and counterparties: history, no-ops, the event."""

from datetime import datetime

import pytest

from tests.integration.crm.support import created, field_errors, outbox_of

HOT, WARM, COLD = 1, 2, 3
OTHER_KIND = {"lead": "counterparty", "counterparty": "lead"}


@pytest.fixture(params=["lead", "counterparty"])
def kind(request):
    return request.param


@pytest.fixture()
def subject(kind, manager):
    """A new subject of ``kind`` in the care of the Berlin manager; yields its URL."""
    if kind == "lead":
        made = created(manager, "/api/leads", name="Stark", responsible_id=manager.id)
        return f"/api/leads/{made['id']}"
    partner = created(manager, "/api/partners", name="Acme")["id"]
    made = created(
        manager,
        "/api/counterparties",
        name="Acme LLC",
        kind="legal_entity",
        partner_id=partner,
        responsible_id=manager.id,
    )
    return f"/api/counterparties/{made['id']}"


def assign(client, url, status_id, reason=None):
    r = client.post(f"{url}/status", json={"status_id": status_id, "reason": reason})
    assert r.status_code == 200, r.json
    return r.json


def test_the_history_records_who_when_from_what_to_what_and_why(manager, subject, as_role):
    boss = as_role("admin")
    assert assign(manager, subject, HOT, "asked for a quote")["changed"] is True
    result = assign(boss, subject, COLD, "budget frozen until spring")
    assert result["status_id"] == COLD
    assert manager.get(subject).json["status_id"] == COLD
    first, second = manager.get(f"{subject}/status-history").json
    assert (first["from_status_id"], first["to_status_id"]) == (None, HOT)
    assert (first["assigned_by_id"], first["reason"]) == (manager.id, "asked for a quote")
    assert (second["from_status_id"], second["to_status_id"]) == (HOT, COLD)
    assert (second["assigned_by_id"], second["reason"]) == (boss.id, "budget frozen until spring")
    assigned_at = datetime.fromisoformat(second["assigned_at"])
    assert assigned_at.utcoffset() is not None
    assert assigned_at >= datetime.fromisoformat(first["assigned_at"])
    assert result["status_assigned_at"] == second["assigned_at"]


def test_assigning_the_current_status_again_changes_nothing(manager, subject, sessions):
    first = assign(manager, subject, WARM)
    again = assign(manager, subject, WARM, "still warm")
    # Unchanged: the answer shows the call already planned (none here: no scheduler runs).
    assert again == {**first, "changed": False, "next_call_at": None}
    assert len(manager.get(f"{subject}/status-history").json) == 1
    assert len(outbox_of(sessions, "StatusAssigned")) == 1


def test_the_status_assigned_event_carries_the_managers_time_zone_and_interval(
    manager, subject, kind, sessions
):
    assign(manager, subject, HOT)
    assign(manager, subject, WARM, "replied slowly")
    first, event = outbox_of(sessions, "StatusAssigned")
    subject_id = int(subject.rsplit("/", 1)[1])
    assert (event.aggregate, event.aggregate_id) == (kind, str(subject_id))
    assert event.data == {
        **event.data,
        "subject_kind": kind,
        "subject_id": subject_id,
        "status_id": WARM,
        "status_name": "Warm",
        "previous_status_id": HOT,
        "generate_calls": True,
        "call_interval_days": 14,
        "responsible_id": manager.id,
        "responsible_timezone": "Europe/Berlin",
        "assigned_by_id": manager.id,
        "reason": "replied slowly",
    }
    assert first.message_id != event.message_id


def test_a_status_meant_for_the_other_kind_of_subject_is_refused(admin, manager, subject, kind):
    other = created(admin, "/api/interaction-statuses", name="Special", applies_to=OTHER_KIND[kind])
    r = manager.post(f"{subject}/status", json={"status_id": other["id"]})
    assert "status_id" in field_errors(r)
    assert manager.get(subject).json["status_id"] is None
    own = created(admin, "/api/interaction-statuses", name="Own", applies_to=kind)
    assert assign(manager, subject, own["id"])["changed"] is True


def test_an_inactive_status_is_refused(admin, manager, subject, sessions):
    admin.patch(f"/api/interaction-statuses/{COLD}", json={"active": False})
    r = manager.post(f"{subject}/status", json={"status_id": COLD})
    assert "status_id" in field_errors(r)
    assert "inactive" in r.json["message"]
    assert outbox_of(sessions, "StatusAssigned") == []


def test_an_unknown_subject_is_404_and_an_unknown_status_422(manager, subject, kind):
    plural = subject.rsplit("/", 1)[0]
    assert manager.post(f"{plural}/999/status", json={"status_id": HOT}).status_code == 404
    assert "status_id" in field_errors(manager.post(f"{subject}/status", json={"status_id": 999}))
    assert "status_id" in field_errors(manager.post(f"{subject}/status", json={}))
    r = manager.post(f"{subject}/status", json={"status_id": HOT, "reason": "x" * 2001})
    assert "reason" in field_errors(r)


@pytest.mark.parametrize("role", ["secretary", "executor", "head_of_execution"])
def test_only_sales_roles_assign_statuses(manager, subject, as_role, role):
    client = as_role(role)
    assert client.post(f"{subject}/status", json={"status_id": HOT}).status_code == 403
    assert client.get(f"{subject}/status-history").json == []
