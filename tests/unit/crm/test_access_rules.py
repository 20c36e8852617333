"""The ownership rule: own records, heads their department, admins all, nobody else."""

from __future__ import annotations

import pytest

from services.crm.domain.access import (
    Owner,
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
