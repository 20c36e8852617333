"""An outbox row no relay can ever publish is set aside with its reason; the others go out."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from services.crm.adapters import relay as crm_relay
from services.notifier.adapters import outbox as notifier_outbox
from services.ops.cli import main as crm_ops
from shared.db import libpq_dsn, transaction
from shared.outbox import pending_count
from tests.helpers import bind_events, drain_queue, eventually

RELAYS = {"crm": crm_relay.Relay, "notifier": notifier_outbox.Relay}
GOOD = "now()"
# Year 1: its message timestamp would be negative. Year 0 (1 BC): no Python datetime holds it.
YEAR_1 = "'0001-01-01 00:00:00+00'"
YEAR_0 = "'0001-12-31 23:00:00+00 BC'"


def outbox_row(sessions, schema: str, type_: str, occurred_at: str, queue: str | None = None):
    """A row written straight into the outbox, as a bug or a hand edit would leave it."""
    with transaction(sessions) as session:
        return session.scalar(
            text(
                f"INSERT INTO {schema}.outbox (message_id, aggregate, aggregate_id, type, "
                f"version, occurred_at, data, queue) VALUES (gen_random_uuid(), 'lead', '1', "
                f":type, 1, {occurred_at}, '{{}}', :queue) RETURNING id"
            ),
            {"type": type_, "queue": queue},
        )


def set_aside(sessions, schema: str) -> dict[int, str]:
    with sessions() as session:
        rows = session.execute(
            text(
                f"SELECT id, quarantine_reason FROM {schema}.outbox "
                "WHERE quarantined_at IS NOT NULL"
            )
        )
        return dict(rows.all())


@pytest.fixture(params=sorted(RELAYS))
def schema(request):
    return request.param


@pytest.fixture()
def relay(schema, settings, sessions, broker, clean_db):
    return RELAYS[schema](sessions, broker, settings.events_exchange, batch_size=50)


@pytest.fixture()
def events(amqp, settings):
    return bind_events(amqp, settings.events_exchange, "#")


def received_ids(amqp, queue: str) -> set[str]:
    return {body["message_id"] for *_, body in drain_queue(amqp, queue)}


def message_ids(sessions, schema: str, ids: list[int]) -> set[str]:
    with sessions() as session:
        rows = session.scalars(
            text(f"SELECT message_id::text FROM {schema}.outbox WHERE id = ANY(:ids)"),
            {"ids": ids},
        )
        return set(rows)


def test_unpublishable_rows_are_set_aside_and_every_other_row_is_published(
    relay, schema, sessions, amqp, events
):
    good = [outbox_row(sessions, schema, "SubjectRegistered", GOOD) for _ in range(3)]
    unknown = outbox_row(sessions, schema, "NoSuchEvent", GOOD)
    negative = outbox_row(sessions, schema, "SubjectRegistered", YEAR_1)
    unloadable = outbox_row(sessions, schema, "AssignStatus", YEAR_0, queue="crm")
    good.append(outbox_row(sessions, schema, "SubjectRegistered", GOOD))

    relay.drain()
    relay.drain()  # the rows set aside are not tried again

    assert received_ids(amqp, events) == message_ids(sessions, schema, good)
    reasons = set_aside(sessions, schema)
    assert set(reasons) == {unknown, negative, unloadable}
    assert "NoSuchEvent" in reasons[unknown]
    assert "int too large" in reasons[negative]
    assert "year" in reasons[unloadable]
    with sessions() as session:
        assert pending_count(session, relay.model) == 0

    listed = CliRunner().invoke(crm_ops, ["quarantine", "list"])
    assert listed.exit_code == 0, listed.output
    assert {
        (table, int(row_id), reason)
        for table, row_id, _, reason in (line.split("\t") for line in listed.stdout.splitlines())
    } == {(f"{schema}.outbox", row_id, reason) for row_id, reason in reasons.items()}


def test_the_relay_loop_keeps_publishing_past_poisoned_rows(
    relay, schema, settings, sessions, amqp, events
):
    outbox_row(sessions, schema, "NoSuchEvent", GOOD)
    outbox_row(sessions, schema, "AssignStatus", YEAR_0, queue="crm")
    stop = threading.Event()
    loop = threading.Thread(target=relay.run, args=(libpq_dsn(settings.database_url), 0.2, stop))
    loop.start()
    try:
        eventually(lambda: len(set_aside(sessions, schema)) == 2)
        for _ in range(2):  # what is committed afterwards still goes out
            row = outbox_row(sessions, schema, "SubjectRegistered", GOOD)
            assert eventually(lambda: received_ids(amqp, events)) == message_ids(
                sessions, schema, [row]
            )
        assert loop.is_alive()
    finally:
        stop.set()
        loop.join(timeout=30)
