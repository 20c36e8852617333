"""A deal's timeline: everything that happened to the deal or its parties since it opened.

One UNION ALL over the sources (interactions and calls, process documents, tasks and their
outcomes, orders, files, stage changes), ordered by time and paged in the database, each
source narrowed by an index (deal id, customer, or the party's counterparties).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from services.crm.adapters.deals import Deal, DealFile, DealParty, DealStage, DealStageChange
from services.crm.adapters.sales import Order
from services.crm.adapters.telephony import StoredFile
from services.crm.adapters.work import Interaction, Task
from services.crm.handlers import deals


def _customers(session: Session, deal: Deal) -> tuple[list[int], int | None]:
    """The deal's counterparties (its own and its parties') and its lead."""
    parties = session.scalars(
        select(DealParty.party_id).where(
            DealParty.deal_id == deal.id, DealParty.party_kind == "counterparty"
        )
    ).all()
    counterparties = sorted(set(parties) | ({deal.counterparty_id} - {None}))
    return counterparties, deal.lead_id


def _about(kind_col, id_col, counterparties: list[int], lead_id: int | None):
    """A row is about the deal's customers: one of its counterparties or its lead."""
    conditions = []
    if counterparties:
        conditions.append(and_(kind_col == "counterparty", id_col.in_(counterparties)))
    if lead_id is not None:
        conditions.append(and_(kind_col == "lead", id_col == lead_id))
    return or_(*conditions) if conditions else literal(False)


def _sources(session: Session, deal: Deal) -> list[Select]:
    counterparties, lead_id = _customers(session, deal)
    since = deal.created_at
    at = func.coalesce(Interaction.started_at, Interaction.created_at)
    interactions = select(
        at.label("at"),
        func.coalesce(Interaction.step, Interaction.kind).label("entry"),
        Interaction.id.label("ref_id"),
        Interaction.topic.label("title"),
        Interaction.outcome.label("detail"),
        Interaction.responsible_id.label("by_id"),
    ).where(
        or_(
            Interaction.deal_id == deal.id,
            and_(
                _about(Interaction.subject_kind, Interaction.subject_id, counterparties, lead_id),
                Interaction.created_at >= since,
            ),
        )
    )
    task_filter = or_(
        Task.deal_id == deal.id,
        and_(
            _about(Task.subject_kind, Task.subject_id, counterparties, lead_id),
            Task.created_at >= since,
        ),
    )
    tasks = select(
        Task.created_at, literal("task"), Task.id, Task.title, Task.kind, Task.assignee_id
    ).where(task_filter)
    outcomes = select(
        Task.completed_at,
        literal("task_outcome"),
        Task.id,
        Task.title,
        func.coalesce(Task.outcome, Task.state),
        Task.assignee_id,
    ).where(task_filter, Task.completed_at.is_not(None))
    order_filter: list[ColumnElement[bool]] = (
        [Order.counterparty_id.in_(counterparties)] if counterparties else []
    )
    if deal.process_id is not None:
        order_filter.append(Order.process_id == deal.process_id)
    orders = select(
        Order.created_at, literal("order"), Order.id, Order.source, Order.status, Order.author_id
    ).where(or_(*order_filter) if order_filter else literal(False), Order.created_at >= since)
    files = (
        select(
            DealFile.created_at,
            literal("file"),
            DealFile.file_id,
            StoredFile.name,
            StoredFile.content_type,
            DealFile.added_by_id,
        )
        .join(StoredFile, StoredFile.id == DealFile.file_id)
        .where(DealFile.deal_id == deal.id)
    )
    changes = (
        select(
            DealStageChange.changed_at,
            literal("stage_change"),
            DealStageChange.id,
            DealStage.name,
            DealStageChange.to_state,
            DealStageChange.changed_by_id,
        )
        .outerjoin(DealStage, DealStage.id == DealStageChange.to_stage_id)
        .where(DealStageChange.deal_id == deal.id)
    )
    return [interactions, tasks, outcomes, orders, files, changes]


def timeline(
    session: Session, actor: Any, deal_id: int, *, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the deal's timeline, oldest first, with the number of entries."""
    deal = deals.load(session, actor, deal_id)
    everything = union_all(*_sources(session, deal)).subquery()
    total = session.scalar(select(func.count()).select_from(everything)) or 0
    if (page - 1) * page_size >= total:
        return [], total  # past the end: a huge page number never reaches OFFSET
    rows = session.execute(
        select(everything)
        .order_by(everything.c.at, everything.c.entry, everything.c.ref_id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return [dict(row._mapping) for row in rows], total
