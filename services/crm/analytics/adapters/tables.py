"""The read model of the reports (schema ``crm``): aggregates kept by ``handlers/recorder.py``.

Each row adds up facts sharing one key. No foreign keys: a row outlives nothing and must
not slow the writer down; ids name employees, counterparties, reasons and groups.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Double,
    Identity,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.crm.adapters.orm import Base

Count = lambda: mapped_column(Integer, server_default="0")  # noqa: E731
Money = lambda: mapped_column(Numeric(16, 2), server_default="0")  # noqa: E731
Kind = lambda **kw: mapped_column(String(32), **kw)  # noqa: E731


class ManagerDay(Base):
    """A manager's work on one of their calendar days, per process kind."""

    __tablename__ = "analytics_manager_days"

    manager_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    process_kind: Mapped[str] = Kind(primary_key=True)
    # Call tasks due that day; of them made, made on that day, cancelled.
    planned_calls: Mapped[int] = Count()
    calls_made: Mapped[int] = Count()
    calls_on_time: Mapped[int] = Count()
    calls_cancelled: Mapped[int] = Count()
    # Tasks due that day left open past the escalation limit.
    tasks_overdue: Mapped[int] = Count()
    # First contacts of requests registered that day: taken up, within 5 minutes, seconds.
    first_contacts: Mapped[int] = Count()
    first_contacts_in_time: Mapped[int] = Count()
    first_contact_seconds: Mapped[float] = mapped_column(Double, server_default="0")


class Loss(Base):
    """Refusals (and, with deals, lost deals) per day, process, stage, reason and manager."""

    __tablename__ = "analytics_losses"
    __table_args__ = (
        UniqueConstraint(
            "day",
            "process_kind",
            "stage",
            "reason_id",
            "competitor_id",
            "manager_id",
            name="uq_analytics_losses_key",
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    process_kind: Mapped[str] = Kind()
    # Where it was lost: a task kind of the loop, a step of the inbound process, a deal stage.
    stage: Mapped[str] = mapped_column(String(64))
    reason_id: Mapped[int | None] = mapped_column(Integer)
    competitor_id: Mapped[int | None] = mapped_column(Integer)
    manager_id: Mapped[int | None] = mapped_column(Integer)
    count: Mapped[int] = Count()
    amount: Mapped[Decimal] = Money()


class CustomerMonth(Base):
    """One counterparty's orders that reached execution in one UTC month, per process kind."""

    __tablename__ = "analytics_customer_months"
    __table_args__ = (Index("ix_analytics_customer_months_month", "month"),)

    counterparty_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    process_kind: Mapped[str] = Kind(primary_key=True)
    orders: Mapped[int] = Count()
    revenue: Mapped[Decimal] = Money()
    last_order_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerMonthTotal(Base):
    """One counterparty's orders in one UTC month whatever their process kind: a report on every
    kind sums one row per customer and month (the variation of monthly amounts squares these
    totals), instead of first adding up the kinds of each month."""

    __tablename__ = "analytics_customer_month_totals"
    __table_args__ = (Index("ix_analytics_customer_month_totals_month", "month"),)

    counterparty_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    orders: Mapped[int] = Count()
    revenue: Mapped[Decimal] = Money()
    last_order_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerSpanEnd(Base):
    """A rolling span the buyers' reports are kept for: the ``months`` months up to and
    including ``last_month`` (``handlers/spans.py`` shifts them at each month's turn)."""

    __tablename__ = "analytics_customer_span_ends"

    last_month: Mapped[date] = mapped_column(Date, primary_key=True)
    months: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)


class CustomerSpan(Base):
    """One counterparty's orders over a kept span, every kind: a report over that span reads
    one row per buyer instead of adding up their months. ``squares`` is the sum of the squared
    monthly revenues (exact), which the variation of monthly amounts needs."""

    __tablename__ = "analytics_customer_spans"

    last_month: Mapped[date] = mapped_column(Date, primary_key=True)
    months: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    counterparty_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    orders: Mapped[int] = Count()
    revenue: Mapped[Decimal] = Money()
    squares: Mapped[Decimal] = mapped_column(Numeric, server_default="0")
    last_order_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerSpanChange(Base):
    """An order that moved the kept spans and is not yet in their ranks: a report ranks its
    buyers itself while one is older than ``handlers/customer_sql.MAX_LAG``."""

    __tablename__ = "analytics_customer_span_changes"
    __table_args__ = (Index("ix_analytics_customer_span_changes_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The buyer whose sums it moved: only its rank row is recomputed from the spans.
    counterparty_id: Mapped[int] = mapped_column(Integer)


class CustomerRank(Base):
    """A buyer of a kept span as ranked among all of them (``handlers/ranks.py``): its sums,
    classes (none without revenue), scores and segment. Unlogged: recomputed within seconds,
    so not worth the write-ahead log."""

    __tablename__ = "analytics_customer_ranks"
    __table_args__ = (
        Index(
            "ix_analytics_customer_ranks_revenue",
            "last_month",
            "months",
            text("revenue DESC"),
            "counterparty_id",
        ),
        # The values at the places of the recency and frequency scores' bounds, read without
        # sorting every buyer (the monetary score's come from the index above).
        Index("ix_analytics_customer_ranks_last_order_at", "last_month", "months", "last_order_at"),
        Index("ix_analytics_customer_ranks_orders", "last_month", "months", "orders"),
        # The buyers of a class or score by the value it goes by: those a moved bound left in
        # the wrong one are a range of each (handlers/ranks.py).
        Index("ix_analytics_customer_ranks_abc", "last_month", "months", "abc", "revenue"),
        Index("ix_analytics_customer_ranks_r", "last_month", "months", "r", "last_order_at"),
        Index("ix_analytics_customer_ranks_f", "last_month", "months", "f", "orders"),
        Index("ix_analytics_customer_ranks_m", "last_month", "months", "m", "revenue"),
        {"prefixes": ["UNLOGGED"]},
    )

    last_month: Mapped[date] = mapped_column(Date, primary_key=True)
    months: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    counterparty_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revenue: Mapped[Decimal] = mapped_column(Numeric)
    orders: Mapped[Decimal] = mapped_column(Numeric)
    last_order_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cv: Mapped[float | None] = mapped_column(Double)
    abc: Mapped[str | None] = mapped_column(Text)
    xyz: Mapped[str | None] = mapped_column(Text)
    r: Mapped[int] = mapped_column(SmallInteger)
    f: Mapped[int] = mapped_column(SmallInteger)
    m: Mapped[int] = mapped_column(SmallInteger)
    segment: Mapped[str] = mapped_column(Text)


class Customer(Base):
    """A counterparty's orders over all time: loyalty and dormancy read this."""

    __tablename__ = "analytics_customers"

    counterparty_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    orders: Mapped[int] = Count()
    revenue: Mapped[Decimal] = Money()
    first_order_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_order_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GroupMonth(Base):
    """Sales of one item group in one UTC month, per process kind and selling manager."""

    __tablename__ = "analytics_group_months"
    __table_args__ = (
        UniqueConstraint(
            "group_id",
            "month",
            "process_kind",
            "manager_id",
            name="uq_analytics_group_months_key",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_analytics_group_months_month", "month"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    group_id: Mapped[int | None] = mapped_column(Integer)
    month: Mapped[date] = mapped_column(Date)
    process_kind: Mapped[str] = Kind()
    manager_id: Mapped[int | None] = mapped_column(Integer)
    orders: Mapped[int] = Count()
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 3), server_default="0")
    revenue: Mapped[Decimal] = Money()


class CardMonth(Base):
    """Orders made with one loyalty card in one UTC month."""

    __tablename__ = "analytics_card_months"

    card_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    orders: Mapped[int] = Count()
    amount: Mapped[Decimal] = Money()
    discount: Mapped[Decimal] = Money()
