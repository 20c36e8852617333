"""Deal columns of the managers' report (handlers/managers.register_source): deals opened in
the period and how many of them were won or lost, the conversion, the cycle length and the
amount won, from the funnel's read model (analytics_deal_days)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.crm.analytics.adapters.deal_tables import DealDay
from services.crm.analytics.domain.ranking import share
from services.crm.analytics.handlers import managers
from services.crm.analytics.handlers.funnel import applies
from services.crm.analytics.handlers.scope import Filters

COLUMNS = (
    "deals_opened",
    "deals_won",
    "deals_lost",
    "deal_conversion_share",
    "deal_win_share",
    "deal_cycle_avg_seconds",
    "deals_won_amount",
)


def figures(session: Session, filters: Filters, ids: list[int] | None) -> managers.Figures:
    if not applies(filters):
        return {}
    stmt = (
        select(
            DealDay.manager_id,
            func.sum(DealDay.opened).label("opened"),
            func.sum(DealDay.won).label("won"),
            func.sum(DealDay.lost).label("lost"),
            func.sum(DealDay.won_amount).label("amount"),
            func.sum(DealDay.cycle_seconds).label("seconds"),
        )
        .where(DealDay.day.between(filters.period.start, filters.period.end))
        .group_by(DealDay.manager_id)
    )
    if ids is not None:
        stmt = stmt.where(DealDay.manager_id.in_(ids))
    found = {}
    for row in session.execute(stmt):
        decided = int(row.won) + int(row.lost)
        found[row.manager_id] = {
            "deals_opened": int(row.opened),
            "deals_won": int(row.won),
            "deals_lost": int(row.lost),
            # Won of the deals opened (open ones count against it), and won of those decided.
            "deal_conversion_share": share(int(row.won), int(row.opened)),
            "deal_win_share": share(int(row.won), decided),
            "deal_cycle_avg_seconds": round(row.seconds / decided, 1) if decided else None,
            "deals_won_amount": Decimal(row.amount).quantize(Decimal("0.01")),
        }
    return found


managers.register_source(
    managers.Source(COLUMNS, figures),
    rankable=("deal_conversion_share", "deal_win_share", "deals_won_amount", "deals_won"),
)
