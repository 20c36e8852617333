"""Tables of the sales process (schema ``crm``): process instances and their steps, customer
orders with their lines, and the two reference books orders need (items, contracts).

The process's interactions live in ``interactions`` (services/crm/adapters/work.py), which
carries the instance, the step and the basis document of each.
"""

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
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.crm.adapters.orm import Base
from shared.db import stamped


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    __table_args__ = (
        CheckConstraint("state IN ('active','completed','refused')", name="state"),
        Index("ix_process_instances_kind_state", "kind", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), server_default="active")
    current_step: Mapped[str] = mapped_column(String(32))
    subject_kind: Mapped[str | None] = mapped_column(String(16))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    started_at: Mapped[datetime] = stamped()
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refusal_reason_id: Mapped[int | None] = mapped_column(ForeignKey("refusal_reasons.id"))


class ProcessStep(Base):
    """One step an instance went through: the document, who, when, the outcome."""

    __tablename__ = "process_steps"
    __table_args__ = (
        Index("ix_process_steps_process", "process_id", "id"),
        # Statistics count instances per step of one process kind.
        Index("ix_process_steps_step", "step", "process_id"),
        Index("ix_process_steps_document", "document_kind", "document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(32))
    document_kind: Mapped[str | None] = mapped_column(String(16))
    document_id: Mapped[int | None] = mapped_column(Integer)
    # None: the system took the step (a document created automatically).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    entered_at: Mapped[datetime] = stamped()
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(32))
    refusal_reason_id: Mapped[int | None] = mapped_column(ForeignKey("refusal_reasons.id"))


ACCOUNTING = ("grey", "white")


class Item(Base):
    """Goods and services sold; each carries the department and employee that fulfil it,
    whether it is sold "grey" or "white", and its planned cost and time per unit."""

    __tablename__ = "items"
    __table_args__ = (CheckConstraint("accounting IN ('grey','white')", name="accounting"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    department: Mapped[str | None] = mapped_column(String(200))
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    accounting: Mapped[str] = mapped_column(String(8), server_default="white")
    planned_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    planned_hours: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # The item group of the BCG matrix (services/crm/analytics/adapters/records.py).
    group_id: Mapped[int | None] = mapped_column(ForeignKey("item_groups.id"), index=True)
    created_at: Mapped[datetime] = stamped()


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (UniqueConstraint("counterparty_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(100))
    counterparty_id: Mapped[int] = mapped_column(ForeignKey("counterparties.id"), index=True)
    signed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = stamped()


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("status IN ('draft','open','approved','rejected')", name="status"),
        # New orders of an executor and of the head of their department.
        Index(
            "ix_orders_new_executor",
            "executor_id",
            postgresql_where=text("routed_at IS NOT NULL AND taken_at IS NULL"),
        ),
        Index(
            "ix_orders_new_responsible",
            "responsible_id",
            postgresql_where=text("routed_at IS NOT NULL AND taken_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"), index=True)
    basis_kind: Mapped[str | None] = mapped_column(String(16))
    basis_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), server_default="draft")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    counterparty_id: Mapped[int | None] = mapped_column(ForeignKey("counterparties.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    shipping_date: Mapped[date | None] = mapped_column(Date)
    # In the execution department: an executor, or its head (or deputy) who names one.
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    executor_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    source: Mapped[str | None] = mapped_column(String(200))
    # "grey" or "white": from the items of its lines, which must agree.
    accounting: Mapped[str | None] = mapped_column(String(8))
    requires_approval: Mapped[bool | None] = mapped_column(Boolean)
    # The contact persons of the basis document: {contact_person_id, presentation, phone, email}.
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    comment: Mapped[str | None] = mapped_column(Text)
    # The holder's loyalty card the order is made with (services/crm/analytics).
    loyalty_card_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_cards.id"))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    routed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = stamped()
    # Loaded with the order (one query per batch of orders): an order is shown with its lines.
    lines: Mapped[list[OrderLine]] = relationship(
        order_by="OrderLine.line_no", lazy="selectin", cascade="all, delete-orphan"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    # Copied from the item when the line is made: who fulfils this line, and the planned
    # cost and time of the whole line (the item's per unit times the quantity).
    department: Mapped[str | None] = mapped_column(String(200))
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    planned_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    planned_hours: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
