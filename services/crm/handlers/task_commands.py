"""CreateTask: the tasks the notifier asks for (a due call's above all), a group at a time.

The calling loop sends hundreds a second, a batch a message (``CreateTasks``,
shared/batch_messages.py), and the worker applies those it holds at once in one
transaction (shared/group_commit.py). Made one by one, each task cost a dozen
statements; here the rows a group's commands read are loaded with one statement per
table, and the tasks written with one per table (tasks.open_tasks). One command is a
group of one: both ways run the same code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, Integer, Row, Select, String, bindparam, select, true
from sqlalchemy import func as sql_func
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import ContactPerson, Counterparty, Employee, InteractionStatus
from services.crm.adapters.work import Interaction, Task
from services.crm.domain import tasks as rules
from services.crm.domain.errors import NotFound
from services.crm.handlers import calls
from services.crm.handlers.calendar import calendar_of, company_calendar
from services.crm.handlers.common import responsible
from services.crm.handlers.subjects import MODELS
from services.crm.handlers.tasks import LAST_INTERACTIONS, details_of, open_tasks
from shared.batch_messages import split_rows, unpacked
from shared.calendar import CompanyCalendar, end_of_working_day
from shared.config import Settings
from shared.contracts import CRM
from shared.db import any_of, one_of, row_ids
from shared.messages import CreateTask, CreateTasks

log = logging.getLogger(__name__)

Subject = tuple[str, int]

# The statements of every group are built once, with their arrays given at execution: on
# this path their construction cost more than the queries.
_MADE = select(Task.key).where(any_of(Task.key, "keys"))
_BY_IDS = {
    model: select(model).where(any_of(model.id, "ids"))
    for model in (InteractionStatus, Employee, *MODELS.values())
}


def create_from_command(session: Session, command: CreateTask, settings: Settings) -> Task | None:
    """CreateTask from the notifier: once per key; nothing for a subject that moved on."""
    return create_from_commands(session, [command], settings)[0]


def create_from_commands(
    session: Session, commands: list[CreateTask], settings: Settings
) -> list[Task | None]:
    """:func:`create_from_command` for each command, in order, as if one after the other.

    Raises:
      NotFound: a command's subject does not exist.
      Invalid: a command's assignee does not exist or is inactive.
    """
    made = set(session.scalars(_MADE, {"keys": [c.key for c in commands]}))
    subjects = _subjects(session, commands)
    # Held until the end: the session keeps loaded rows weakly, and its ``get`` of the same
    # row (the status, the assignee) finds them loaded only while something holds them.
    held = [
        *_load(session, InteractionStatus, [c.status_id for c in commands]),
        *_load(session, Employee, [c.assignee_id for c in commands]),
    ]
    last = _last_interactions(session, list(subjects))
    contacts = _contacts(session, subjects.values())
    company: CompanyCalendar | None = None
    tasks: list[Task | None] = []
    due: dict[int, int] = {}
    for command in commands:
        if command.key in made:
            tasks.append(None)
            continue
        subject = None
        if command.subject_kind and command.subject_id:
            subject = subjects.get((command.subject_kind, command.subject_id))
            if subject is None:
                raise NotFound(command.subject_kind, command.subject_id)
            if subject.archived or planned_from_another_rule(session, subject, command):
                # The call was planned from a status the subject no longer holds, or from a
                # call rule of its status edited since (the scheduler re-plans from the new one).
                log.info("call due for a changed subject: no task", extra={"key": command.key})
                tasks.append(None)
                continue
        assignee = responsible(session, command.assignee_id, "assignee_id")
        assert assignee is not None  # the contract requires an assignee
        due_at, planned_at = command.due_at, None
        if command.kind == "call":
            # A call due at 09:00 may be made all that working day: overdue only after it.
            planned_at = due_at
            company = company or company_calendar(session, settings)
            calendar, tz = calendar_of(session, assignee, settings, company)
            due_at = end_of_working_day(calendar, planned_at, tz)
        tasks.append(
            Task(
                key=command.key,
                kind=command.kind,
                title=command.title
                or rules.title_for(
                    command.kind, subject.name if subject else None, assignee.locale
                ),
                assignee_id=command.assignee_id,
                subject_kind=command.subject_kind,
                subject_id=command.subject_id,
                plan_id=command.plan_id,
                planned_at=planned_at,
                due_at=due_at,
                details=details_of(
                    subject,
                    contacts.get(subject.partner_id, [])
                    if isinstance(subject, Counterparty)
                    else [],
                    last.get((command.subject_kind, subject.id), []),
                )
                if subject
                else {},
            )
        )
        made.add(command.key)
        if command.plan_id is not None and command.plan_revision is not None:
            due[command.plan_id] = max(command.plan_revision, due.get(command.plan_id, 0))
    calls.mark_due(session, due)
    open_tasks(session, [task for task in tasks if task is not None])
    del held
    return tasks


def create_from_batches(
    session: Session, batches: list[CreateTasks], settings: Settings
) -> list[Task | None]:
    """The tasks of many CreateTasks, as :func:`create_from_commands`."""
    return create_from_commands(session, unpacked(batches), settings)


def split(session: Session, env: dict[str, Any], batch: CreateTasks) -> None:
    """A CreateTasks that could not be applied whole: each task comes back as a CreateTask
    of its own (shared/batch_messages.py)."""
    outbox.record_many(session, split_rows(batch, CRM))


def planned_from_another_rule(session: Session, subject: Any, command: CreateTask) -> bool:
    """Whether the call was planned from a status other than the subject's, or from an
    older version of its call rule."""
    if command.status_id is None:
        return False
    if subject.status_id != command.status_id:
        return True
    if command.status_version is None:
        return False
    status = session.get(InteractionStatus, command.status_id)
    return status is not None and status.version > command.status_version


def _load(session: Session, model: type[Any], ids: Iterable[int | None]) -> list[Any]:
    wanted = row_ids(ids)
    if not wanted:
        return []
    return list(session.scalars(_BY_IDS[model], {"ids": wanted}))


def _subjects(session: Session, commands: list[CreateTask]) -> dict[Subject, Any]:
    """The commands' subjects by kind and id; a missing one is not in it."""
    found: dict[Subject, Any] = {}
    for kind, model in MODELS.items():
        rows = _load(session, model, [c.subject_id for c in commands if c.subject_kind == kind])
        found.update(((kind, row.id), row) for row in rows)
    return found


def _last_interactions(session: Session, subjects: list[Subject]) -> dict[Subject, list[Row]]:
    """Each subject's latest interactions, newest first."""
    if not subjects:
        return {}
    kinds, ids = [kind for kind, _ in subjects], [id_ for _, id_ in subjects]
    found: dict[Subject, list[Row]] = {}
    for row in session.execute(_LATEST, {"kinds": kinds, "ids": ids}):
        found.setdefault((row.subject_kind, row.subject_id), []).append(row)
    return found


def _latest() -> Select[Any]:
    """The statement of _last_interactions: a few rows of the subject index for each."""
    wanted = select(
        sql_func.unnest(bindparam("kinds", type_=ARRAY(String))).label("subject_kind"),
        sql_func.unnest(bindparam("ids", type_=ARRAY(Integer))).label("subject_id"),
    ).subquery("wanted")
    latest = (
        select(
            Interaction.id,
            Interaction.kind,
            Interaction.topic,
            Interaction.outcome,
            Interaction.content,
            Interaction.ended_at,
        )
        .where(
            Interaction.subject_kind == wanted.c.subject_kind,
            Interaction.subject_id == wanted.c.subject_id,
        )
        .order_by(Interaction.id.desc())
        .limit(LAST_INTERACTIONS)
        .lateral("latest")
    )
    return (
        select(wanted.c.subject_kind, wanted.c.subject_id, latest)
        .select_from(wanted)
        .join(latest, true())
        .order_by(wanted.c.subject_kind, wanted.c.subject_id, latest.c.id.desc())
    )


def _contacts(session: Session, subjects: Iterable[Any]) -> dict[int, list[ContactPerson]]:
    """The contact persons of the counterparties' partners, by partner, in id order."""
    partners = row_ids(s.partner_id for s in subjects if isinstance(s, Counterparty))
    if not partners:
        return {}
    found: dict[int, list[ContactPerson]] = {}
    stmt = select(ContactPerson).where(one_of(ContactPerson.partner_id, partners))
    for person in session.scalars(stmt.order_by(ContactPerson.id)):
        found.setdefault(person.partner_id, []).append(person)
    return found


_LATEST = _latest()
