"""Records of the analytics features (schema ``crm``): item groups, loyalty cards, claims,
and the document "Classification of buyers by stages of relationship" with its rules."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.crm.adapters.orm import Base
from shared.db import stamped


class ItemGroup(Base):
    """A group of items, the unit of the BCG matrix."""

    __tablename__ = "item_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = stamped()


class LoyaltyCard(Base):
    __tablename__ = "loyalty_cards"
    __table_args__ = (
        CheckConstraint("discount_percent >= 0 AND discount_percent <= 100", name="discount"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    # The holder: the counterparty whose orders the card discounts, and the person holding it.
    counterparty_id: Mapped[int] = mapped_column(ForeignKey("counterparties.id"), index=True)
    contact_person_id: Mapped[int | None] = mapped_column(ForeignKey("contact_persons.id"))
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    blocked: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = stamped()


class Claim(Base):
    """A customer's claim about an order (or a deal): deadline, responsible, resolution."""

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint("state IN ('open','resolved')", name="state"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('accepted','partly_accepted','rejected')",
            name="outcome",
        ),
        Index("ix_claims_responsible_state", "responsible_id", "state", "deadline"),
        Index("ix_claims_counterparty", "counterparty_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    counterparty_id: Mapped[int] = mapped_column(ForeignKey("counterparties.id"))
    # What it is about: "order" today; deals register their own kind.
    basis_kind: Mapped[str | None] = mapped_column(String(16))
    basis_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    responsible_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    state: Mapped[str] = mapped_column(String(16), server_default="open")
    outcome: Mapped[str | None] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    # The reminder to the responsible before the deadline (cancelled when the claim closes).
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id"))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = stamped()


class RelationshipStrategy(Base):
    """How the company works with customers of one ABC class; its status feeds the loop."""

    __tablename__ = "relationship_strategies"
    __table_args__ = (CheckConstraint("abc_class IN ('A','B','C')", name="abc_class"),)

    abc_class: Mapped[str] = mapped_column(String(1), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status_id: Mapped[int | None] = mapped_column(ForeignKey("interaction_statuses.id"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ClassificationRule(Base):
    """Stage of relationship (and, optionally, ABC class) -> interaction status."""

    __tablename__ = "classification_rules"
    __table_args__ = (
        UniqueConstraint(
            "stage",
            "abc_class",
            name="uq_classification_rules_key",
            postgresql_nulls_not_distinct=True,
        ),
        CheckConstraint("abc_class IS NULL OR abc_class IN ('A','B','C')", name="abc_class"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(16))
    abc_class: Mapped[str | None] = mapped_column(String(1))
    status_id: Mapped[int] = mapped_column(ForeignKey("interaction_statuses.id"))
    created_at: Mapped[datetime] = stamped()


class ClassificationRun(Base):
    """One document "Classification of buyers by stages of relationship"."""

    __tablename__ = "classification_runs"
    __table_args__ = (
        CheckConstraint("state IN ('pending','done')", name="state"),
        CheckConstraint("trigger IN ('routine','request')", name="trigger"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    state: Mapped[str] = mapped_column(String(16), server_default="pending")
    # The months whose orders give the ABC/XYZ classes.
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[datetime] = stamped()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ClassificationLine(Base):
    """One buyer in a run: its stage and classes, its status before and after."""

    __tablename__ = "classification_lines"
    __table_args__ = (
        Index("ix_classification_lines_subject", "subject_kind", "subject_id", "run_id"),
    )

    run_id: Mapped[int] = mapped_column(
        ForeignKey("classification_runs.id", ondelete="CASCADE"), primary_key=True
    )
    subject_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str | None] = mapped_column(String(16))
    abc_class: Mapped[str | None] = mapped_column(String(1))
    xyz_class: Mapped[str | None] = mapped_column(String(1))
    old_status_id: Mapped[int | None] = mapped_column(Integer)
    new_status_id: Mapped[int | None] = mapped_column(Integer)
    changed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Why a rule's status was not applied (archived, not for this kind of buyer).
    note: Mapped[str | None] = mapped_column(String(300))
