"""Tables of deals (schema ``crm``): process kinds with their stages and instructions, deals
with their parties, primary demand, files and the stage history that is never rewritten."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

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
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.crm.adapters.orm import Base
from shared.db import stamped


class DealKind(Base):
    __tablename__ = "deal_kinds"
    __table_args__ = (CheckConstraint("mode IN ('manual','process')", name="mode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    mode: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = stamped()


class DealStage(Base):
    __tablename__ = "deal_stages"
    __table_args__ = (
        UniqueConstraint("kind_id", "position"),
        UniqueConstraint("kind_id", "code"),
        CheckConstraint("performer IN ('responsible','head')", name="performer"),
        CheckConstraint("duration_days >= 0", name="duration"),
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("deal_kinds.id"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    performer: Mapped[str] = mapped_column(String(16), server_default="responsible")
    duration_days: Mapped[int] = mapped_column(Integer, server_default="0")
    probability: Mapped[int] = mapped_column(Integer, server_default="0")
    # What the stage delivers (the flowchart shows it) and the fields needed to leave it.
    deliverable: Mapped[str | None] = mapped_column(String(300))
    required: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")
    next: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")


class DealInstruction(Base):
    """A regulation, template or questionnaire of a kind or of one of its stages: a file or a link."""

    __tablename__ = "deal_instructions"
    __table_args__ = (
        CheckConstraint("(file_id IS NULL) <> (url IS NULL)", name="file_or_link"),
        Index("ix_deal_instructions_kind", "kind_id", "stage_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("deal_kinds.id"))
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("deal_stages.id"))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"), unique=True)
    created_at: Mapped[datetime] = stamped()


class Deal(Base):
    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint("state IN ('in_progress','won','lost','cancelled')", name="state"),
        CheckConstraint(
            "source IN ('manual','interaction','lead','counterparty','process')", name="source"
        ),
        CheckConstraint("state <> 'lost' OR lost_reason_id IS NOT NULL", name="lost_reason"),
        # The listings: by stage, by state, by manager, newest first.
        Index("ix_deals_stage_state", "stage_id", "state", "id"),
        Index("ix_deals_state", "state", "id"),
        Index("ix_deals_responsible_state", "responsible_id", "state", "id"),
        Index("ix_deals_customer", "customer_id", "id"),
        # The deals stalled now (analytics/handlers/bottlenecks.py): open deals per stage by
        # the time they entered it, read without the table.
        Index(
            "ix_deals_open_in_stage",
            "stage_id",
            "stage_entered_at",
            "id",
            postgresql_include=["responsible_id", "kind_id"],
            postgresql_where=text("state = 'in_progress'"),
        ),
        # The same per manager and stage: the stalled deals of a department or a manager.
        Index(
            "ix_deals_open_by_manager",
            "responsible_id",
            "stage_id",
            "stage_entered_at",
            "id",
            postgresql_where=text("state = 'in_progress'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The customer (a partner); None while the deal is a lead's that is not converted yet.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    name: Mapped[str] = mapped_column(String(300))
    responsible_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    kind_id: Mapped[int] = mapped_column(ForeignKey("deal_kinds.id"))
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("deal_stages.id"))
    stage_entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16), server_default="in_progress")
    # Business-process mode: the process runs from the moment the deal is posted.
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2), server_default="0")
    # False: the amount follows the demand lines; True: a person set it.
    amount_manual: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    currency: Mapped[str] = mapped_column(String(3), server_default="UAH")
    probability: Mapped[int] = mapped_column(Integer, server_default="0")
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16), server_default="manual")
    source_interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    counterparty_id: Mapped[int | None] = mapped_column(ForeignKey("counterparties.id"))
    process_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    contact_person_id: Mapped[int | None] = mapped_column(ForeignKey("contact_persons.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    lost_reason_id: Mapped[int | None] = mapped_column(ForeignKey("refusal_reasons.id"))
    competitor_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Stall reminders of the current stage, once each (reset when the deal moves).
    stall_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stall_escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    created_at: Mapped[datetime] = stamped()


class DealParty(Base):
    __tablename__ = "deal_parties"
    __table_args__ = (
        CheckConstraint("party_kind IN ('counterparty','contact_person')", name="party_kind"),
        UniqueConstraint("deal_id", "party_kind", "party_id"),
        Index("ix_deal_parties_party", "party_kind", "party_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    party_kind: Mapped[str] = mapped_column(String(16))
    party_id: Mapped[int] = mapped_column(Integer)
    role: Mapped[str | None] = mapped_column(String(100))


class DealDemandLine(Base):
    __tablename__ = "deal_demand_lines"
    __table_args__ = (
        CheckConstraint("item_id IS NOT NULL OR description IS NOT NULL", name="item_or_text"),
        Index("ix_deal_demand_lines_deal", "deal_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    description: Mapped[str | None] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3), server_default="1")
    price: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    comment: Mapped[str | None] = mapped_column(String(1000))


class DealFile(Base):
    __tablename__ = "deal_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), unique=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    created_at: Mapped[datetime] = stamped()


class DealStageChange(Base):
    """One move of a deal; a database trigger refuses every UPDATE and DELETE of these rows."""

    __tablename__ = "deal_stage_history"
    __table_args__ = (
        Index("ix_deal_stage_history_deal", "deal_id", "id"),
        Index("ix_deal_stage_history_to_stage", "to_stage_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("deal_stages.id"))
    to_stage_id: Mapped[int | None] = mapped_column(ForeignKey("deal_stages.id"))
    # in_progress while the deal moves between stages; won/lost/cancelled when it closes.
    to_state: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    # The deal's manager at the move: the figures of the move are theirs, and stay theirs when
    # the deal changes hands (services/crm/analytics/adapters/rebuild.py reads them so).
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    # Seconds spent in the stage left (0 when the deal enters its first stage).
    seconds_spent: Mapped[int] = mapped_column(Integer)


class DealEnvironmentMember(Base):
    """Someone around a deal (document 004): a competitor, a subcontractor, an influential person."""

    __tablename__ = "deal_environment"
    __table_args__ = (
        CheckConstraint("role IN ('competitor','subcontractor','influencer','other')", name="role"),
        CheckConstraint(
            "influence IS NULL OR influence IN ('low','medium','high')", name="influence"
        ),
        CheckConstraint(
            "attitude IS NULL OR attitude IN ('supporter','neutral','opponent')", name="attitude"
        ),
        Index("ix_deal_environment_deal", "deal_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    role: Mapped[str] = mapped_column(String(16))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    contact_person_id: Mapped[int | None] = mapped_column(ForeignKey("contact_persons.id"))
    name: Mapped[str] = mapped_column(String(300))
    influence: Mapped[str | None] = mapped_column(String(8))
    attitude: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(2000))


class DealEnvironmentLink(Base):
    """Who influences whom around a deal."""

    __tablename__ = "deal_environment_links"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id"),
        CheckConstraint("source_id <> target_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("deal_environment.id"))
    target_id: Mapped[int] = mapped_column(ForeignKey("deal_environment.id"))
    kind: Mapped[str] = mapped_column(String(100), server_default="influences")
