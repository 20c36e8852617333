"""Tables of the working calendar (schema ``crm``): the company's and departments' weeks and
hours, the holidays, and the revision every change bumps (handlers/calendar.py)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    Date,
    Integer,
    SmallInteger,
    String,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.crm.adapters.orm import Base
from shared.db import stamped


class WorkingWeek(Base):
    """A calendar's week and hours; the row without a department is the company's."""

    __tablename__ = "working_weeks"
    __table_args__ = (
        UniqueConstraint("department", postgresql_nulls_not_distinct=True),
        CheckConstraint("work_start < work_end", name="hours_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str | None] = mapped_column(String(200))
    workdays: Mapped[str] = mapped_column(String(64))  # "mon,tue,wed,thu,fri"
    work_start: Mapped[time] = mapped_column(Time)
    work_end: Mapped[time] = mapped_column(Time)
    call_time: Mapped[time | None] = mapped_column(Time)  # None: the start of working hours
    updated_at: Mapped[datetime] = stamped(onupdate=func.now())


class Holiday(Base):
    """A day off: the company's (no department) or one department's."""

    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("day", "department", postgresql_nulls_not_distinct=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    department: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = stamped()


class CalendarRevision(Base):
    """One row: the calendar's revision, locked by every change so changes publish in order."""

    __tablename__ = "calendar_revision"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default="1")
    revision: Mapped[int] = mapped_column(Integer, server_default="0")
