"""The ownership rule: own records, heads their department, admins all, nobody else."""

from __future__ import annotations

import pytest

from services.crm.domain.access import (
    Owner,
    covers,
    may_act_through,
    may_change,
    may_read_customer,
    may_read_deal,
    require_change,
)
from services.crm.domain.errors import Forbidden
from services.crm.domain.roles import Actor, Role

ALICE = Actor(1, Role.MANAGER, "Sales")
BOB = Actor(2, Role.MANAGER, "Sales")
CAROL_HEAD = Actor(3, Role.HEAD_OF_SALES, "Sales")
DAN_OTHER_HEAD = Actor(4, Role.HEAD_OF_SALES, "Export")
EVE_HEAD_NO_DEPT = Actor(5, Role.HEAD_OF_SALES, None)
ADMIN = Actor(6, Role.ADMIN)
SECRETARY = Actor(7, Role.SECRETARY, "Office")
EXECUTOR = Actor(8, Role.EXECUTOR, "Execution")

ALICES = Owner(responsible_id=1, department="Sales")
POOL = Owner(responsible_id=None, department=None)


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (ALICE, True),
        (BOB, False),
        (CAROL_HEAD, True),
        (DAN_OTHER_HEAD, False),
        (EVE_HEAD_NO_DEPT, False),
        (ADMIN, True),
        (SECRETARY, False),
        (EXECUTOR, False),
    ],
)
def test_only_the_owner_their_head_and_admins_change_a_customer(actor, expected):
    assert may_change(actor, ALICES) is expected


def test_unassigned_customers_are_the_sales_pool():
    assert may_change(BOB, POOL) and may_change(DAN_OTHER_HEAD, POOL)
    assert not may_change(SECRETARY, POOL) and not may_change(EXECUTOR, POOL)


def test_colleagues_read_but_other_departments_do_not():
    assert may_read_customer(BOB, ALICES) and may_read_deal(BOB, ALICES)
    assert not may_read_customer(DAN_OTHER_HEAD, ALICES)
    assert not may_read_deal(DAN_OTHER_HEAD, ALICES)
    assert not may_read_deal(EVE_HEAD_NO_DEPT, ALICES)


def test_secretaries_and_execution_read_customers_but_not_deals():
    for actor in (SECRETARY, EXECUTOR):
        assert may_read_customer(actor, ALICES)
        assert not may_read_deal(actor, ALICES)


def test_a_refused_change_says_who_may_make_it():
    with pytest.raises(Forbidden, match="only they, their head or an admin"):
        require_change(BOB, ALICES, "lead 5")


HEAD_OF_EXECUTION = Actor(9, Role.HEAD_OF_EXECUTION, "Execution")


def test_work_is_read_by_its_assignee_their_head_and_admins():
    # The same people as may change the assignee's customers: Alice, her head, admins.
    everyone = (
        ALICE,
        BOB,
        CAROL_HEAD,
        DAN_OTHER_HEAD,
        EVE_HEAD_NO_DEPT,
        ADMIN,
        SECRETARY,
        EXECUTOR,
    )
    assert [covers(actor, ALICES) for actor in everyone] == [
        may_change(actor, ALICES) for actor in everyone
    ]
    assert [covers(actor, ALICES) for actor in everyone].count(True) == 3


def test_a_head_with_no_department_oversees_nobody_elses_work_nor_work_of_unclear_owners():
    nobodys = Owner(responsible_id=10, department=None)
    assert not covers(EVE_HEAD_NO_DEPT, nobodys) and not covers(EVE_HEAD_NO_DEPT, POOL)
    assert covers(HEAD_OF_EXECUTION, Owner(8, "Execution"))
    assert covers(ADMIN, POOL)


def test_a_task_set_by_hand_moves_someone_elses_plan_only_with_its_authors_right():
    # The executor's own task about Alice's customer: neither the executor nor they may.
    assert not may_act_through(EXECUTOR, ALICES, given_by_system=False, author=EXECUTOR)
    assert not may_act_through(BOB, ALICES, given_by_system=False, author=BOB)
    # Set for Bob by their head, or given by the calling loop: Bob acts for the giver.
    assert may_act_through(BOB, ALICES, given_by_system=False, author=CAROL_HEAD)
    assert may_act_through(BOB, ALICES, given_by_system=True, author=None)
    assert may_act_through(ALICE, ALICES, given_by_system=False, author=EXECUTOR)
