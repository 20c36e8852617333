"""The outbox relay: what other systems receive on crm.events, and what survives a crash."""

from __future__ import annotations

import pytest

from services.crm.adapters.relay import Relay, pending_count
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import leads, subjects
from shared import config
from shared.db import transaction
from tests import factories
from tests.helpers import bind_events, drain_queue


@pytest.fixture()
def relay(settings, sessions, broker, clean_db):
    relay = Relay(sessions, broker, settings.events_exchange, batch_size=50)
    yield relay
    relay.close()


@pytest.fixture()
def lead_and_manager(sessions, settings, clean_db):
    manager_id, _ = factories.employee(sessions, "manager", timezone="Asia/Tokyo")
    actor = Actor(manager_id, Role.MANAGER)
    with transaction(sessions) as session:
        fields = {"name": "Initech", "responsible_id": manager_id}
        lead = leads.create_lead(session, actor, fields, settings)
    return lead.id, actor


def assign(sessions, actor, lead_id, status_id):
    with transaction(sessions) as session:
        return subjects.assign_status(
            session, actor, "lead", lead_id, status_id, "test", settings=config.load()
        )[1]


def test_status_assignment_reaches_an_outside_consumer_once_with_the_envelope(
    relay, sessions, amqp, settings, lead_and_manager
):
    lead_id, actor = lead_and_manager
    queue = bind_events(amqp, settings.events_exchange, "lead.status_assigned")
    assign(sessions, actor, lead_id, 1)

    relay.drain()
    relay.drain()  # nothing pending: nothing sent again

    [(method, props, body)] = drain_queue(amqp, queue)
    assert method.routing_key == "lead.status_assigned"
    assert set(body) == {"message_id", "type", "version", "occurred_at", "data"}
    assert body["type"] == "StatusAssigned" and body["version"] == 1
    assert props.message_id == body["message_id"]
    assert props.content_type == "application/json"
    assert body["data"]["subject_id"] == lead_id
    assert body["data"]["status_id"] == 1
    assert body["data"]["responsible_timezone"] == "Asia/Tokyo"
    assert body["data"]["call_interval_days"] == 3


def test_reassigning_the_same_status_publishes_nothing(
    relay, sessions, amqp, settings, lead_and_manager
):
    lead_id, actor = lead_and_manager
    queue = bind_events(amqp, settings.events_exchange, "lead.status_assigned")
    assert assign(sessions, actor, lead_id, 2) is True
    assert assign(sessions, actor, lead_id, 2) is False
    relay.drain()
    assert len(drain_queue(amqp, queue)) == 1


def test_crash_between_publish_and_mark_resends_with_the_same_message_id(
    relay, sessions, amqp, settings, lead_and_manager
):
    lead_id, actor = lead_and_manager
    queue = bind_events(amqp, settings.events_exchange, "lead.status_assigned")
    assign(sessions, actor, lead_id, 1)

    # The relay publishes, then dies before its transaction marks the rows sent.
    with sessions() as session, session.begin():
        rows = relay.claim(session)
        relay.publish(rows)
        session.rollback()
    with sessions() as session:
        assert pending_count(session) > 0

    relay.drain()
    first, second = drain_queue(amqp, queue)
    assert first[2]["message_id"] == second[2]["message_id"]
    assert first[2] == second[2]
    with sessions() as session:
        assert pending_count(session) == 0


def test_events_of_one_aggregate_are_published_in_the_order_they_happened(
    relay, sessions, amqp, settings, lead_and_manager
):
    lead_id, actor = lead_and_manager
    queue = bind_events(amqp, settings.events_exchange, "lead.*")
    for status_id in (1, 2, 3, 4, 1, 3):
        assign(sessions, actor, lead_id, status_id)
    relay.drain()
    received = [body for _, _, body in drain_queue(amqp, queue) if body["type"] == "StatusAssigned"]
    assert [b["data"]["status_id"] for b in received] == [1, 2, 3, 4, 1, 3]
    assert [b["data"]["previous_status_id"] for b in received] == [None, 1, 2, 3, 4, 1]


def test_subscribed_internal_queue_gets_a_dramatiq_message_with_the_same_id(
    relay, sessions, amqp, settings, broker, lead_and_manager
):
    lead_id, actor = lead_and_manager
    broker.declare_queue("scheduler")
    amqp.queue_purge("scheduler")
    assign(sessions, actor, lead_id, 1)
    relay.drain()
    messages = drain_queue(amqp, "scheduler")
    status_messages = [b for _, _, b in messages if b["args"][0]["type"] == "StatusAssigned"]
    assert len(status_messages) == 1
    [message] = status_messages
    assert message["actor_name"] == "handle_scheduler_message"
    assert message["message_id"] == message["args"][0]["message_id"]


def test_one_drain_sends_more_than_a_batch_in_order(
    relay, sessions, amqp, settings, lead_and_manager
):
    lead_id, actor = lead_and_manager
    queue = bind_events(amqp, settings.events_exchange, "lead.status_assigned")
    statuses = [1, 2] * 65  # 130 assignments: two full batches of 50 and a part
    for status_id in statuses:
        assign(sessions, actor, lead_id, status_id)

    assert relay.drain() >= len(statuses)

    received = [body["data"]["status_id"] for _, _, body in drain_queue(amqp, queue)]
    assert received == statuses
    with sessions() as session:
        assert pending_count(session) == 0
