"""The interaction-status reference book through the API."""

from tests.integration.crm.support import assert_all_unauthorized, outbox_of


def test_seeded_statuses_are_listed_in_sort_order(manager):
    r = manager.get("/api/interaction-statuses")
    assert r.status_code == 200
    assert [s["name"] for s in r.json] == ["Hot", "Warm", "Cold", "Hopeless"]
    assert r.json[3]["generate_calls"] is False


def test_admin_creates_a_status_and_an_event_tells_the_scheduler(admin, sessions):
    r = admin.post(
        "/api/interaction-statuses",
        json={
            "name": "Key account",
            "applies_to": "counterparty",
            "call_interval_days": 7,
            "sort_order": 5,
        },
    )
    assert r.status_code == 201, r.json
    assert r.json["version"] == 1
    [event] = outbox_of(sessions, "InteractionStatusChanged")
    assert event.data["status_id"] == r.json["id"]
    assert event.data["call_interval_days"] == 7


def test_changing_the_interval_bumps_the_version_and_emits_a_change(admin, sessions):
    r = admin.patch("/api/interaction-statuses/1", json={"call_interval_days": 5})
    assert r.status_code == 200
    assert r.json["call_interval_days"] == 5
    assert r.json["version"] == 2
    [event] = outbox_of(sessions, "InteractionStatusChanged")
    assert event.data == {**event.data, "status_id": 1, "version": 2, "call_interval_days": 5}


def test_renaming_a_status_does_not_replan_calls(admin, sessions):
    r = admin.patch("/api/interaction-statuses/2", json={"name": "Lukewarm"})
    assert r.status_code == 200
    assert r.json["version"] == 1
    assert outbox_of(sessions, "InteractionStatusChanged") == []


def test_secretary_and_manager_cannot_edit_statuses(as_role):
    for role in ("secretary", "manager"):
        client = as_role(role)
        assert (
            client.patch("/api/interaction-statuses/1", json={"call_interval_days": 1}).status_code
            == 403
        )
        assert client.post("/api/interaction-statuses", json={"name": "X"}).status_code == 403


def test_negative_or_fractional_interval_is_refused_with_the_field(admin):
    for bad in (-1, 1.5, "3"):
        r = admin.post("/api/interaction-statuses", json={"name": "Odd", "call_interval_days": bad})
        assert r.status_code == 422
        assert "call_interval_days" in r.json["errors"]["json"]


def test_duplicate_name_is_a_conflict(admin):
    r = admin.post("/api/interaction-statuses", json={"name": "Hot"})
    assert r.status_code == 409
    assert "Hot" in r.json["message"]


def test_unknown_status_is_404_and_unknown_field_422(admin):
    assert admin.get("/api/interaction-statuses/999").status_code == 404
    r = admin.patch("/api/interaction-statuses/1", json={"colour": "red"})
    assert r.status_code == 422
    assert r.json["errors"]["json"]["colour"] == ["Unknown field."]


def test_refusal_reasons_are_edited_by_admins_only(admin, as_role):
    r = admin.post("/api/refusal-reasons", json={"name": "Too expensive"})
    assert r.status_code == 201
    assert (
        as_role("manager").post("/api/refusal-reasons", json={"name": "No budget"}).status_code
        == 403
    )
    r = admin.patch(f"/api/refusal-reasons/{r.json['id']}", json={"active": False})
    assert r.json["active"] is False
    assert admin.get("/api/refusal-reasons?active=true").json == []


def test_a_sort_order_beyond_the_database_range_is_refused_with_the_field(admin):
    r = admin.post("/api/interaction-statuses", json={"name": "Far", "sort_order": 10**12})
    assert r.status_code == 422
    assert "sort_order" in r.json["errors"]["json"]


def test_reference_books_need_a_valid_token(unauthenticated):
    assert_all_unauthorized(
        unauthenticated,
        ("get", "/api/interaction-statuses"),
        ("patch", "/api/interaction-statuses/1"),
        ("get", "/api/refusal-reasons"),
    )
