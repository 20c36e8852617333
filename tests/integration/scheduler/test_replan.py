"""A status's new interval re-plans its subjects in batches that each commit, resumably."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from services.scheduler.adapters.orm import CallPlan, ReplanJob
from services.scheduler.adapters.replanner import Replanner
from services.scheduler.domain import plans
from tests.integration.scheduler.support import utc

SUBJECTS = 23
BATCH = 5
ASSIGNED_AT = utc(2026, 11, 20, 16, 0)


def interval_changed(deliver, version: int, interval: int) -> None:
    deliver(
        "InteractionStatusChanged",
        {
            "status_id": 2,
            "name": "Warm",
            "applies_to": "both",
            "generate_calls": True,
            "call_interval_days": interval,
            "active": True,
            "version": version,
        },
    )


@pytest.fixture()
def warm_subjects(owner_engine, clean_db):
    """Subjects holding status 2 (version 1, every 10 days), planned once: revision 1."""
    with owner_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO scheduler.status_rules (status_id, version, generate_calls, "
                "interval_days) VALUES (2, 1, true, 10)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO scheduler.call_plans (subject_kind, subject_id, responsible_id, "
                "timezone, status_id, status_version, interval_days, anchor_at, next_call_at, "
                "state, revision, published_revision) SELECT 'lead', g, 11, 'Europe/Berlin', "
                "2, 1, 10, :at, :at + interval '14 days', 'planned', 1, 1 "
                "FROM generate_series(1, :n) g"
            ),
            {"at": ASSIGNED_AT, "n": SUBJECTS},
        )


def plans_by_subject(sessions) -> dict[int, CallPlan]:
    with sessions() as session:
        return {p.subject_id: p for p in session.scalars(select(CallPlan))}


def job(sessions) -> ReplanJob:
    with sessions() as session:
        return session.get(ReplanJob, 2)


def work_off(replanner: Replanner) -> int:
    batches = 0
    while True:
        replanner.run_batch()
        if not replanner.more:
            return batches
        batches += 1


def test_an_interval_change_is_recorded_and_replanned_batch_by_batch(
    deliver, sessions, settings, warm_subjects
):
    interval_changed(deliver, version=2, interval=1)
    # The event only records the job: no subject is re-planned inside its transaction.
    assert {p.status_version for p in plans_by_subject(sessions).values()} == {1}

    batches = work_off(Replanner(sessions, settings, batch_size=BATCH))

    assert batches == -(-SUBJECTS // BATCH)
    planned = plans_by_subject(sessions)
    assert {p.status_version for p in planned.values()} == {2}
    # Friday 17:00 Berlin + 1 working day: Monday 09:00, for every subject.
    assert {p.next_call_at for p in planned.values()} == {utc(2026, 11, 23, 8, 0)}
    assert (job(sessions).replanned, job(sessions).finished_at is not None) == (SUBJECTS, True)


def test_a_replan_killed_mid_batch_resumes_and_replans_every_subject_exactly_once(
    deliver, sessions, settings, warm_subjects, monkeypatch
):
    interval_changed(deliver, version=2, interval=1)
    first = Replanner(sessions, settings, batch_size=BATCH)
    first.run_batch()
    first.run_batch()

    # The third batch dies after re-planning some of its plans, before its commit.
    rule = plans.change_status_rule
    seen = []

    def dies_on_the_third(plan, *args):
        seen.append(plan.subject_id)
        if len(seen) == 3:
            raise SystemExit("killed mid-batch")
        return rule(plan, *args)

    monkeypatch.setattr(plans, "change_status_rule", dies_on_the_third)
    with pytest.raises(SystemExit):
        first.run_batch()
    monkeypatch.setattr(plans, "change_status_rule", rule)
    assert job(sessions).after_plan_id == 2 * BATCH  # the cursor of the last commit

    work_off(Replanner(sessions, settings, batch_size=BATCH))  # the next process to tick

    planned = plans_by_subject(sessions)
    assert sorted(planned) == list(range(1, SUBJECTS + 1))
    # Each save bumps the revision: 1 -> 2 means re-planned once, neither skipped nor twice.
    assert {(p.status_version, p.revision) for p in planned.values()} == {(2, 2)}
    assert job(sessions).replanned == SUBJECTS


def test_a_newer_interval_during_a_replan_restarts_it_and_every_subject_ends_on_it(
    deliver, sessions, settings, warm_subjects
):
    interval_changed(deliver, version=2, interval=1)
    replanner = Replanner(sessions, settings, batch_size=BATCH)
    replanner.run_batch()
    interval_changed(deliver, version=3, interval=2)

    work_off(replanner)

    planned = plans_by_subject(sessions)
    assert {p.status_version for p in planned.values()} == {3}
    # Friday 17:00 Berlin + 2 working days: Tuesday 09:00.
    assert {p.next_call_at for p in planned.values()} == {utc(2026, 11, 24, 8, 0)}
