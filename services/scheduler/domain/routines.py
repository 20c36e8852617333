"""Periodic routines: which service does what, on which schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.scheduler.domain import cron


@dataclass(frozen=True)
class Routine:
    """A job the scheduler triggers once per period by sending ``RunRoutine`` to ``queue``."""

    name: str
    queue: str
    schedule: str

    def current_period(self, now: datetime) -> str | None:
        """The period that should have run by ``now`` (the latest scheduled minute)."""
        at = cron.parse(self.schedule).latest(now)
        return cron.period(at) if at else None

    def next_run(self, now: datetime) -> datetime | None:
        return cron.parse(self.schedule).next_after(now)


def parse_routines(text: str) -> list[Routine]:
    """``"reclassify_buyers@crm=0 2 * * *; cleanup@crm=30 3 * * *"`` -> routines."""
    routines = []
    for item in filter(None, (p.strip() for p in text.split(";"))):
        head, sep, schedule = item.partition("=")
        name, at, queue = head.strip().partition("@")
        if not (sep and at and name and queue):
            raise ValueError(f"routines: expected name@queue=schedule, got {item!r}")
        cron.parse(schedule)  # refuse a bad schedule at start, not at its first run
        routines.append(Routine(name, queue.strip(), schedule.strip()))
    return routines
