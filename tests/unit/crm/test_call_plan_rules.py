"""Who sees and moves planned calls, and when a call counts as overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.crm.domain.calls import is_overdue, plans_scope
from services.crm.domain.errors import Forbidden
from services.crm.domain.roles import Actor, Role

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
MANAGER = Actor(7, Role.MANAGER)


def test_a_manager_gets_their_own_calls_by_default_and_may_not_ask_for_a_colleagues():
    assert plans_scope(MANAGER, None) == 7
    assert plans_scope(MANAGER, 7) == 7
    with pytest.raises(Forbidden):
        plans_scope(MANAGER, 8)


def test_heads_of_sales_and_admins_see_everyone_or_whom_they_ask_for():
    for role in (Role.HEAD_OF_SALES, Role.ADMIN):
        assert plans_scope(Actor(1, role), None) is None
        assert plans_scope(Actor(1, role), 8) == 8


def test_roles_outside_sales_have_no_calls_panel():
    # Who may move a call is the ownership rule (tests/unit/crm/test_access_rules.py).
    for role in (Role.SECRETARY, Role.EXECUTOR, Role.HEAD_OF_EXECUTION):
        with pytest.raises(Forbidden):
            plans_scope(Actor(1, role), None)


def test_a_live_call_past_its_time_is_overdue_and_a_removed_one_never():
    past, future = NOW - timedelta(minutes=1), NOW + timedelta(minutes=1)
    assert is_overdue(past, "planned", NOW)
    assert is_overdue(past, "due", NOW)
    assert not is_overdue(future, "planned", NOW)
    assert not is_overdue(past, "removed", NOW)
    assert not is_overdue(None, "planned", NOW)
