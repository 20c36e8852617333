"""Planned calls in the CRM: the read model fed by CallPlanned, the calls panel,
rescheduling through the outbox, and the routines the scheduler triggers."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from services.crm.adapters.orm import CallPlanView, InboxMessage, OutboxMessage
from services.crm.adapters.relay import Relay
from services.crm.domain.errors import Invalid
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import calls, counterparties, leads, partners, subjects
from shared import config
from shared.contracts import CRM, SCHEDULER, consumer_actor, envelope
from shared.db import transaction, utcnow
from shared.deadletter import REASON_HEADER
from shared.messages import read
from shared.publisher import to_queue
from tests.helpers import eventually, running_worker


@pytest.fixture()
def boss(admin) -> Actor:
    """The admin client's employee, as the actor of use cases called directly."""
    return Actor(admin.id, Role.ADMIN)


@pytest.fixture(scope="module")
def worker(broker):
    """The CRM worker's actor consuming the run's "crm" queue in this process."""
    with running_worker(broker, CRM) as worker:
        yield worker


def send(broker, type_, data, message_id=None) -> dict:
    """Enqueue an envelope on the CRM's queue, as the scheduler does."""
    env = envelope(type_, data, message_id=message_id)
    to_queue(broker, CRM, env)
    return env


def processed(sessions, env) -> bool:
    with sessions() as session:
        return session.get(InboxMessage, uuid.UUID(env["message_id"])) is not None


def deliver(broker, sessions, type_, data, message_id=None) -> dict:
    env = send(broker, type_, data, message_id)
    eventually(lambda: processed(sessions, env))
    return env


def plan_data(
    plan_id, kind, subject_id, responsible_id, *, at, status_id=1, state="planned", revision=1
):
    return {
        "plan_id": plan_id,
        "subject_kind": kind,
        "subject_id": subject_id,
        "responsible_id": responsible_id,
        "status_id": status_id,
        "next_call_at": at.isoformat() if at else None,
        "state": state,
        "revision": revision,
    }


def stored(sessions, plan_id) -> CallPlanView | None:
    with sessions() as session:
        return session.get(CallPlanView, plan_id)


def new_lead(sessions, actor, name, responsible_id, **fields):
    with transaction(sessions) as session:
        return leads.create_lead(
            session,
            actor,
            {"name": name, "responsible_id": responsible_id, **fields},
            config.load(),
        ).id


def new_counterparty(sessions, actor, name, responsible_id=None, **fields):
    with transaction(sessions) as session:
        partner = partners.create_partner(session, actor, {"name": f"{name} group"})
        data = {"name": name, "partner_id": partner.id, "kind": "legal_entity", **fields}
        return counterparties.create_counterparty(
            session, actor, {**data, "responsible_id": responsible_id}, config.load()
        ).id


def plan(sessions, *args, **kwargs) -> None:
    with transaction(sessions) as session:
        _env, message = read(envelope("CallPlanned", plan_data(*args, **kwargs)))
        calls.apply_call_planned(session, message)


def outbox_of(sessions, type_):
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.type == type_)))


# -- the read model, fed through the worker ---------------------------------------------------


def test_call_planned_events_build_the_read_model_through_the_worker(
    worker, broker, sessions, clean_db
):
    due = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    deliver(broker, sessions, "CallPlanned", plan_data(1, "lead", 5, 3, at=due))
    row = stored(sessions, 1)
    assert (row.subject_kind, row.subject_id, row.responsible_id) == ("lead", 5, 3)
    assert (row.state, row.next_call_at, row.revision) == ("planned", due, 1)

    moved = due + timedelta(days=3)
    deliver(
        broker,
        sessions,
        "CallPlanned",
        plan_data(1, "lead", 5, 4, at=moved, status_id=2, revision=2),
    )
    row = stored(sessions, 1)
    assert (row.next_call_at, row.status_id, row.responsible_id, row.revision) == (moved, 2, 4, 2)


def test_an_older_revision_arriving_late_is_ignored(worker, broker, sessions, clean_db):
    newest = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)
    deliver(
        broker, sessions, "CallPlanned", plan_data(7, "counterparty", 2, 3, at=newest, revision=3)
    )
    deliver(
        broker,
        sessions,
        "CallPlanned",
        plan_data(7, "counterparty", 2, 3, at=None, state="removed", revision=2),
    )
    row = stored(sessions, 7)
    assert (row.state, row.next_call_at, row.revision) == ("planned", newest, 3)


def test_duplicates_change_nothing_whether_redelivered_or_re_sent(
    worker, broker, sessions, clean_db
):
    first = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    original = deliver(broker, sessions, "CallPlanned", plan_data(9, "lead", 1, 3, at=first))
    deliver(
        broker,
        sessions,
        "CallPlanned",
        plan_data(9, "lead", 1, 3, at=first, state="due", revision=2),
    )
    # The same message redelivered, then the same revision sent again under a new id.
    send(broker, "CallPlanned", original["data"], message_id=uuid.UUID(original["message_id"]))
    deliver(
        broker,
        sessions,
        "CallPlanned",
        plan_data(9, "lead", 1, 3, at=first + timedelta(days=9), revision=2),
    )
    row = stored(sessions, 9)
    assert (row.state, row.next_call_at, row.revision) == ("due", first, 2)


def test_the_call_task_shows_its_plan_due_without_a_revision_of_its_own(
    worker, broker, sessions, clean_db, boss
):
    due = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    lead_id = new_lead(sessions, boss, "Acme", boss.id)

    def call_task(plan_id: int, revision: int) -> dict:
        return {
            "key": f"call:{plan_id}:{due.isoformat()}",
            "kind": "call",
            "assignee_id": boss.id,
            "subject_kind": "lead",
            "subject_id": lead_id,
            "due_at": due.isoformat(),
            "plan_id": plan_id,
            "plan_revision": revision,
        }

    deliver(broker, sessions, "CallPlanned", plan_data(4, "lead", lead_id, boss.id, at=due))
    deliver(broker, sessions, "CreateTask", call_task(4, revision=2))
    row = stored(sessions, 4)
    assert (row.state, row.next_call_at, row.revision) == ("due", due, 2)

    # The next plan overtook a late due call: the panel keeps the newer one.
    deliver(
        broker, sessions, "CallPlanned", plan_data(5, "lead", lead_id, boss.id, at=due, revision=3)
    )
    deliver(broker, sessions, "CreateTask", call_task(5, revision=2))
    assert (stored(sessions, 5).state, stored(sessions, 5).revision) == ("planned", 3)


# -- the calls panel -------------------------------------------------------------------------


@pytest.fixture()
def panel(as_role, sessions, boss):
    """Two managers' subjects with plans around now; returns the clients and ids."""
    alice, bob = as_role("manager", department="Sales"), as_role("manager", department="Sales")
    now = utcnow()
    ids = {
        "hot_lead": new_lead(sessions, boss, "Acme", alice.id),
        "warm_lead": new_lead(sessions, boss, "Initech", alice.id),
        "globex": new_counterparty(sessions, boss, "Globex", alice.id),
        "umbrella": new_counterparty(sessions, boss, "Umbrella", bob.id),
        "gone": new_lead(sessions, boss, "Gone", alice.id),
    }
    hour, day = timedelta(hours=1), timedelta(days=1)
    for plan_id, kind, name, manager, extra in (
        (1, "lead", "hot_lead", alice, {"at": now - 2 * hour, "state": "due"}),
        (2, "lead", "warm_lead", alice, {"at": now + 2 * day, "status_id": 2}),
        (3, "counterparty", "globex", alice, {"at": now + day, "status_id": 2}),
        (4, "counterparty", "umbrella", bob, {"at": now - day, "status_id": 3}),
        (5, "lead", "gone", alice, {"at": None, "state": "removed", "revision": 4}),
    ):
        plan(sessions, plan_id, kind, ids[name], manager.id, **extra)
    return alice, bob, ids


def names(response):
    assert response.status_code == 200, response.json
    return [item["subject_name"] for item in response.json]


def test_a_manager_sees_their_calls_by_due_time_with_names_and_overdue_flags(panel):
    alice, _, ids = panel
    r = alice.get("/api/call-plans")
    assert names(r) == ["Acme", "Globex", "Initech"]  # the removed plan is not listed
    first = r.json[0]
    assert first["overdue"] is True and first["state"] == "due"
    assert first["subject_kind"] == "lead" and first["subject_id"] == ids["hot_lead"]
    assert first["status_name"] == "Hot" and first["responsible_id"] == alice.id
    assert [item["overdue"] for item in r.json[1:]] == [False, False]


def test_the_panel_filters_by_status_subject_kind_overdue_state_and_manager(panel, as_role):
    alice, bob, _ = panel
    head = as_role("head_of_sales", department="Sales")
    assert names(head.get("/api/call-plans")) == ["Umbrella", "Acme", "Globex", "Initech"]
    assert names(head.get(f"/api/call-plans?responsible_id={bob.id}")) == ["Umbrella"]
    assert names(head.get("/api/call-plans?status_id=2")) == ["Globex", "Initech"]
    assert names(head.get("/api/call-plans?subject_kind=counterparty")) == ["Umbrella", "Globex"]
    assert names(head.get("/api/call-plans?overdue=true")) == ["Umbrella", "Acme"]
    assert names(head.get("/api/call-plans?overdue=false")) == ["Globex", "Initech"]
    assert names(head.get("/api/call-plans?state=due")) == ["Acme"]
    assert names(head.get("/api/call-plans?state=planned")) == ["Umbrella", "Globex", "Initech"]
    assert names(alice.get("/api/call-plans?subject_kind=lead&overdue=false")) == ["Initech"]


def test_the_panel_is_paginated_with_the_total_in_the_header(panel, as_role):
    head = as_role("admin")
    r = head.get("/api/call-plans?page=2&page_size=3")
    assert names(r) == ["Initech"]
    meta = json.loads(r.headers["X-Pagination"])
    assert (meta["total"], meta["total_pages"], meta["page"]) == (4, 2, 2)


def test_a_manager_cannot_list_a_colleagues_calls_and_a_secretary_has_no_panel(panel, as_role):
    alice, bob, _ = panel
    assert alice.get(f"/api/call-plans?responsible_id={bob.id}").status_code == 403
    mine = names(alice.get(f"/api/call-plans?responsible_id={alice.id}"))
    assert mine == ["Acme", "Globex", "Initech"]
    assert as_role("secretary").get("/api/call-plans").status_code == 403


def test_bad_panel_filters_are_refused_with_the_field(panel):
    alice, _, _ = panel
    r = alice.get("/api/call-plans?subject_kind=partner&overdue=perhaps&state=removed")
    assert r.status_code == 422
    assert set(r.json["errors"]["query"]) == {"subject_kind", "overdue", "state"}


def test_a_due_call_given_in_turn_shows_in_that_managers_list(panel, sessions):
    alice, bob, ids = panel
    run_create_task(sessions, plan_id=1, subject_id=ids["hot_lead"], assignee_id=bob.id)
    listed = bob.get("/api/call-plans").json
    assert [(i["subject_name"], i["assignee_id"]) for i in listed] == [
        ("Umbrella", None),
        ("Acme", bob.id),
    ]
    # Paged in the same order, counted with the call given in turn.
    second = bob.get("/api/call-plans?page=2&page_size=1")
    assert names(second) == ["Acme"] and json.loads(second.headers["X-Pagination"])["total"] == 2
    assert "Acme" in names(alice.get("/api/call-plans"))  # still the responsible's too


def run_create_task(sessions, *, plan_id, subject_id, assignee_id):
    from services.crm.handlers.task_commands import create_from_command

    _env, command = read(
        envelope(
            "CreateTask",
            {
                "key": f"call:{plan_id}:test",
                "kind": "call",
                "assignee_id": assignee_id,
                "subject_kind": "lead",
                "subject_id": subject_id,
                "due_at": utcnow().isoformat(),
                "plan_id": plan_id,
            },
        )
    )
    with transaction(sessions) as session:
        return create_from_command(session, command, config.load())


def test_unknown_or_contradictory_panel_filters_are_refused_not_ignored(panel):
    alice, _, _ = panel
    for url, field in [
        ("/api/call-plans?manager=1", "manager"),
        ("/api/calls/done?colour=red", "colour"),
        ("/api/call-plans?day=tomorrow", "day"),
        ("/api/call-plans?day=today&date_from=2026-01-01", "day"),
        ("/api/calls/done?date_from=2026-02-01&date_to=2026-01-01", "date_to"),
        ("/api/call-plans?subject_id=3", "subject_kind"),
    ]:
        r = alice.get(url)
        assert r.status_code == 422, (url, r.json)
        errors = r.json["errors"]
        assert field in {**errors.get("query", {}), **errors.get("json", {})}, (url, errors)
    assert alice.get("/api/call-plans?page=1&page_size=2").status_code == 200


@pytest.fixture()
def days(as_role, sessions, boss):
    """A manager's calls yesterday, today and the day after tomorrow (UTC, their zone)."""
    manager = as_role("manager")
    now, day = utcnow(), timedelta(days=1)
    for plan_id, name, at in (
        (11, "Yesterday", now - day),
        (12, "Today", now),
        (13, "Later", now + 2 * day),
    ):
        plan(
            sessions, plan_id, "lead", new_lead(sessions, boss, name, manager.id), manager.id, at=at
        )
    return manager, now


def test_the_panel_shows_today_a_date_or_a_period_in_the_readers_zone(days):
    manager, now = days
    day = timedelta(days=1)
    assert names(manager.get("/api/call-plans?day=today")) == ["Today"]
    assert names(manager.get(f"/api/call-plans?day={(now - day).date()}")) == ["Yesterday"]
    period = f"date_from={(now - day).date()}&date_to={now.date()}"
    assert names(manager.get(f"/api/call-plans?{period}")) == ["Yesterday", "Today"]
    assert names(manager.get(f"/api/call-plans?date_from={(now + day).date()}")) == ["Later"]


def test_the_panel_shows_one_customers_calls_planned_and_done(panel, sessions):
    alice, _, ids = panel
    url = f"/api/call-plans?subject_kind=counterparty&subject_id={ids['globex']}"
    assert names(alice.get(url)) == ["Globex"]
    task = run_create_task(sessions, plan_id=2, subject_id=ids["warm_lead"], assignee_id=alice.id)
    done = alice.post(f"/api/tasks/{task.id}/complete", json={"outcome": "talked", "result": "ok"})
    assert done.status_code == 200, done.json
    mine = f"/api/calls/done?subject_kind=lead&subject_id={ids['warm_lead']}"
    assert names(alice.get(mine)) == ["Initech"]
    assert names(alice.get(mine + "&day=today")) == ["Initech"]
    yesterday = (utcnow() - timedelta(days=1)).date()
    assert names(alice.get(mine + f"&day={yesterday}")) == []
    assert names(alice.get(f"/api/calls/done?subject_kind=lead&subject_id={ids['hot_lead']}")) == []


def test_a_card_shows_its_next_call_and_its_events(panel, sessions, as_role):
    alice, bob, ids = panel
    run_create_task(sessions, plan_id=1, subject_id=ids["hot_lead"], assignee_id=bob.id)
    card = alice.get(f"/api/leads/{ids['hot_lead']}").json
    assert card["next_call"]["plan_id"] == 1 and card["next_call"]["state"] == "due"
    assert card["next_call"]["assignee_id"] == bob.id and card["next_call"]["overdue"] is True
    assert alice.get(f"/api/leads/{ids['gone']}").json["next_call"] is None  # removed plan

    task = bob.get("/api/tasks?kind=call").json[0]
    bob.post(f"/api/tasks/{task['id']}/complete", json={"outcome": "talked", "result": "Fine"})
    [event] = alice.get(f"/api/leads/{ids['hot_lead']}/events").json
    assert (event["kind"], event["outcome"], event["content"]) == ("call", "talked", "Fine")
    assert alice.get(f"/api/leads/{ids['hot_lead']}/events?kind=email").json == []
    assert alice.get(f"/api/leads/{ids['hot_lead']}/events?kind=fax").status_code == 422
    # Another manager's customer is not even shown to exist.
    assert as_role("manager").get(f"/api/leads/{ids['hot_lead']}/events").status_code == 404


# -- rescheduling ----------------------------------------------------------------------------


def test_rescheduling_records_one_command_for_the_scheduler(
    panel, sessions, settings, broker, amqp
):
    alice, _, ids = panel
    r = alice.post(
        f"/api/leads/{ids['warm_lead']}/reschedule-call",
        json={"due_at": "2026-12-01T10:30:00+01:00"},
    )
    assert r.status_code == 202, r.json
    assert r.json["due_at"] == "2026-12-01T09:30:00+00:00"
    assert (r.json["plan_id"], r.json["requested_by_id"]) == (2, alice.id)

    [command] = outbox_of(sessions, "RescheduleCall")
    assert (command.aggregate, command.aggregate_id) == ("lead", str(ids["warm_lead"]))
    assert command.data == {
        "subject_kind": "lead",
        "subject_id": ids["warm_lead"],
        "due_at": "2026-12-01T09:30:00+00:00",
        "requested_by_id": alice.id,
    }
    assert str(command.message_id) == r.json["message_id"]
    # The panel keeps the scheduler's time until the scheduler re-plans.
    assert stored(sessions, 2).revision == 1

    # The relay hands it to the scheduler's queue, as a dramatiq message for its actor.
    Relay(sessions, broker, settings.events_exchange).drain()

    def delivered():
        while True:
            method, _props, body = amqp.basic_get(queue=SCHEDULER, auto_ack=True)
            if method is None:
                return None
            message = json.loads(body)
            if message["message_id"] == r.json["message_id"]:
                return message

    message = eventually(delivered)
    assert message["actor_name"] == consumer_actor(SCHEDULER)
    assert message["args"][0]["type"] == "RescheduleCall"


def test_a_head_of_sales_reschedules_their_departments_counterparty_call(panel, as_role, sessions):
    _, _, ids = panel
    r = as_role("head_of_sales", department="Sales").post(
        f"/api/counterparties/{ids['umbrella']}/reschedule-call",
        json={"due_at": "2026-12-02T15:00:00Z"},
    )
    assert r.status_code == 202, r.json
    [command] = outbox_of(sessions, "RescheduleCall")
    assert command.data["subject_kind"] == "counterparty"
    assert command.data["subject_id"] == ids["umbrella"]


def test_bad_reschedule_requests_are_refused_and_send_nothing(panel, as_role, sessions, boss):
    alice, bob, ids = panel
    url = f"/api/leads/{ids['warm_lead']}/reschedule-call"
    for body in ({"due_at": "2026-12-01T10:30:00"}, {"due_at": "tomorrow"}, {}):
        r = alice.post(url, json=body)
        assert r.status_code == 422, body
        assert "due_at" in r.json["errors"]["json"]
    ok = {"due_at": "2026-12-01T10:30:00+00:00"}
    assert alice.post("/api/leads/999999/reschedule-call", json=ok).status_code == 404
    assert alice.post("/api/counterparties/999999/reschedule-call", json=ok).status_code == 404
    no_plan = new_lead(sessions, boss, "Unplanned", alice.id)
    r = alice.post(f"/api/leads/{no_plan}/reschedule-call", json=ok)
    assert r.status_code == 409 and "no planned call" in r.json["message"]
    assert alice.post(f"/api/leads/{ids['gone']}/reschedule-call", json=ok).status_code == 409
    assert bob.post(url, json=ok).status_code == 403
    assert as_role("secretary").post(url, json=ok).status_code == 403
    assert outbox_of(sessions, "RescheduleCall") == []


def test_the_handler_refuses_a_naive_due_time_from_any_caller(panel, sessions):
    alice, _, ids = panel
    with pytest.raises(Invalid), transaction(sessions) as session:
        calls.request_reschedule(
            session, Actor(alice.id, Role.MANAGER), "lead", ids["warm_lead"], datetime(2026, 12, 1)
        )


# -- routines --------------------------------------------------------------------------------


def backdate(sessions, sql, **params) -> None:
    with transaction(sessions) as session:
        session.execute(text(sql), params)


def run_routine(broker, sessions, routine) -> dict:
    return deliver(
        broker, sessions, "RunRoutine", {"routine": routine, "period": "2026-11-26T03:00Z"}
    )


def test_reclassify_buyers_puts_each_buyer_in_its_stage(worker, broker, sessions, admin, boss):
    old, long_ago = utcnow() - timedelta(days=200), utcnow() - timedelta(days=120)
    new_lead(sessions, boss, "Prospect", None, status_id=1)
    archived = new_lead(sessions, boss, "Archived", None)
    converted_lead = new_lead(sessions, boss, "Loyal", None, status_id=2)
    new_counterparty(sessions, boss, "Fresh")
    silent = new_counterparty(sessions, boss, "Silent")
    hopeless = new_counterparty(sessions, boss, "Hopeless", status_id=4)
    rejoined = new_counterparty(sessions, boss, "Rejoined", status_id=2)
    with transaction(sessions) as session:
        subjects.update(session, boss, "lead", archived, {"archived": True})
        loyal = leads.convert_lead(session, boss, converted_lead, {"kind": "individual"}).id
    # Loyal was called as a lead for 200 days and became a counterparty 120 days ago.
    backdate(
        sessions,
        "UPDATE crm.status_assignments SET assigned_at = :t WHERE subject_kind = 'lead' AND subject_id = :id",
        t=old,
        id=converted_lead,
    )
    backdate(
        sessions,
        "UPDATE crm.counterparties SET created_at = :t WHERE id = ANY(:ids)",
        t=long_ago,
        ids=[loyal, silent, hopeless, rejoined],
    )

    run_routine(broker, sessions, "reclassify_buyers")

    def stages(url):
        r = admin.get(url)
        assert r.status_code == 200, r.json
        return {item["name"]: item["relationship_stage"] for item in r.json}

    assert stages("/api/counterparties") == {
        "Loyal": "regular",
        "Fresh": "new",
        "Silent": "dormant",
        "Hopeless": "dormant",
        "Rejoined": "new",
    }
    assert stages("/api/leads?archived=false") == {"Prospect": "prospect"}
    assert stages("/api/leads?archived=true") == {"Archived": "dormant", "Loyal": None}
    assert list(stages("/api/counterparties?relationship_stage=regular")) == ["Loyal"]


def test_cleanup_deletes_old_published_outbox_rows_and_inbox_ids_only(
    worker, broker, sessions, clean_db
):
    now = utcnow()
    rows = {
        "old_sent": (now - timedelta(days=8), now - timedelta(days=8)),
        "recent_sent": (now - timedelta(days=8), now - timedelta(days=1)),
        "old_pending": (now - timedelta(days=30), None),
    }
    with transaction(sessions) as session:
        for name, (occurred, published) in rows.items():
            session.add(
                OutboxMessage(
                    aggregate="lead",
                    aggregate_id=name,
                    type="SubjectArchived",
                    version=1,
                    occurred_at=occurred,
                    published_at=published,
                    data={},
                )
            )
        for days in (8, 1):
            session.add(
                InboxMessage(message_id=uuid.uuid4(), processed_at=now - timedelta(days=days))
            )

    run_routine(broker, sessions, "cleanup_outbox")

    with sessions() as session:
        kept = set(session.scalars(select(OutboxMessage.aggregate_id)))
        ages = sorted(
            round((now - t) / timedelta(days=1))
            for t in session.scalars(select(InboxMessage.processed_at))
        )
    assert kept == {"recent_sent", "old_pending"}
    assert ages == [0, 1]  # the routine's own message id and the recent one


def test_an_unknown_routine_is_dead_lettered_with_the_reason(
    worker, broker, sessions, amqp, clean_db
):
    env = send(
        broker, "RunRoutine", {"routine": "escalate_everything", "period": "2026-11-26T03:00Z"}
    )

    def dead_lettered():
        method, props, body = amqp.basic_get(queue=f"{CRM}.XQ", auto_ack=True)
        if method is not None and json.loads(body)["message_id"] == env["message_id"]:
            return props.headers[REASON_HEADER]
        return None

    reason = eventually(dead_lettered)
    assert "UnknownRoutine" in reason and "escalate_everything" in reason
    assert not processed(sessions, env)
