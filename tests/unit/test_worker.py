"""A service's worker as its actors module declares it: broker, settings, one consumer actor."""

from __future__ import annotations

import threading
import uuid

import dramatiq
import dramatiq.broker
import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker

from shared import config
from shared.broker import ensure_broker, reconnect, set_stub_broker
from shared.consumer import RETRIES
from shared.contracts import envelope
from shared.db import InboxColumns
from shared.worker import Worker


@pytest.fixture()
def no_broker():
    """No broker installed during the test; the one installed before is put back after."""
    before = dramatiq.broker.global_broker
    dramatiq.broker.global_broker = None
    yield
    dramatiq.broker.global_broker = before


@pytest.fixture()
def stub(no_broker):
    return set_stub_broker()


def test_a_worker_keeps_the_broker_a_test_installed_and_declares_its_actor_on_it(stub):
    worker = Worker("test-worker", "testq")
    actor = worker.consumer({}, InboxColumns)
    assert worker.broker is stub
    assert stub.get_actor("handle_testq_message") is actor
    assert actor.queue_name == "testq"
    assert actor.options["envelope"] is True
    assert {k: actor.options[k] for k in RETRIES} == RETRIES
    assert worker.settings == config.load()


def test_a_message_of_a_type_the_worker_does_not_handle_is_dead_lettered_not_retried(stub):
    actor = Worker("test-worker", "testq").consumer({}, InboxColumns)
    actor.send(envelope("CancelTimer", {"key": "k"}, message_id=uuid.uuid4()))
    worker = dramatiq.Worker(stub, worker_timeout=50)
    worker.start()
    try:
        stub.join("testq", fail_fast=False)
        worker.join()
    finally:
        worker.stop()
    [letter] = stub.dead_letters
    assert letter.options.get("retries", 0) == 0


def test_the_session_factory_is_made_once_at_first_use_and_handed_to_the_hook(stub):
    seen = []
    worker = Worker("test-worker", "testq", on_sessions=lambda s, cfg: seen.append((s, cfg)))
    assert seen == []  # importing an actors module connects to nothing
    made = []
    threads = [threading.Thread(target=lambda: made.append(worker.sessions())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(s) for s in made}) == 1
    assert seen == [(made[0], worker.settings)]


def test_without_an_installed_broker_the_worker_installs_rabbitmq_from_its_settings(no_broker):
    settings = config.load()
    broker = ensure_broker(settings)
    assert isinstance(broker, RabbitmqBroker)
    assert dramatiq.get_broker() is broker
    assert ensure_broker(settings) is broker


def test_reconnecting_a_broker_without_connections_does_nothing(stub):
    reconnect(stub)
