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

from services.crm.analytics.domain import kinds
from services.crm.analytics.domain.periods import FIRST_CONTACT_LIMIT
from services.crm.domain.process import MAIN, PROCESSES

TABLES = (
    "analytics_manager_days",
    "analytics_losses",
    "analytics_customer_months",
    "analytics_customers",
    "analytics_group_months",
    "analytics_card_months",
)

# A task kind's process kind, as kinds.of_task decides it.
TASK_PROCESS = (
    "CASE t.kind "
    + " ".join(f"WHEN '{task}' THEN '{kind}'" for task, kind in kinds.TASK_KINDS.items())
    + f" ELSE '{kinds.MANUAL}' END"
)
LOCAL_DUE_DAY = "(t.due_at AT TIME ZONE e.timezone)::date"

MANAGER_DAYS = f"""
INSERT INTO crm.analytics_manager_days (manager_id, day, process_kind, planned_calls,
    calls_made, calls_on_time, calls_cancelled, tasks_overdue, first_contacts,
    first_contacts_in_time, first_contact_seconds)
SELECT manager_id, day, process_kind, sum(planned), sum(made), sum(on_time), sum(cancelled),
       sum(overdue), sum(contacts), sum(in_time), sum(seconds)
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

LOSSES = f"""
INSERT INTO crm.analytics_losses (day, process_kind, stage, reason_id, manager_id, count)
SELECT day, process_kind, stage, reason_id, manager_id, count(*)
FROM (
    SELECT (t.completed_at AT TIME ZONE coalesce(e.timezone, 'UTC'))::date AS day,
           {TASK_PROCESS} AS process_kind, t.kind AS stage,
           t.refusal_reason_id AS reason_id, t.assignee_id AS manager_id
    FROM crm.tasks t LEFT JOIN crm.employees e ON e.id = t.assignee_id
    WHERE t.state = 'done' AND t.refusal_reason_id IS NOT NULL
  UNION ALL
    SELECT (p.ended_at AT TIME ZONE coalesce(e.timezone, 'UTC'))::date, p.kind,
           (SELECT s.step FROM crm.process_steps s
            WHERE s.process_id = p.id AND s.step = ANY(:main_steps)
            ORDER BY s.id DESC LIMIT 1),
           p.refusal_reason_id, r.actor_id
    FROM crm.process_instances p
    JOIN crm.process_steps r ON r.process_id = p.id AND r.step = 'refusal'
    LEFT JOIN crm.employees e ON e.id = r.actor_id
    WHERE p.state = 'refused'
) facts
GROUP BY day, process_kind, stage, reason_id, manager_id
"""

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
INSERT INTO crm.analytics_customer_months (counterparty_id, month, process_kind, orders,
    revenue, last_order_at)
SELECT counterparty_id, month, process_kind, count(*), sum(total), max(routed_at)
FROM ({ROUTED}) o WHERE counterparty_id IS NOT NULL
GROUP BY counterparty_id, month, process_kind
"""

CUSTOMERS = f"""
INSERT INTO crm.analytics_customers (counterparty_id, orders, revenue, first_order_at,
    last_order_at)
SELECT counterparty_id, count(*), sum(total), min(routed_at), max(routed_at)
FROM ({ROUTED}) o WHERE counterparty_id IS NOT NULL
GROUP BY counterparty_id
"""

GROUP_MONTHS = f"""
INSERT INTO crm.analytics_group_months (group_id, month, process_kind, manager_id, orders,
    quantity, revenue)
SELECT i.group_id, o.month, o.process_kind, o.author_id, count(DISTINCT o.id),
       sum(l.quantity), sum(round(l.quantity * l.price, 2))
FROM ({ROUTED}) o
JOIN crm.order_lines l ON l.order_id = o.id
JOIN crm.items i ON i.id = l.item_id
GROUP BY i.group_id, o.month, o.process_kind, o.author_id
"""

CARD_MONTHS = f"""
INSERT INTO crm.analytics_card_months (card_id, month, orders, amount, discount)
SELECT o.loyalty_card_id, o.month, count(*), sum(o.total),
       sum(round(o.total * c.discount_percent / 100, 2))
FROM ({ROUTED}) o JOIN crm.loyalty_cards c ON c.id = o.loyalty_card_id
GROUP BY o.loyalty_card_id, o.month
"""

STATEMENTS = dict(
    zip(
        TABLES,
        (MANAGER_DAYS, LOSSES, CUSTOMER_MONTHS, CUSTOMERS, GROUP_MONTHS, CARD_MONTHS),
        strict=True,
    )
)


def params() -> dict[str, Any]:
    main = sorted({s.name for p in PROCESSES.values() for s in p.steps if s.kind == MAIN})
    return {"first_contact_limit": FIRST_CONTACT_LIMIT, "main_steps": main}


def rebuild(connection: Connection | Session, tables: Sequence[str] = TABLES) -> dict[str, int]:
    """Empty the read model's ``tables`` and fill them from the history; rows per table."""
    connection.execute(
        text(f"LOCK TABLE {', '.join(f'crm.{t}' for t in tables)} IN EXCLUSIVE MODE")
    )
    written = {}
    for name in tables:
        # DELETE, not TRUNCATE: reports keep reading the old figures until the commit.
        connection.execute(text(f"DELETE FROM crm.{name}"))
        written[name] = connection.execute(text(STATEMENTS[name]), params()).rowcount
    return written
