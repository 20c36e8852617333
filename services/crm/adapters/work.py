"""Tables of the work people do: tasks, interactions (calls, e-mails, meetings), reminders and
the in-app inbox (schema ``crm``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.crm.adapters.orm import Base
from shared.db import stamped

# The document of an interaction's subject and details, as its full text index holds it.
FULL_TEXT = "to_tsvector('simple', coalesce(topic, '') || ' ' || coalesce(content, ''))"


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("state IN ('open','done','cancelled')", name="state"),
        CheckConstraint("subject_kind IN ('lead','counterparty')", name="subject_kind"),
        # "My tasks": an assignee's open work in due order.
        Index("ix_tasks_assignee_state_due", "assignee_id", "state", "due_at"),
        # The escalation routine reads open, not yet escalated tasks in due order only.
        Index(
            "ix_tasks_escalation",
            "due_at",
            postgresql_where=text("state = 'open' AND escalated_at IS NULL"),
        ),
        # The managers' report counts each one's open tasks past due now: an index-only range
        # of the open tasks, however many were closed before.
        Index(
            "ix_tasks_open_assignee_due",
            "assignee_id",
            "due_at",
            postgresql_where=text("state = 'open'"),
        ),
        # The calls panel finds who was given a due call; the exchange offers a subject's call.
        Index("ix_tasks_open_plan", "plan_id", postgresql_where=text("state = 'open'")),
        Index(
            "ix_tasks_open_subject",
            "subject_kind",
            "subject_id",
            postgresql_where=text("state = 'open'"),
        ),
        Index("ix_tasks_deal", "deal_id", postgresql_where=text("deal_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Idempotency key of the command that created it (e.g. call:<plan>:<due>); unique.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    subject_kind: Mapped[str | None] = mapped_column(String(16))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    basis_task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    plan_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), server_default="open")
    # A call's planned moment; its due_at is the end of that working day (overdue after it).
    planned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Contacts and last interactions of the subject when the task was made.
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    outcome: Mapped[str | None] = mapped_column(String(32))
    # Why the client refused, when the outcome is a refusal (the lost analysis reads it).
    refusal_reason_id: Mapped[int | None] = mapped_column(ForeignKey("refusal_reasons.id"))
    result: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = stamped()
    # A stage task of a deal in the business-process mode (services/crm/handlers/deal_process.py).
    deal_id: Mapped[int | None] = mapped_column(Integer)
    deal_stage_id: Mapped[int | None] = mapped_column(Integer)


class Interaction(Base):
    __tablename__ = "interactions"
    __table_args__ = (
        # "event": an approval in the sales process (services/crm/domain/process.py).
        CheckConstraint("kind IN ('call','email','meeting','other','event')", name="kind"),
        CheckConstraint("direction IN ('incoming','outgoing')", name="direction"),
        CheckConstraint("state IN ('planned','in_progress','completed','cancelled')", name="state"),
        Index("ix_interactions_subject", "subject_kind", "subject_id", "id"),
        Index("ix_interactions_responsible_kind", "responsible_id", "kind", "ended_at"),
        Index("ix_interactions_process", "process_id", "id"),
        Index(
            "ix_interactions_deal", "deal_id", "id", postgresql_where=text("deal_id IS NOT NULL")
        ),
        Index("ix_interactions_participants", "participants", postgresql_using="gin"),
        # Full text search on subject and details (services/crm/handlers/interaction_docs.py).
        Index(
            "ix_interactions_text",
            text(FULL_TEXT),
            postgresql_using="gin",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Where a logged call or e-mail came from (call:<exchange>:<id>, email:<Message-ID>): once.
    external_id: Mapped[str | None] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(300))
    subject_kind: Mapped[str | None] = mapped_column(String(16))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    # A table of {contact_person_id, presentation, phone, email}.
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    content: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    state: Mapped[str] = mapped_column(String(16), server_default="planned")
    outcome: Mapped[str | None] = mapped_column(String(32))
    refusal_reason_id: Mapped[int | None] = mapped_column(ForeignKey("refusal_reasons.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = stamped()
    # The sales process (services/crm/adapters/sales.py): the instance (no foreign key, so
    # this module stands without that one), the step, and the document this one is based on.
    process_id: Mapped[int | None] = mapped_column(Integer)
    step: Mapped[str | None] = mapped_column(String(32))
    basis_kind: Mapped[str | None] = mapped_column(String(16))
    basis_id: Mapped[int | None] = mapped_column(Integer)
    # The employee a registered call was transferred to: responsible of the first contact.
    transferred_to_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    # Who approves an approval event; a proposal's need for approval and where it stands.
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    needs_approval: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    approval: Mapped[str | None] = mapped_column(String(16))
    # The deal this interaction belongs to, or the deal made from it (the deal links back).
    deal_id: Mapped[int | None] = mapped_column(Integer)
    # Who took part: {"kind": contact_person|partner|counterparty|lead, "id": n}.
    participants: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    # The interaction this one follows up ("create based on").
    follows_id: Mapped[int | None] = mapped_column(Integer)


class Reminder(Base):
    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint("state IN ('scheduled','delivered','cancelled')", name="state"),
        Index("ix_reminders_recipient", "recipient_id", "remind_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    text: Mapped[str] = mapped_column(Text)
    basis_kind: Mapped[str | None] = mapped_column(String(32))
    basis_id: Mapped[int | None] = mapped_column(Integer)
    remind_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16), server_default="scheduled")
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = stamped()


class Notification(Base):
    """One entry of an employee's in-app inbox."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient", "recipient_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Idempotency key of the delivery (reminder:<id>:in_app, task:<id>, ...); unique.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    text: Mapped[str] = mapped_column(Text)
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = stamped()
