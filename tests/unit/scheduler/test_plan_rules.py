"""The rules of call plans, without a database."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from services.scheduler.domain import plans
from services.scheduler.domain.plans import DUE, PLANNED, REMOVED, Plan, StatusRule
from shared.calendar import WorkingCalendar

CAL = WorkingCalendar()
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WARM = StatusRule(status_id=2, version=1, generate_calls=True, interval_days=3)
HOPELESS = StatusRule(status_id=4, version=1, generate_calls=False, interval_days=0)


def at(day, hour=9):
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def assign(plan=None, rule=WARM, assignment_id=1, when=MONDAY_10, **kw):
    return plans.assign_status(
        plan,
        subject_kind="lead",
        subject_id=7,
        assignment_id=assignment_id,
        rule=rule,
        responsible_id=kw.get("responsible_id", 11),
        timezone=kw.get("timezone", "UTC"),
        department=kw.get("department"),
        assigned_at=when,
        calendar=CAL,
    )


def test_a_new_status_plans_the_call_one_interval_after_the_assignment():
    plan = assign()
    assert plan.state == PLANNED
    assert plan.next_call_at == at(26)  # Monday + 3 working days, at 09:00
    assert (plan.status_id, plan.status_version, plan.revision) == (2, 1, 1)


def test_a_status_change_replans_from_the_new_assignment():
    first = assign()
    hot = StatusRule(1, 1, True, 1)
    second = assign(first, hot, assignment_id=2, when=at(24, 12))
    assert second.next_call_at == at(25)
    assert second.status_id == 1 and second.revision == 2


def test_an_older_assignment_arriving_late_is_dropped():
    newer = assign(assignment_id=5)
    assert assign(newer, HOPELESS, assignment_id=4) is None
    assert assign(newer, WARM, assignment_id=5) is None  # the same one again


def test_a_status_without_calls_removes_the_plan():
    plan = assign(assign(), HOPELESS, assignment_id=2)
    assert plan.state == REMOVED and plan.next_call_at is None
    assert plan.revision == 2


def test_interval_change_replans_from_the_same_anchor_and_stale_versions_are_ignored():
    plan = assign()
    faster = StatusRule(2, 2, True, 1)
    replanned = plans.change_status_rule(plan, faster, CAL)
    assert replanned.next_call_at == at(24)
    assert replanned.status_version == 2
    assert plans.change_status_rule(replanned, faster, CAL) is None
    assert plans.change_status_rule(replanned, WARM, CAL) is None
    assert plans.change_status_rule(plan, replace(faster, status_id=9), CAL) is None


def test_a_status_that_starts_generating_calls_revives_plans_removed_for_it():
    removed = assign(rule=HOPELESS)
    revived = plans.change_status_rule(removed, StatusRule(4, 2, True, 10), CAL)
    assert revived.state == PLANNED
    assert revived.next_call_at == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_an_emitted_call_stays_due_when_the_interval_changes():
    due = replace(assign(), state=DUE)
    changed = plans.change_status_rule(due, StatusRule(2, 2, True, 1), CAL)
    assert changed.state == DUE and changed.next_call_at == due.next_call_at
    assert changed.interval_days == 1


def test_a_completed_call_plans_the_next_one_an_interval_later():
    due = replace(assign(), state=DUE)
    done = plans.complete_call(due, at(26, 15), CAL)
    assert done.state == PLANNED
    assert done.next_call_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Thu + 3 -> Tue
    assert done.anchor_at == at(26, 15)


def test_a_completion_older_than_the_plan_or_without_a_plan_changes_nothing():
    plan = assign()
    assert plans.complete_call(plan, MONDAY_10 - timedelta(hours=1), CAL) is None
    assert plans.complete_call(None, MONDAY_10, CAL) is None
    assert plans.complete_call(assign(rule=HOPELESS), at(25), CAL) is None


def test_reschedule_moves_the_call_and_survives_an_interval_change():
    plan = replace(assign(), state=DUE)
    moved = plans.reschedule(plan, at(30, 14))
    assert (moved.next_call_at, moved.state, moved.rescheduled) == (at(30, 14), PLANNED, True)
    assert plans.reschedule(moved, at(30, 14)) is None
    kept = plans.change_status_rule(moved, StatusRule(2, 2, True, 1), CAL)
    assert kept.next_call_at == at(30, 14)
    assert plans.reschedule(assign(rule=HOPELESS), at(30)) is None


def test_a_new_manager_in_another_zone_moves_the_call_into_their_morning():
    plan = assign()
    moved = plans.change_responsible(plan, 12, "Asia/Tokyo", None, CAL)
    assert moved.responsible_id == 12
    assert moved.next_call_at == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
    assert plans.change_responsible(moved, 12, "Asia/Tokyo", None, CAL) is None


def test_a_managers_new_time_zone_moves_their_waiting_call_into_the_new_morning():
    plan = assign(timezone="Europe/Berlin")
    assert plan.next_call_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    moved = plans.change_responsible(plan, 11, "America/New_York", None, CAL)
    assert moved.next_call_at == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # 09:00 in New York


def test_a_new_holiday_on_the_planned_day_moves_the_call_to_the_next_working_day():
    plan = assign()  # Thursday 26th
    with_holiday = replace(CAL, holidays=frozenset({date(2026, 11, 26)}))
    moved = plans.recalendar(plan, with_holiday)
    assert moved.next_call_at == at(27)
    assert moved.revision == plan.revision + 1
    assert plans.recalendar(moved, with_holiday) is None  # nothing more to move


def test_a_call_moved_by_hand_stays_unless_it_now_falls_on_a_day_off():
    moved = plans.reschedule(assign(), at(25, 15))
    assert plans.recalendar(moved, replace(CAL, holidays=frozenset({date(2026, 11, 26)}))) is None
    off = plans.recalendar(moved, replace(CAL, holidays=frozenset({date(2026, 11, 25)})))
    assert off.next_call_at == at(26)  # the start of the next working day


def test_archiving_removes_for_good_and_a_new_assignment_brings_it_back():
    archived = plans.archive(assign(), "lead", 7)
    assert archived.state == REMOVED and archived.archived
    assert plans.change_status_rule(archived, StatusRule(2, 2, True, 1), CAL) is None
    assert assign(archived, assignment_id=2).state == PLANNED


def test_a_converted_leads_plan_continues_as_the_counterpartys():
    plan = assign()
    moved = plans.convert_lead(plan, counterparty_has_plan=False, counterparty_id=40)
    assert (moved.subject_kind, moved.subject_id, moved.next_call_at) == (
        "counterparty",
        40,
        plan.next_call_at,
    )
    ended = plans.convert_lead(plan, counterparty_has_plan=True, counterparty_id=40)
    assert ended.state == REMOVED and ended.subject_kind == "lead"


def test_every_change_bumps_the_revision():
    plan = Plan("lead", 7)
    revisions = [plan.revision]
    for step in (
        lambda p: assign(p),
        lambda p: plans.reschedule(p, at(30)),
        lambda p: plans.complete_call(p, at(27), CAL),
        lambda p: plans.archive(p, "lead", 7),
    ):
        plan = step(plan)
        revisions.append(plan.revision)
    assert revisions == [0, 1, 2, 3, 4]
