"""The deals' part of the read model (schema ``crm``), kept by ``handlers/deal_recorder.py``.

Every row is keyed by the day the deal was opened (where its manager works), its kind and
manager: a funnel over a period follows the deals opened in it to their end (a cohort), so
a figure once counted never moves to another period.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, Double, Integer, Numeric, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.crm.adapters.orm import Base
from services.crm.analytics.adapters.tables import Count, Money

Id = lambda: mapped_column(Integer, primary_key=True, autoincrement=False)  # noqa: E731


class DealDay(Base):
    """Deals opened on one day, of one kind and manager, and how they ended."""

    __tablename__ = "analytics_deal_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind_id: Mapped[int] = Id()
    manager_id: Mapped[int] = Id()
    opened: Mapped[int] = Count()
    won: Mapped[int] = Count()
    lost: Mapped[int] = Count()
    cancelled: Mapped[int] = Count()
    won_amount: Mapped[Decimal] = Money()
    # Seconds from opening to closing, summed over the won and the lost ones.
    cycle_seconds: Mapped[float] = mapped_column(Double, server_default="0")


class DealStageDay(Base):
    """Per stage, the deals opened that day that reached it, and their stays in it."""

    __tablename__ = "analytics_deal_stage_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind_id: Mapped[int] = Id()
    stage_id: Mapped[int] = Id()
    manager_id: Mapped[int] = Id()
    # Deals that reached it (once each, however often they came back), of them those that
    # had reached every earlier stage first, and those lost or cancelled in it.
    reached: Mapped[int] = Count()
    reached_in_order: Mapped[int] = Count()
    dropped: Mapped[int] = Count()
    # Stays ended (the deal moved on, back or closed) and the seconds they lasted.
    stays: Mapped[int] = Count()
    stay_seconds: Mapped[float] = mapped_column(Double, server_default="0")


class WinModel(Base):
    """A fitted win-probability model: its frequency tables (domain/win_model.py)."""

    __tablename__ = "analytics_win_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    examples: Mapped[int] = mapped_column(Integer)
    tables: Mapped[dict[str, Any]] = mapped_column(JSONB)


class WinChance(Base):
    """Each open deal's win probability as the latest fit scored it (the weighted pipeline)."""

    __tablename__ = "analytics_win_chances"

    deal_id: Mapped[int] = Id()
    probability: Mapped[float] = mapped_column(Double)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DealStay(Base):
    """Stays ended in a stage in one UTC month, by length band (domain/bottlenecks.py): the
    medians and 90th percentiles of time in stage without reading every stay."""

    __tablename__ = "analytics_deal_stays"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    kind_id: Mapped[int] = Id()
    stage_id: Mapped[int] = Id()
    manager_id: Mapped[int] = Id()
    band: Mapped[int] = Id()
    stays: Mapped[int] = Count()
    # Of them longer than the stage's standard duration (a stage without one: never).
    late: Mapped[int] = Count()
    seconds: Mapped[float] = mapped_column(Double, server_default="0")
    max_seconds: Mapped[float] = mapped_column(Double, server_default="0")


class OpenDealDay(Base):
    """The deals open now, by the stage they stand in, their manager now and the UTC day they
    entered it: the deals stalled now without counting every open deal (handlers/bottlenecks.py).

    A row holds the deals standing, not facts that happened: a deal leaves its row when it
    moves on, closes or changes hands, and a row left with none is deleted.
    """

    __tablename__ = "analytics_open_deal_days"

    stage_id: Mapped[int] = Id()
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    manager_id: Mapped[int] = Id()
    kind_id: Mapped[int] = mapped_column(Integer)
    deals: Mapped[int] = Count()


class OpenPipeline(Base):
    """The open deals by kind, manager now and expected close month (none: not given), with
    their amount and the amount weighted by each deal's chance (a fitted win probability, else
    its stage's default): the funnel's pipeline and forecast without reading every open deal.

    Like the open deals' days, a row holds the deals standing: a deal leaves its row when it
    closes, changes hands, amount, chance or expected month, and the win-probability re-fit
    rebuilds the table with the chances it gives. The weights are exact decimals (an amount in
    cents times a chance of four places), so what a deal adds it takes away to the last place.
    """

    __tablename__ = "analytics_open_pipeline"
    __table_args__ = (
        UniqueConstraint(
            "kind_id",
            "manager_id",
            "month",
            name="uq_analytics_open_pipeline_key",
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind_id: Mapped[int] = mapped_column(Integer)
    manager_id: Mapped[int] = mapped_column(Integer)
    month: Mapped[date | None] = mapped_column(Date)
    deals: Mapped[int] = Count()
    amount: Mapped[Decimal] = Money()
    weighted: Mapped[Decimal] = mapped_column(Numeric(24, 6), server_default="0")
