"""Whose figures a report shows: admins everyone's, heads their department's, managers their own."""

from __future__ import annotations

from typing import Any

import pytest

from services.crm.analytics.domain.classification import status_for
from services.crm.analytics.domain.ranking import rank_within, share
from services.crm.analytics.domain.scope import Scope, resolve
from services.crm.domain.access import Owner, may_read_figures
from services.crm.domain.errors import Forbidden, Invalid
from services.crm.domain.roles import Actor, Role

ADMIN = Actor(1, Role.ADMIN)
HEAD = Actor(2, Role.HEAD_OF_SALES, "Sales")
ALICE = Actor(3, Role.MANAGER, "Sales")
LONER = Actor(4, Role.MANAGER, None)
SECRETARY = Actor(5, Role.SECRETARY, "Sales")


def test_without_filters_each_reader_gets_the_widest_scope_they_have():
    assert resolve(ADMIN, department=None, manager_id=None) == Scope()
    assert resolve(HEAD, department=None, manager_id=None) == Scope("Sales")
    assert resolve(ALICE, department=None, manager_id=None) == Scope("Sales", 3)
    assert resolve(LONER, department=None, manager_id=None) == Scope(None, 4)
    with pytest.raises(Forbidden):
        resolve(SECRETARY, department=None, manager_id=None)


def test_asking_for_another_department_or_manager_is_forbidden():
    assert resolve(HEAD, department=None, manager_id=3, manager_department="Sales") == Scope(
        "Sales", 3
    )
    for actor, department, manager, manager_department in (
        (HEAD, "Export", None, None),
        (HEAD, None, 9, "Export"),
        (ALICE, "Sales", None, None),
        (ALICE, None, 9, "Sales"),
    ):
        with pytest.raises(Forbidden):
            resolve(
                actor,
                department=department,
                manager_id=manager,
                manager_department=manager_department,
            )


def test_a_manager_outside_the_named_department_is_a_bad_filter():
    with pytest.raises(Invalid) as refused:
        resolve(ADMIN, department="Export", manager_id=3, manager_department="Sales")
    assert refused.value.field == "manager_id"


def test_figures_follow_the_ownership_rule():
    assert may_read_figures(ALICE, Owner(3, "Sales"))
    assert not may_read_figures(ALICE, Owner(None, "Sales"))
    assert may_read_figures(HEAD, Owner(None, "Sales")) and may_read_figures(
        HEAD, Owner(9, "Sales")
    )
    assert not may_read_figures(HEAD, Owner(None, "Export"))
    assert may_read_figures(ADMIN, Owner(None, "Export"))
    assert not may_read_figures(SECRETARY, Owner(None, "Sales"))


def test_ranks_are_shared_by_ties_and_rows_without_a_figure_come_last():
    rows: list[dict[str, Any]] = [
        {"d": "Sales", "x": 0.5},
        {"d": "Sales", "x": None},
        {"d": "Sales", "x": 0.9},
        {"d": "Sales", "x": 0.5},
        {"d": "Export", "x": 0.1},
    ]
    rank_within(rows, "d", "x")
    assert [r["rank"] for r in rows] == [2, 4, 1, 2, 1]
    assert (share(1, 3), share(1, 0)) == (0.3333, None)


def test_the_most_specific_rule_of_the_classification_wins():
    rules = {("regular", "A"): 1, ("regular", None): 2, ("dormant", None): 3}
    strategies = {"A": 7, "B": 8, "C": None}
    assert status_for("regular", "A", rules, strategies) == 1
    assert status_for("regular", "B", rules, strategies) == 2
    assert status_for("new", "B", rules, strategies) == 8  # the class's strategy
    assert status_for("new", "C", rules, strategies) is None  # no status: left as it is
    assert status_for("new", None, rules, strategies) is None
    assert status_for(None, "A", rules, strategies) is None  # a converted lead
