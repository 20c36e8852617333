"""Values no column, clock or parser can hold are refused where they enter, naming the field."""

from __future__ import annotations

import json

import pytest

from tests.integration.crm.support import created, field_errors

JSON = {"Content-Type": "application/json"}
OUT_OF_WINDOW = [
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:30:00+01:00",  # before year 1 in UTC: cannot even be converted
    "9999-12-31T23:59:59-01:00",  # past year 9999 in UTC
    "9999-12-31T00:00:00+00:00",
    "1969-12-31T23:59:59+00:00",
    "1999-12-31T23:59:59+00:00",
    "2000-01-01T01:00:00+02:00",  # 1999 in UTC
    "2100-01-01T00:00:01+00:00",
]


@pytest.fixture()
def lead(manager) -> dict:
    return created(manager, "/api/leads", name="Stark")


@pytest.mark.parametrize("moment", OUT_OF_WINDOW)
def test_a_reminder_outside_2000_to_2100_is_a_422_naming_remind_at(manager, moment):
    body = {"recipient_id": manager.id, "text": "call back", "remind_at": moment}
    assert "remind_at" in field_errors(manager.post("/api/reminders", json=body))


def test_instants_at_the_edges_of_the_window_are_accepted(manager):
    for moment in ("2000-01-01T00:00:00+00:00", "2100-01-01T01:00:00+01:00"):
        body = {"recipient_id": manager.id, "text": "edge", "remind_at": moment}
        assert manager.post("/api/reminders", json=body).status_code == 201, moment


def test_a_reschedule_to_1969_is_a_422_not_a_500(manager, lead):
    r = manager.post(
        f"/api/leads/{lead['id']}/reschedule-call", json={"due_at": "1969-07-20T20:17:00+00:00"}
    )
    assert "due_at" in field_errors(r)


def test_tasks_and_filters_outside_the_window_are_refused(manager, lead):
    task = {"kind": "assignment", "title": "x", "assignee_id": manager.id}
    for moment in ("0001-01-01T00:00:00+00:00", "9999-01-01T00:00:00+00:00"):
        r = manager.post("/api/tasks", json={**task, "due_at": moment})
        assert "due_at" in field_errors(r)
    r = manager.get("/api/call-plans?date_from=1900-01-01")
    assert r.status_code == 422 and "date_from" in r.json["errors"]["query"]


def test_the_window_is_written_in_the_openapi_schema(app):
    spec = app.test_client().get("/openapi.json").json
    remind_at = spec["components"]["schemas"]["Reminder"]["properties"]["remind_at"]
    assert "2000-01-01" in remind_at["description"] and "2100-01-01" in remind_at["description"]
    assert remind_at["x-minimum"].startswith("2000-01-01")
    assert remind_at["x-maximum"].startswith("2100-01-01")


def test_a_name_longer_than_its_column_is_a_422(manager):
    assert "name" in field_errors(manager.post("/api/leads", json={"name": "x" * 301}))


def test_a_task_title_made_from_the_longest_name_fits_its_column(manager):
    lead = created(manager, "/api/leads", name="N" * 300)
    task = created(
        manager,
        "/api/tasks",
        kind="call",
        assignee_id=manager.id,
        subject_kind="lead",
        subject_id=lead["id"],
        due_at="2030-01-01T10:00:00+00:00",
    )
    assert len(task["title"]) == 300 and task["title"].endswith("NNN")


def test_free_text_and_lists_have_limits(manager):
    assert "note" in field_errors(
        manager.post("/api/leads", json={"name": "A", "note": "x" * 10_001})
    )
    phones = ["+1 555 0100"] * 101
    assert "phones" in field_errors(
        manager.post("/api/leads", json={"name": "A", "phones": phones})
    )
    assert manager.get("/api/leads").json == []


@pytest.mark.parametrize(
    "body",
    [
        {"name": "A", "note": "x" * (10 * 1024 * 1024)},  # a 10 MB note
        {"name": "A", "phones": ["+1 555 0100"] * 100_000},
    ],
    ids=["10 MB note", "100,000 phones"],
)
def test_a_body_over_the_limit_is_a_413_with_the_error_body(manager, body):
    r = manager.post("/api/leads", data=json.dumps(body), headers=JSON)
    assert r.status_code == 413
    assert r.json["code"] == 413 and r.json["message"]
    assert manager.get("/api/leads").json == []


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"name": "\\ud800"}', "name"),
        ('{"name": "A", "note": "ok \\udfff"}', "note"),
        ('{"name": "A", "phones": ["\\ud83d"]}', "phones"),
    ],
)
def test_a_lone_surrogate_is_a_422_naming_the_field(manager, text, field):
    r = manager.post("/api/leads", data=text, headers=JSON)
    assert field in field_errors(r)
    assert manager.get("/api/leads").json == []


def test_a_paired_surrogate_is_a_character_like_any_other(manager):
    r = manager.post("/api/leads", data='{"name": "Stark \\ud83d\\ude80"}', headers=JSON)
    assert r.status_code == 201 and r.json["name"] == "Stark \N{ROCKET}"
