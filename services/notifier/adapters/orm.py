"""The notifier's tables (schema ``notifier``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import InboxColumns, metadata_for, stamped
from shared.names import Channel
from shared.outbox import OutboxColumns

SCHEMA = "notifier"


class Base(DeclarativeBase):
    metadata = metadata_for(SCHEMA)


class InboxMessage(InboxColumns, Base):
    """The ids of the messages this service has acted on."""


class OutboxMessage(OutboxColumns, Base):
    """The messages this service produces, until the relay has published them."""


class Employee(Base):
    """The CRM's employee directory as last told by ``EmployeeChanged``."""

    __tablename__ = "employees"
    __table_args__ = (Index("ix_employees_department_role", "department", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(50))
    department: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean)
    channels: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    # Which of the employee's derived signing secrets is current (shared/webhooks.py).
    webhook_secret_version: Mapped[int] = mapped_column(Integer, server_default="0")
    locale: Mapped[str] = mapped_column(String(8), server_default="en")
    # When the CRM made the change: an older message arriving late does not win.
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Rotation(Base):
    """Round-robin state of one department: who got the last due call by rotation."""

    __tablename__ = "rotations"

    department: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_assignee_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = stamped()


class CallAssignment(Base):
    """One row per due call (plan and due time): whom its task went to, decided once."""

    __tablename__ = "call_assignments"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    plan_id: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assignee_id: Mapped[int] = mapped_column(Integer)
    rotation: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = stamped()


class Reminder(Base):
    """A reminder the CRM scheduled; a cancel that arrives first leaves a cancelled row."""

    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint("state IN ('scheduled','cancelled')", name="state"),
        Index(
            "ix_reminders_basis",
            "basis_kind",
            "basis_id",
            postgresql_where=text("basis_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recipient_id: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, server_default="")
    basis_kind: Mapped[str | None] = mapped_column(String(50))
    basis_id: Mapped[int | None] = mapped_column(Integer)
    remind_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClosedDocument(Base):
    """A document (task...) that is done or cancelled: reminders on it are not delivered."""

    __tablename__ = "closed_documents"

    kind: Mapped[str] = mapped_column(String(50), primary_key=True)
    document_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """The delivery log: one row per notification and channel, sent at most once when delivered."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("notification", "channel"),
        CheckConstraint(
            f"channel IN ({', '.join(repr(c.value) for c in Channel)})", name="channel"
        ),
        CheckConstraint("state IN ('pending','delivered','failed','cancelled')", name="state"),
        # The delivery workers' claim: pending sends in the order they are due, nothing else.
        Index(
            "ix_deliveries_pending",
            "next_attempt_at",
            postgresql_where=text("state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    notification: Mapped[str] = mapped_column(String(200))  # "reminder:7", "escalation:3"
    channel: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[int] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(500))  # e-mail or URL, as of creation
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    reminder_id: Mapped[int | None] = mapped_column(Integer)
    task_id: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # when it was meant to arrive
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = stamped()
    updated_at: Mapped[datetime] = stamped()

    # The recipient as the directory knows them at the send: a webhook is signed with the
    # secret they hold now, even when it was rotated after the notification was logged.
    recipient: Mapped[Employee | None] = relationship(
        primaryjoin="foreign(Delivery.recipient_id) == Employee.id", viewonly=True
    )
