"""The read model recomputed from the history: the same aggregates the recorder keeps.

Used to fill the aggregates after upgrading (``flask analytics-rebuild``), after loading
history in bulk (the benchmark) and by the tests that check recorder and history agree.
The aggregate tables are locked against writers for the rebuild: a fact committed before
is in the history it reads, one committed after adds to the rebuilt rows, none is lost or
counted twice; reports go on reading the old figures until it commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Base
from services.crm.analytics.adapters import deal_tables as _deal_tables  # noqa: F401
from services.crm.analytics.adapters import tables as _tables  # noqa: F401 (registers them)
from services.crm.analytics.domain import bottlenecks, kinds
from services.crm.analytics.domain.periods import FIRST_CONTACT_LIMIT
from services.crm.domain.process import MAIN, PROCESSES
from shared.db import rowcount

TABLES = (
    "analytics_manager_days",
    "analytics_losses",
    "analytics_customer_months",
    "analytics_customers",
    "analytics_group_months",
    "analytics_card_months",
)
# The deals' aggregates (migration 0014), kept by handlers/deal_recorder.py.
DEAL_TABLES = ("analytics_deal_days", "analytics_deal_stage_days", "analytics_deal_stays")
# The open deals where they stand now (migration 0017), kept by deal_recorder.restand.
OPEN_DEAL_TABLES = ("analytics_open_deal_days",)
# The open deals' pipeline (migration 0018): kept by restand, rebuilt by each re-fit.
PIPELINE_TABLES = ("analytics_open_pipeline",)
# Each customer's months over every kind (migration 0021).
TOTAL_TABLES = ("analytics_customer_month_totals",)
# Each buyer's orders over the rolling spans kept (migration 0022), shifted by handlers/spans.py.
SPAN_TABLES = ("analytics_customer_spans",)
ALL_TABLES = TABLES + DEAL_TABLES + OPEN_DEAL_TABLES + PIPELINE_TABLES + TOTAL_TABLES + SPAN_TABLES

# A task kind's process kind, as kinds.of_task decides it.
TASK_PROCESS = (
    "CASE t.kind "
    + " ".join(f"WHEN '{task}' THEN '{kind}'" for task, kind in kinds.TASK_KINDS.items())
    + f" ELSE '{kinds.MANUAL}' END"
)
# The moment a task belongs to, as recorder._day_of takes it, and its day where its assignee works.
TASK_MOMENT = "coalesce(t.planned_at, t.due_at)"
LOCAL_DUE_DAY = f"({TASK_MOMENT} AT TIME ZONE e.timezone)::date"

MANAGER_DAYS = f"""
SELECT manager_id, day, process_kind, sum(planned) AS planned_calls, sum(made) AS calls_made,
       sum(on_time) AS calls_on_time, sum(cancelled) AS calls_cancelled,
       sum(overdue) AS tasks_overdue, sum(contacts) AS first_contacts,
       sum(in_time) AS first_contacts_in_time, sum(seconds) AS first_contact_seconds
FROM (
    SELECT t.assignee_id AS manager_id, {LOCAL_DUE_DAY} AS day,
           '{kinds.CALLING_LOOP}' AS process_kind, 1 AS planned,
           (t.state = 'done')::int AS made,
           (t.state = 'done' AND t.completed_at <
               (({LOCAL_DUE_DAY} + 1)::timestamp AT TIME ZONE e.timezone))::int AS on_time,
           (t.state = 'cancelled')::int AS cancelled, 0 AS overdue,
           0 AS contacts, 0 AS in_time, 0.0::float8 AS seconds
    FROM crm.tasks t JOIN crm.employees e ON e.id = t.assignee_id
    WHERE t.kind = 'call'
  UNION ALL
    SELECT t.assignee_id, {LOCAL_DUE_DAY}, {TASK_PROCESS}, 0, 0, 0, 0, 1, 0, 0, 0.0
    FROM crm.tasks t JOIN crm.employees e ON e.id = t.assignee_id
    WHERE t.escalated_at IS NOT NULL
  UNION ALL
    SELECT i.responsible_id, (i.created_at AT TIME ZONE e.timezone)::date,
           '{kinds.INBOUND_SALES}', 0, 0, 0, 0, 0, 1,
           (i.started_at - i.created_at <= :first_contact_limit)::int,
           extract(epoch FROM i.started_at - i.created_at)::float8
    FROM crm.interactions i JOIN crm.employees e ON e.id = i.responsible_id
    WHERE i.step = 'first_contact' AND i.started_at IS NOT NULL
) facts
GROUP BY manager_id, day, process_kind
"""

# Losses of the calling loop, the inbound process and (``deals``) lost deals.
_LOSSES = f"""
SELECT day, process_kind, stage, reason_id, competitor_id, manager_id,
       count(*) AS count, sum(amount) AS amount
FROM (
    SELECT (t.completed_at AT TIME ZONE coalesce(e.timezone, 'UTC'))::date AS day,
           {TASK_PROCESS} AS process_kind, t.kind AS stage,
           t.refusal_reason_id AS reason_id, t.assignee_id AS manager_id,
           NULL::int AS competitor_id, 0::numeric AS amount
    FROM crm.tasks t LEFT JOIN crm.employees e ON e.id = t.assignee_id
    WHERE t.state = 'done' AND t.refusal_reason_id IS NOT NULL
  UNION ALL
    SELECT (p.ended_at AT TIME ZONE coalesce(e.timezone, 'UTC'))::date, p.kind,
           (SELECT s.step FROM crm.process_steps s
            WHERE s.process_id = p.id AND s.step = ANY(:main_steps)
            ORDER BY s.id DESC LIMIT 1),
           p.refusal_reason_id, r.actor_id, NULL::int, 0::numeric
    FROM crm.process_instances p
    JOIN crm.process_steps r ON r.process_id = p.id AND r.step = 'refusal'
    LEFT JOIN crm.employees e ON e.id = r.actor_id
    WHERE p.state = 'refused'
{{deals}}) facts
GROUP BY day, process_kind, stage, reason_id, competitor_id, manager_id
"""

DEAL_LOSSES = f"""  UNION ALL
    SELECT (h.changed_at AT TIME ZONE coalesce(e.timezone, 'UTC'))::date, '{kinds.DEALS}',
           s.code, d.lost_reason_id, h.responsible_id, d.competitor_id, d.amount
    FROM crm.deal_stage_history h JOIN crm.deals d ON d.id = h.deal_id
    LEFT JOIN crm.deal_stages s ON s.id = h.from_stage_id
    LEFT JOIN crm.employees e ON e.id = h.responsible_id
    WHERE h.to_state = 'lost'
"""
LOSSES = _LOSSES.format(deals=DEAL_LOSSES)
# Migration 0009 rebuilds the read model before the deals' tables exist (0011).
LOSSES_BEFORE_DEALS = _LOSSES.format(deals="")

# Orders that reached execution, with their total, UTC month and process kind.
ROUTED = f"""
    SELECT o.id, o.counterparty_id, o.author_id, o.loyalty_card_id, o.routed_at,
           date_trunc('month', o.routed_at AT TIME ZONE 'UTC')::date AS month,
           coalesce(p.kind, '{kinds.MANUAL}') AS process_kind,
           (SELECT sum(round(l.quantity * l.price, 2)) FROM crm.order_lines l
            WHERE l.order_id = o.id) AS total
    FROM crm.orders o LEFT JOIN crm.process_instances p ON p.id = o.process_id
    WHERE o.routed_at IS NOT NULL
"""

CUSTOMER_MONTHS = f"""
SELECT counterparty_id, month, process_kind, count(*) AS orders, sum(total) AS revenue,
       max(routed_at) AS last_order_at
FROM ({ROUTED}) o WHERE counterparty_id IS NOT NULL
GROUP BY counterparty_id, month, process_kind
"""

CUSTOMER_MONTH_TOTALS = f"""
SELECT counterparty_id, month, count(*) AS orders, sum(total) AS revenue,
       max(routed_at) AS last_order_at
FROM ({ROUTED}) o WHERE counterparty_id IS NOT NULL
GROUP BY counterparty_id, month
"""


def span_rows(months: str) -> str:
    """Each buyer's orders over every kept span, from ``months`` (rows of a customer's month
    over every kind: the read model's, or the history's)."""
    return f"""
SELECT e.last_month, e.months, m.counterparty_id, sum(m.orders) AS orders,
       sum(m.revenue) AS revenue, sum(m.revenue * m.revenue) AS squares,
       max(m.last_order_at) AS last_order_at
FROM ({months}) m JOIN crm.analytics_customer_span_ends e
  ON m.month > e.last_month - make_interval(months => e.months) AND m.month <= e.last_month
GROUP BY e.last_month, e.months, m.counterparty_id
"""


CUSTOMERS = f"""
SELECT counterparty_id, count(*) AS orders, sum(total) AS revenue,
       min(routed_at) AS first_order_at, max(routed_at) AS last_order_at
FROM ({ROUTED}) o WHERE counterparty_id IS NOT NULL
GROUP BY counterparty_id
"""

GROUP_MONTHS = f"""
SELECT i.group_id, o.month, o.process_kind, o.author_id AS manager_id,
       count(DISTINCT o.id) AS orders, sum(l.quantity) AS quantity,
       sum(round(l.quantity * l.price, 2)) AS revenue
FROM ({ROUTED}) o
JOIN crm.order_lines l ON l.order_id = o.id
JOIN crm.items i ON i.id = l.item_id
GROUP BY i.group_id, o.month, o.process_kind, o.author_id
"""

CARD_MONTHS = f"""
SELECT o.loyalty_card_id AS card_id, o.month, count(*) AS orders, sum(o.total) AS amount,
       sum(round(o.total * c.discount_percent / 100, 2)) AS discount
FROM ({ROUTED}) o JOIN crm.loyalty_cards c ON c.id = o.loyalty_card_id
GROUP BY o.loyalty_card_id, o.month
"""

# Each move's figures are its manager's then (the history row's responsible, as the recorder
# counts them at the move): the deal's opening day where that manager works (deal_recorder._key).
_DEAL_DAY = "(d.created_at AT TIME ZONE coalesce(e.timezone, 'UTC'))::date"

# Opened: the deal's first move; won, lost or cancelled: its closing move.
DEAL_DAYS = f"""
SELECT {_DEAL_DAY} AS day, d.kind_id, h.responsible_id AS manager_id,
       count(*) FILTER (WHERE h.first) AS opened,
       count(*) FILTER (WHERE h.to_state = 'won') AS won,
       count(*) FILTER (WHERE h.to_state = 'lost') AS lost,
       count(*) FILTER (WHERE h.to_state = 'cancelled') AS cancelled,
       coalesce(sum(d.amount) FILTER (WHERE h.to_state = 'won'), 0) AS won_amount,
       coalesce(sum(extract(epoch FROM h.changed_at - d.created_at)::float8)
                FILTER (WHERE h.to_state IN ('won', 'lost')), 0) AS cycle_seconds
FROM (SELECT h.*, h.id = min(h.id) OVER (PARTITION BY h.deal_id) AS first
      FROM crm.deal_stage_history h) h
JOIN crm.deals d ON d.id = h.deal_id
LEFT JOIN crm.employees e ON e.id = h.responsible_id
WHERE h.first OR h.to_state IN ('won', 'lost', 'cancelled')
GROUP BY 1, 2, 3
"""

# First arrival of each deal in each stage; "in order" when every stage placed before it in
# the kind had been reached by then (a deal that skipped one, or went back, is not).
DEAL_STAGE_DAYS = f"""
WITH firsts AS (
    SELECT DISTINCT ON (h.deal_id, h.to_stage_id) h.deal_id, h.to_stage_id AS stage_id,
           h.id AS first_id, h.responsible_id
    FROM crm.deal_stage_history h WHERE h.to_stage_id IS NOT NULL
    ORDER BY h.deal_id, h.to_stage_id, h.id
), ranked AS (
    SELECT id, (SELECT count(*) FROM crm.deal_stages e
                WHERE e.kind_id = s.kind_id AND e.position < s.position) AS earlier, position
    FROM crm.deal_stages s
), placed AS (
    SELECT f.deal_id, f.stage_id, f.first_id, f.responsible_id, r.earlier, r.position
    FROM firsts f JOIN ranked r ON r.id = f.stage_id
), facts AS (
    SELECT p.deal_id, p.stage_id, p.responsible_id, 1 AS reached,
           (count(q.stage_id) = p.earlier)::int AS in_order,
           0 AS dropped, 0 AS stays, 0.0::float8 AS seconds
    FROM placed p LEFT JOIN placed q
      ON q.deal_id = p.deal_id AND q.first_id < p.first_id AND q.position < p.position
    GROUP BY p.deal_id, p.stage_id, p.responsible_id, p.earlier
  UNION ALL
    SELECT h.deal_id, h.from_stage_id, h.responsible_id, 0, 0,
           (h.to_state IN ('lost', 'cancelled'))::int, 1, h.seconds_spent::float8
    FROM crm.deal_stage_history h WHERE h.from_stage_id IS NOT NULL
)
SELECT {_DEAL_DAY} AS day, d.kind_id, f.stage_id, f.responsible_id AS manager_id,
       sum(f.reached) AS reached, sum(f.in_order) AS reached_in_order,
       sum(f.dropped) AS dropped, sum(f.stays) AS stays, sum(f.seconds) AS stay_seconds
FROM facts f JOIN crm.deals d ON d.id = f.deal_id
LEFT JOIN crm.employees e ON e.id = f.responsible_id
GROUP BY 1, 2, 3, 4
"""

# Stays by the UTC month they ended and their length band (domain/bottlenecks.band).
_BAND = (
    "CASE WHEN h.seconds_spent < 3600 THEN 0 "
    f"ELSE 1 + floor(ln(h.seconds_spent / 3600.0) / ln({bottlenecks.RATIO}))::int END"
)
DEAL_STAYS = f"""
SELECT date_trunc('month', h.changed_at AT TIME ZONE 'UTC')::date AS month, d.kind_id,
       h.from_stage_id AS stage_id, h.responsible_id AS manager_id, {_BAND} AS band,
       count(*) AS stays,
       count(*) FILTER (WHERE s.duration_days > 0
                        AND h.seconds_spent > s.duration_days * 86400) AS late,
       sum(h.seconds_spent)::float8 AS seconds, max(h.seconds_spent)::float8 AS max_seconds
FROM crm.deal_stage_history h JOIN crm.deals d ON d.id = h.deal_id
JOIN crm.deal_stages s ON s.id = h.from_stage_id
GROUP BY 1, 2, 3, 4, 5
"""

# The open deals by stage, manager now and the UTC day they entered it (deal_recorder.standing).
OPEN_DEAL_DAYS = """
SELECT stage_id, (stage_entered_at AT TIME ZONE 'UTC')::date AS day,
       responsible_id AS manager_id, kind_id, count(*) AS deals
FROM crm.deals WHERE state = 'in_progress' AND stage_id IS NOT NULL
GROUP BY 1, 2, 3, 4
"""

# The open deals by kind, manager now and expected close month, weighted by their chance
# (deal_recorder.standing): the fitted one as four places, else the stage's default.
OPEN_PIPELINE = """
SELECT d.kind_id, d.responsible_id AS manager_id,
       date_trunc('month', d.expected_close_date::timestamp)::date AS month,
       count(*) AS deals, sum(d.amount) AS amount,
       sum(d.amount * coalesce(round(w.probability::numeric, 4), d.probability / 100.0))
           AS weighted
FROM crm.deals d LEFT JOIN crm.analytics_win_chances w ON w.deal_id = d.id
WHERE d.state = 'in_progress' AND d.stage_id IS NOT NULL
GROUP BY 1, 2, 3
"""

# Per aggregate table, the query that computes its rows from the history (the benchmark
# times the reports over these as "computed from the raw history").
HISTORY = dict(
    zip(
        ALL_TABLES,
        (
            MANAGER_DAYS,
            LOSSES,
            CUSTOMER_MONTHS,
            CUSTOMERS,
            GROUP_MONTHS,
            CARD_MONTHS,
            DEAL_DAYS,
            DEAL_STAGE_DAYS,
            DEAL_STAYS,
            OPEN_DEAL_DAYS,
            OPEN_PIPELINE,
            CUSTOMER_MONTH_TOTALS,
            span_rows(CUSTOMER_MONTH_TOTALS),
        ),
        strict=True,
    )
)


def _columns(table: str) -> list[str]:
    return [c.key for c in Base.metadata.tables[f"crm.{table}"].c if c.key != "id"]


def params() -> dict[str, Any]:
    main = sorted({s.name for p in PROCESSES.values() for s in p.steps if s.kind == MAIN})
    return {"first_contact_limit": FIRST_CONTACT_LIMIT, "main_steps": main}


def rebuild(
    connection: Connection | Session,
    tables: Sequence[str] = ALL_TABLES,
) -> dict[str, int]:
    """Empty the read model's ``tables`` and fill them from the history; rows per table."""
    connection.execute(
        text(f"LOCK TABLE {', '.join(f'crm.{t}' for t in tables)} IN EXCLUSIVE MODE")
    )
    written = {}
    history = dict(HISTORY)
    if connection.execute(text("SELECT to_regclass('crm.deal_stage_history')")).scalar() is None:
        history["analytics_losses"] = LOSSES_BEFORE_DEALS
    for name in tables:
        # DELETE, not TRUNCATE: reports keep reading the old figures until the commit.
        connection.execute(text(f"DELETE FROM crm.{name}"))
        columns = ", ".join(_columns(name))
        insert = f"INSERT INTO crm.{name} ({columns}) SELECT {columns} FROM ({history[name]}) h"
        written[name] = rowcount(connection.execute(text(insert), params()))
    if set(SPAN_TABLES) & set(tables):  # ranked afresh by the next refresh (handlers/ranks.py)
        connection.execute(text("DELETE FROM crm.analytics_customer_ranks"))
    return written
