"""The CRM's tables (schema ``crm``), in SQLAlchemy 2 declarative style."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import InboxColumns, metadata_for, stamped
from shared.outbox import OutboxColumns

SCHEMA = "crm"


class Base(DeclarativeBase):
    metadata = metadata_for(SCHEMA)


class Employee(Base):
    __tablename__ = "employees"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin','secretary','manager','head_of_sales','executor','head_of_execution')",
            name="role",
        ),
        CheckConstraint("locale IN ('en','ru','uk')", name="locale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # How the employee wants reminders delivered: in_app, email, webhook.
    channels: Mapped[list[str]] = mapped_column(ARRAY(String(16)), server_default="{in_app}")
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    # Bumped when a new webhook signing secret is issued; the secret itself is derived from
    # it and never stored (shared/webhooks.py).
    webhook_secret_version: Mapped[int] = mapped_column(Integer, server_default="0")
    # The telephone exchange's extension and the employee's own number: calls find them.
    extension: Mapped[str | None] = mapped_column(String(20), unique=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    # The language of every text made for the employee: pages, task titles, reminders, e-mails.
    locale: Mapped[str] = mapped_column(String(8), server_default="en")
    # argon2id hash of the web password; None until the employee accepts an invitation.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = stamped()


class Invitation(Base):
    """A one-time link to set the web password; only the token's sha256 is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = stamped()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    # sha256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = stamped()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class InteractionStatus(Base):
    __tablename__ = "interaction_statuses"
    __table_args__ = (
        CheckConstraint("applies_to IN ('lead','counterparty','both')", name="applies_to"),
        CheckConstraint("call_interval_days >= 0", name="interval_not_negative"),
        Index(
            "uq_interaction_statuses_one_refusal",
            "is_refusal",
            unique=True,
            postgresql_where=text("is_refusal"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    applies_to: Mapped[str] = mapped_column(String(16), server_default="both")
    sort_order: Mapped[int] = mapped_column(Integer, server_default="0")
    generate_calls: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    call_interval_days: Mapped[int] = mapped_column(Integer, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # The status a refusal moves a customer to; at most one holds it (a partial unique index).
    is_refusal: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Bumped when the call rule (flag or interval) changes, so consumers can drop stale plans.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = stamped()


class RefusalReason(Base):
    __tablename__ = "refusal_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = stamped()


class Partner(Base):
    __tablename__ = "partners"
    __table_args__ = (
        CheckConstraint(
            "partner_type IN ('client','supplier','competitor','subcontractor','other')",
            name="partner_type",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    created_at: Mapped[datetime] = stamped()
    # Document 004: the environment of deals tells competitors and subcontractors apart.
    partner_type: Mapped[str] = mapped_column(String(16), server_default="client")


class PartnerLink(Base):
    __tablename__ = "partner_links"
    __table_args__ = (
        UniqueConstraint("partner_id", "related_partner_id"),
        CheckConstraint("partner_id <> related_partner_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    related_partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = stamped()


class ContactPerson(Base):
    __tablename__ = "contact_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    job_title: Mapped[str | None] = mapped_column(String(200))
    phones: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")
    emails: Mapped[list[str]] = mapped_column(ARRAY(String(320)), server_default="{}")
    created_at: Mapped[datetime] = stamped()


class _Subject:
    """Columns shared by the two kinds of subject that carry an interaction status."""

    name: Mapped[str] = mapped_column(String(300))
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    status_id: Mapped[int | None] = mapped_column(ForeignKey("interaction_statuses.id"), index=True)
    status_assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = stamped()
    # Set by the reclassify_buyers routine (services/crm/domain/relationship.py).
    relationship_stage: Mapped[str | None] = mapped_column(String(16))


class Lead(_Subject, Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str | None] = mapped_column(String(200))
    contact_name: Mapped[str | None] = mapped_column(String(300))
    phones: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")
    emails: Mapped[list[str]] = mapped_column(ARRAY(String(320)), server_default="{}")
    note: Mapped[str | None] = mapped_column(Text)
    converted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    counterparty_id: Mapped[int | None] = mapped_column(
        ForeignKey("counterparties.id", use_alter=True)
    )


class Counterparty(_Subject, Base):
    __tablename__ = "counterparties"
    __table_args__ = (CheckConstraint("kind IN ('legal_entity','individual')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    tax_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    # The lead this counterparty was converted from, whose history it keeps.
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), unique=True)


class StatusAssignment(Base):
    __tablename__ = "status_assignments"
    __table_args__ = (
        CheckConstraint("subject_kind IN ('lead','counterparty')", name="subject_kind"),
        Index("ix_status_assignments_subject", "subject_kind", "subject_id", "id"),
    )
    # The insert returns the database's assigned_at with the id: the handler needs it at once.
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    from_status_id: Mapped[int | None] = mapped_column(ForeignKey("interaction_statuses.id"))
    to_status_id: Mapped[int] = mapped_column(ForeignKey("interaction_statuses.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    assigned_at: Mapped[datetime] = stamped()
    reason: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(OutboxColumns, Base):
    """The messages this service produces, until the relay has published them."""


class InboxMessage(InboxColumns, Base):
    """The ids of the messages this service has acted on."""


class CallPlanView(Base):
    """The CRM's read model of the scheduler's call plans (see services/crm/handlers/calls.py)."""

    __tablename__ = "call_plans"
    __table_args__ = (
        CheckConstraint("subject_kind IN ('lead','counterparty')", name="subject_kind"),
        CheckConstraint("state IN ('planned','due','removed')", name="state"),
        # The calls panel: one manager's live calls in its order (counted from the index
        # alone) or one status's calls in due order.
        Index(
            "ix_call_plans_live_responsible",
            "responsible_id",
            "next_call_at",
            "plan_id",
            postgresql_where=text("state IN ('planned', 'due')"),
        ),
        Index("ix_call_plans_status", "status_id", "next_call_at"),
        Index("ix_call_plans_next_call_at", "next_call_at"),
        Index("ix_call_plans_subject", "subject_kind", "subject_id"),
    )

    # The scheduler's ids, not ours: no sequence, and no foreign keys, since a plan may name
    # a manager or status the CRM has not committed yet or no longer holds.
    plan_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    responsible_id: Mapped[int | None] = mapped_column(Integer)
    status_id: Mapped[int | None] = mapped_column(Integer)
    next_call_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
