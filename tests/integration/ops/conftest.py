"""The ops CLI run as an operator runs it, against the run's database, vhost and Redis."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from dramatiq.common import dq_name, xq_name
from sqlalchemy import select

from services.crm.adapters.orm import InteractionStatus
from services.ops.cli import main
from services.ops.queues import QUEUES


@pytest.fixture()
def ops(settings):
    """``ops("queues")`` runs `crm-ops queues`; the test fails unless it exits with ``code``."""
    runner = CliRunner()

    def run(*args, code: int = 0):
        result = runner.invoke(main, [str(a) for a in args])
        assert result.exit_code == code, f"{result.output}\n{result.exception!r}"
        return result

    return run


@pytest.fixture()
def service_queues(broker, amqp):
    """Every service's queue with its delay and dead-letter queues, declared and empty."""
    for name in QUEUES:
        broker.declare_queue(name, ensure=True)
        for queue in (name, dq_name(name), xq_name(name)):
            amqp.queue_purge(queue)
    return amqp


def status_id(sessions, name: str) -> int:
    with sessions() as session:
        return session.scalar(select(InteractionStatus.id).where(InteractionStatus.name == name))
