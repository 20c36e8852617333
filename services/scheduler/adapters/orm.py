"""The scheduler's tables (schema ``scheduler``).

Rows are their own outbox: a plan whose call is due, a plan with an unpublished revision
and a pending timer are each found through a partial index that holds only those rows, so
a tick reads what is due and never what merely exists.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.containment import Quarantinable
from shared.db import InboxColumns, metadata_for, stamped

SCHEMA = "scheduler"


class Base(DeclarativeBase):
    metadata = metadata_for(SCHEMA)


class CallPlan(Quarantinable, Base):
    """One subject's next call (see services/scheduler/domain/plans.py)."""

    __tablename__ = "call_plans"
    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_id"),
        CheckConstraint("subject_kind IN ('lead','counterparty')", name="subject_kind"),
        CheckConstraint("state IN ('planned','due','removed')", name="state"),
        # The tick's claim: planned calls in due order, nothing else.
        Index("ix_call_plans_due", "next_call_at", postgresql_where=text("state = 'planned'")),
        # Plans whose latest revision the CRM has not been told about yet.
        Index(
            "ix_call_plans_unpublished",
            "id",
            postgresql_where=text("published_revision < revision"),
        ),
        # A status's plans in id order: the batches of a re-plan (services/scheduler/adapters/
        # replanner.py) and every lookup by status.
        Index("ix_call_plans_status_id_id", "status_id", "id"),
        Index("ix_call_plans_lead_id", "lead_id", postgresql_where=text("lead_id IS NOT NULL")),
        # A manager's plans, re-planned when their time zone or department changes.
        Index("ix_call_plans_responsible_id", "responsible_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    lead_id: Mapped[int | None] = mapped_column(Integer)  # the lead a counterparty came from
    responsible_id: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    # The responsible's department: whose working calendar the call lands in.
    department: Mapped[str | None] = mapped_column(String(200))
    status_id: Mapped[int | None] = mapped_column(Integer)
    status_version: Mapped[int] = mapped_column(Integer, server_default="0")
    assignment_id: Mapped[int | None] = mapped_column(Integer)
    interval_days: Mapped[int] = mapped_column(Integer, server_default="0")
    anchor_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_call_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16))
    archived: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    rescheduled: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    revision: Mapped[int] = mapped_column(Integer, server_default="0")
    published_revision: Mapped[int] = mapped_column(Integer, server_default="0")
    emitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = stamped(onupdate=func.now())


class StatusRuleRow(Base):
    """The newest version of each interaction status's call rule the scheduler has seen."""

    __tablename__ = "status_rules"

    status_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    generate_calls: Mapped[bool] = mapped_column(Boolean)
    interval_days: Mapped[int] = mapped_column(Integer)


class ReplanJob(Base):
    """A status's new call rule being applied to its plans, batch after batch.

    ``after_plan_id`` is the cursor: plans of the status up to it are done at ``version``.
    A newer version of the rule restarts the job from the first plan.
    """

    __tablename__ = "replan_jobs"
    __table_args__ = (
        Index(
            "ix_replan_jobs_unfinished", "status_id", postgresql_where=text("finished_at IS NULL")
        ),
    )

    status_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    after_plan_id: Mapped[int] = mapped_column(Integer, server_default="0")
    replanned: Mapped[int] = mapped_column(Integer, server_default="0")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Timer(Quarantinable, Base):
    """A one-shot timer; fired and cancelled rows stay as tombstones until the clean-up."""

    __tablename__ = "timers"
    __table_args__ = (
        CheckConstraint("state IN ('pending','fired','cancelled')", name="state"),
        Index("ix_timers_due", "fire_at", postgresql_where=text("state = 'pending'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    fire_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reply_to: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(String(16))
    # The command that set the timer: TimerFired's id derives from it, so a re-fire keeps it.
    set_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RoutineRow(Base):
    """A periodic routine: its cron schedule (UTC), the queue that does the work, last period."""

    __tablename__ = "routines"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    queue: Mapped[str] = mapped_column(String(64))
    schedule: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    last_period: Mapped[str | None] = mapped_column(String(32))
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RoutineRun(Base):
    """One run of a routine; the unique (routine, period) makes it one per period overall."""

    __tablename__ = "routine_runs"
    __table_args__ = (UniqueConstraint("routine", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    routine: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    started_at: Mapped[datetime] = stamped()


class CalendarSnapshot(Base):
    """The CRM's working calendar as last received (``WorkingCalendarChanged``), one row."""

    __tablename__ = "calendar_snapshot"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default="1")
    revision: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Pause(Base):
    """Present while an operator has paused emission (``crm-ops pause-scheduler``)."""

    __tablename__ = "pause"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default="1")
    reason: Mapped[str | None] = mapped_column(String(500))
    paused_at: Mapped[datetime] = stamped()


class InboxMessage(InboxColumns, Base):
    """The ids of the messages this service has acted on."""
