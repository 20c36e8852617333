"""A request's bearer token is checked in the transaction its use case continues."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.integration.crm.support import created, field_errors

HOT, WARM = 1, 2


@pytest.fixture()
def opened(app):
    """The transactions begun on the API's engine while the test runs."""
    engine = app.extensions["crm.engine"]
    begun: list[object] = []

    def began(conn):
        begun.append(conn)

    event.listen(engine, "begin", began)
    yield begun
    event.remove(engine, "begin", began)


@pytest.fixture()
def lead(manager):
    return created(manager, "/api/leads", name="Stark", responsible_id=manager.id)["id"]


def test_a_status_assignment_is_one_transaction_token_check_included(manager, lead, opened):
    r = manager.post(f"/api/leads/{lead}/status", json={"status_id": WARM})
    assert r.status_code == 200, r.json
    assert len(opened) == 1


def test_a_failing_use_case_rolls_back_with_the_token_check(app, manager, lead):
    r = manager.post(f"/api/leads/{lead}/status", json={"status_id": 999_999})
    assert "status_id" in field_errors(r)
    assert manager.get(f"/api/leads/{lead}/status-history").json == []
    assert app.extensions["crm.engine"].pool.checkedout() == 0


def test_requests_answered_before_any_use_case_hold_no_connection(
    app, manager, lead, unauthenticated
):
    invalid = manager.post(f"/api/leads/{lead}/status", json={"status_id": "hot"})
    assert invalid.status_code == 422
    for client in unauthenticated:
        assert client.post(f"/api/leads/{lead}/status", json={"status_id": HOT}).status_code == 401
    assert app.extensions["crm.engine"].pool.checkedout() == 0
