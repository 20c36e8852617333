"""Who takes a due call: the responsible manager, else the department's managers in turn."""

from __future__ import annotations

from services.notifier.domain.assignment import (
    managers_of,
    next_in_rotation,
    rotation_departments,
    takes_calls_directly,
)
from services.notifier.domain.directory import Person


def test_an_active_responsible_manager_takes_the_call_themselves():
    assert takes_calls_directly(Person(7, "manager", "Sales"))


def test_an_inactive_or_unknown_responsible_does_not_take_the_call():
    assert not takes_calls_directly(Person(7, "manager", "Sales", active=False))
    assert not takes_calls_directly(None)


def test_rotation_starts_with_the_lowest_id_and_goes_round_in_id_order():
    managers = [12, 4, 9]
    picked, last = [], None
    for _ in range(5):
        last = next_in_rotation(managers, last)
        picked.append(last)
    assert picked == [4, 9, 12, 4, 9]


def test_rotation_goes_on_after_the_last_assignee_left_the_department():
    assert next_in_rotation([3, 8, 15], last_id=10) == 15
    assert next_in_rotation([3, 8], last_id=10) == 3


def test_rotation_without_managers_picks_nobody():
    assert next_in_rotation([], last_id=None) is None


def test_the_responsibles_department_rotates_first_then_the_default_sales_department():
    former = Person(7, "manager", "Key accounts", active=False)
    assert rotation_departments(former, "Sales") == ["Key accounts", "Sales"]
    assert rotation_departments(Person(7, "manager", "Sales", active=False), "Sales") == ["Sales"]


def test_an_unknown_responsible_or_one_without_department_rotates_in_the_default_department():
    assert rotation_departments(None, "Sales") == ["Sales"]
    assert rotation_departments(Person(7, "manager", None, active=False), "Sales") == ["Sales"]


def test_only_active_managers_of_the_department_are_in_the_rotation():
    directory = [
        Person(1, "manager", "Sales"),
        Person(2, "manager", "Sales", active=False),
        Person(3, "head_of_sales", "Sales"),
        Person(4, "manager", "Retail"),
        Person(5, "manager", "Sales"),
        Person(6, "executor", "Sales"),
    ]
    assert managers_of(directory, "Sales") == [1, 5]
