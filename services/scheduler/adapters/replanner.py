"""Re-planning every subject of a status whose call rule changed, in batches that each commit.

A status may be held by a million subjects. Changing its interval records a job (one row a
status, in the consumer's transaction, so the event is acted on once); the tick then works
the job off a batch at a time between its other duties: lock the next plans of the status
after the job's cursor (id order), re-plan them by the domain rule, write them with one
statement, move the cursor, commit. Locks last one batch, the tick goes on emitting
between batches, and a process killed mid-job leaves the cursor at the last committed batch:
whoever ticks next resumes from there. A plan already at the job's version is never touched
again, so each subject is re-planned once per version.
"""

from __future__ import annotations

from sqlalchemy import Exists, exists, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from services.scheduler.adapters import calendar_store
from services.scheduler.adapters.orm import CallPlan, ReplanJob, StatusRuleRow
from services.scheduler.adapters.plan_store import PLAN_FIELDS, plan_of
from services.scheduler.domain import plans
from services.scheduler.domain.plans import StatusRule
from shared import config
from shared.db import utcnow

# Plans a batch re-plans: a fraction of a second of locks, and of the tick's time, even under load.
BATCH = 250


def start(session: Session, rule: StatusRule) -> None:
    """Record that the plans of ``rule``'s status move to its version, from the first plan.

    A job for an older version restarts; one for this version or a newer is left alone.
    """
    values = {
        "status_id": rule.status_id,
        "version": rule.version,
        "after_plan_id": 0,
        "replanned": 0,
        "started_at": utcnow(),
        "finished_at": None,
    }
    stmt = insert(ReplanJob).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ReplanJob.status_id],
        set_={name: stmt.excluded[name] for name in values if name != "status_id"},
        where=ReplanJob.version < stmt.excluded.version,
    )
    session.execute(stmt)


class Replanner:
    """Works off unfinished re-plan jobs, one batch per call."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: config.Settings, batch_size: int = BATCH
    ):
        self.sessions = sessions
        self.settings = settings
        self.batch_size = batch_size
        self.more = False  # the last call worked on a job: another batch may follow

    def run_batch(self) -> int:
        """Re-plan the next batch of one unfinished job; returns how many plans changed."""
        with self.sessions() as session, session.begin():
            # Another instance working a job holds its row: take another job or none.
            job = session.scalars(
                select(ReplanJob)
                .where(ReplanJob.finished_at.is_(None))
                .order_by(ReplanJob.started_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            self.more = job is not None
            if job is None:
                return 0
            rule = self._rule(session, job.status_id)
            rows = list(
                session.scalars(
                    select(CallPlan)
                    .where(
                        CallPlan.status_id == job.status_id,
                        CallPlan.id > job.after_plan_id,
                        CallPlan.status_version < rule.version,
                    )
                    .order_by(CallPlan.id)
                    .limit(self.batch_size)
                    .with_for_update()
                )
            )
            company = calendar_store.load(session, self.settings)
            changed = []
            for row in rows:
                plan = plans.change_status_rule(
                    plan_of(row), rule, company.for_department(row.department)
                )
                if plan is not None:
                    changed.append({"id": row.id, **{n: getattr(plan, n) for n in PLAN_FIELDS}})
            if changed:
                session.execute(update(CallPlan), changed)  # one statement, by primary key
            job.version = max(job.version, rule.version)
            job.replanned += len(changed)
            if rows:
                job.after_plan_id = rows[-1].id
            if len(rows) < self.batch_size:
                job.finished_at = utcnow()
        return len(changed)

    @staticmethod
    def _rule(session: Session, status_id: int) -> StatusRule:
        """The newest rule of the status (read, not locked: a newer one restarts the job)."""
        row = session.get(StatusRuleRow, status_id)
        return StatusRule(row.status_id, row.version, row.generate_calls, row.interval_days)

    @staticmethod
    def pending_query() -> Exists:
        """Whether some job is unfinished (read from its partial index)."""
        return exists().where(ReplanJob.finished_at.is_(None))
