"""Fitting the win-probability model on the decided deals, scoring the open ones, and a deal's
chance as shown on it. The scheduler's ``refit_win_probability`` routine calls :func:`refit`.

The tables are counted in the database (one GROUP BY over the stage history, buckets by
``width_bucket``), so a fit costs one scan however many deals were decided.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from services.crm.adapters.deals import Deal
from services.crm.adapters.work import Interaction
from services.crm.analytics.adapters.deal_tables import WinChance, WinModel
from services.crm.analytics.adapters.rebuild import PIPELINE_TABLES, rebuild
from services.crm.analytics.domain import win_model as wm
from services.crm.analytics.handlers.deal_recorder import PIPELINE
from services.crm.domain import deals as rules
from shared.db import table_of, utcnow


def _edges(name: str) -> str:
    return "ARRAY[" + ", ".join(str(e) for e in wm.EDGES[name]) + "]::float8[]"


TOUCHES = "(SELECT count(*) FROM crm.interactions i WHERE i.deal_id = d.id)"
EXAMPLES = f"""
SELECT d.state = 'won' AS won, d.kind_id, h.from_stage_id AS stage_id,
       width_bucket(h.seconds_spent / 86400.0, {_edges("days")}) AS days,
       width_bucket(d.amount::float8, {_edges("amount")}) AS amount,
       width_bucket({TOUCHES}::float8, {_edges("interactions")}) AS interactions,
       d.responsible_id AS manager_id, count(*) AS n
FROM crm.deal_stage_history h JOIN crm.deals d ON d.id = h.deal_id
WHERE d.state IN ('won', 'lost') AND h.from_stage_id IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""


def fit(session: Session) -> wm.Model:
    model = wm.Model()
    for row in session.execute(text(EXAMPLES)):
        values = {
            "kind": str(row.kind_id),
            "stage": str(row.stage_id),
            "days": str(row.days),
            "amount": str(row.amount),
            "interactions": str(row.interactions),
            "manager": str(row.manager_id),
        }
        model.add(values, row.won, row.n)
    return model


def latest(session: Session) -> wm.Model | None:
    found = session.scalar(select(WinModel).order_by(WinModel.id.desc()).limit(1))
    return wm.Model.from_json(found.tables) if found else None


def _touches(session: Session, deal_id: int) -> int:
    return session.scalar(select(func.count()).where(Interaction.deal_id == deal_id)) or 0


def chance(session: Session, deal: Deal, model: wm.Model | None, now: datetime) -> float:
    """The deal's win probability: the model's for an open deal in a stage, else what is known
    (1 won, 0 lost or cancelled, the stage's default before any deal was decided)."""
    if deal.state == rules.WON:
        return 1.0
    if deal.state != rules.IN_PROGRESS:
        return 0.0
    fitted = None
    if model is not None and deal.stage_id is not None:
        days = (now - deal.stage_entered_at).total_seconds() / 86400
        values = wm.features(
            deal.kind_id,
            deal.stage_id,
            days,
            float(deal.amount),
            _touches(session, deal.id),
            deal.responsible_id,
        )
        fitted = model.probability(values)
    return round(fitted if fitted is not None else deal.probability / 100, 4)


def win_probability(session: Session, deal: Deal) -> float:
    """As shown on the deal: scored now with the latest fit."""
    return chance(session, deal, latest(session), utcnow())


def refit(session: Session) -> dict[str, Any]:
    """Fit on every decided deal, keep the tables, and score every open deal for the pipeline."""
    now = utcnow()
    model = fit(session)
    session.add(WinModel(fitted_at=now, examples=model.examples, tables=model.to_json()))
    session.execute(delete(WinModel).where(WinModel.fitted_at < now))
    open_deals = session.scalars(
        select(Deal).where(Deal.state == rules.IN_PROGRESS, Deal.stage_id.is_not(None))
    )
    scored = [
        {"deal_id": d.id, "probability": chance(session, d, model, now), "scored_at": now}
        for d in open_deals
    ]
    # The chances and the pipeline they weigh change together, under the pipeline's lock
    # (deal_recorder.standing): a deal changing meanwhile waits, and takes away its new weight.
    session.execute(text(f"LOCK TABLE {PIPELINE} IN EXCLUSIVE MODE"))
    session.execute(delete(WinChance))
    if scored:
        session.execute(table_of(WinChance).insert(), scored)
    rebuild(session, PIPELINE_TABLES)
    return {"examples": model.examples, "scored": len(scored)}
