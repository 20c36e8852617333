"""Who hears about an overdue task: the head of the assignee's department, by kind of work."""

from __future__ import annotations

from services.notifier.domain.directory import Person
from services.notifier.domain.escalation import escalation_recipient, head_role_for

DIRECTORY = [
    Person(1, "head_of_sales", "Sales"),
    Person(2, "manager", "Sales"),
    Person(3, "head_of_execution", "Execution"),
    Person(4, "executor", "Execution"),
    Person(5, "head_of_sales", "Retail"),
    Person(6, "manager", "Retail"),
    Person(7, "executor", "Field"),
    Person(8, "head_of_sales", "Sales", active=False),
    Person(9, "admin", None),
]


def test_a_managers_overdue_task_goes_to_the_head_of_sales_of_their_department():
    assert escalation_recipient(Person(6, "manager", "Retail"), DIRECTORY, "Sales") == 5
    assert escalation_recipient(Person(2, "manager", "Sales"), DIRECTORY, "Sales") == 1


def test_an_executors_overdue_task_goes_to_the_head_of_execution():
    assert escalation_recipient(Person(4, "executor", "Execution"), DIRECTORY, "Sales") == 3
    assert head_role_for("executor") == head_role_for("head_of_execution") == "head_of_execution"
    assert head_role_for("secretary") == head_role_for(None) == "head_of_sales"


def test_a_department_without_its_head_escalates_to_a_head_of_that_kind_elsewhere():
    assert escalation_recipient(Person(7, "executor", "Field"), DIRECTORY, "Sales") == 3


def test_an_unassigned_task_goes_to_the_head_of_the_default_sales_department():
    assert escalation_recipient(None, DIRECTORY, "Retail") == 5
    assert escalation_recipient(None, DIRECTORY, "Sales") == 1


def test_a_head_is_never_told_about_their_own_task_and_inactive_heads_are_skipped():
    assert escalation_recipient(Person(1, "head_of_sales", "Sales"), DIRECTORY, "Sales") == 5


def test_without_any_head_the_configured_fallback_hears_of_it_or_nobody():
    only = [Person(4, "executor", "Execution"), Person(9, "admin", None)]
    assert escalation_recipient(only[0], only, "Sales", fallback_id=9) == 9
    assert escalation_recipient(only[0], only, "Sales") is None
    assert escalation_recipient(only[0], only, "Sales", fallback_id=42) is None
