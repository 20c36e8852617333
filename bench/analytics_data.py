"""History at scale for bench/analytics.py, written straight into the tables with SQL.

Managers in departments and time zones; call tasks (made, late, cancelled, left open and
escalated, some ending in a refusal) with the interaction each made call recorded;
inbound requests with their first contacts (some refused); customers buying with a
skewed (Pareto-like) frequency, order lines over items in groups, loyalty cards. The
read model is then rebuilt from it, as after an upgrade.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.crm.analytics.adapters.rebuild import rebuild


@dataclass(frozen=True)
class Sizes:
    interactions: int
    orders: int
    managers: int
    months: int

    @property
    def tasks(self) -> int:
        return self.interactions * 8 // 10

    @property
    def requests(self) -> int:  # inbound processes: two interactions each
        return max(self.interactions // 20, 10)

    @property
    def customers(self) -> int:
        return max(self.orders // 20, 50)


STEPS = (
    # Managers in ten departments (the first of each its head), in four time zones.
    """INSERT INTO crm.employees (name, email, role, department, timezone)
       SELECT 'Manager ' || n, 'bench' || n || '@bench.example',
              CASE WHEN n <= 10 THEN 'head_of_sales' ELSE 'manager' END,
              'Dept ' || (n % 10),
              (ARRAY['UTC','Europe/Berlin','America/New_York','Asia/Tokyo'])[1 + n % 4]
       FROM generate_series(1, :managers) n""",
    """INSERT INTO crm.refusal_reasons (name) SELECT 'Reason ' || n FROM generate_series(1, 8) n""",
    """INSERT INTO crm.item_groups (name) SELECT 'Group ' || n FROM generate_series(1, 10) n""",
    """INSERT INTO crm.items (name, group_id)
       SELECT 'Item ' || n, (SELECT min(id) FROM crm.item_groups) + n % 10
       FROM generate_series(1, 50) n""",
    """INSERT INTO crm.partners (name) SELECT 'Partner ' || n FROM generate_series(1, :customers / 5 + 1) n""",
    """INSERT INTO crm.counterparties (name, partner_id, kind, responsible_id)
       SELECT 'Customer ' || n, (SELECT min(id) FROM crm.partners) + n / 5, 'legal_entity',
              (SELECT min(id) FROM crm.employees WHERE email LIKE 'bench%') + n % :managers
       FROM generate_series(0, :customers - 1) n""",
    """INSERT INTO crm.loyalty_cards (number, counterparty_id, discount_percent, valid_from)
       SELECT 'CARD-' || c.id, c.id, 3 + c.id % 5, DATE '2000-01-01'
       FROM crm.counterparties c WHERE c.id % 10 = 0""",
    # Call tasks due over the months: 90% made (5% of them refused), 5% cancelled, 5% open.
    """INSERT INTO crm.tasks (kind, title, assignee_id, subject_kind, subject_id, state, due_at,
           outcome, refusal_reason_id, completed_at, escalated_at, created_at)
       SELECT 'call', 'Call', m, 'lead', 1 + n % 100000, state, due,
              CASE WHEN state = 'done' THEN CASE WHEN refused THEN 'refusal' ELSE 'talked' END END,
              CASE WHEN state = 'done' AND refused
                   THEN (SELECT min(id) FROM crm.refusal_reasons) + n % 8 END,
              CASE WHEN state <> 'open' THEN due + (random() * 36 - 6) * interval '1 hour' END,
              CASE WHEN state = 'open' AND n % 2 = 0 THEN due + interval '1 hour' END,
              due
       FROM (SELECT n, (SELECT min(id) FROM crm.employees WHERE email LIKE 'bench%')
                       + n % :managers AS m,
                    now() - random() * :months * interval '30 days' AS due,
                    CASE WHEN n % 20 = 0 THEN 'cancelled' WHEN n % 20 = 1 THEN 'open'
                         ELSE 'done' END AS state,
                    n % 19 = 0 AS refused
             FROM generate_series(1, :tasks) n) t""",
    """INSERT INTO crm.interactions (kind, direction, subject_kind, subject_id, responsible_id,
           state, outcome, refusal_reason_id, task_id, started_at, ended_at, created_at)
       SELECT 'call', 'outgoing', subject_kind, subject_id, assignee_id, 'completed', outcome,
              refusal_reason_id, id, completed_at, completed_at, completed_at
       FROM crm.tasks WHERE state = 'done'""",
    # Inbound requests: a first contact taken up within 0-15 minutes; a fifth refused.
    """INSERT INTO crm.process_instances (kind, state, current_step, started_by_id, started_at,
           ended_at, refusal_reason_id)
       SELECT 'inbound_sales', CASE WHEN n % 5 = 0 THEN 'refused' ELSE 'active' END,
              CASE WHEN n % 5 = 0 THEN 'refusal' ELSE 'first_contact' END, m, t,
              CASE WHEN n % 5 = 0 THEN t + interval '1 day' END,
              CASE WHEN n % 5 = 0 THEN (SELECT min(id) FROM crm.refusal_reasons) + n % 8 END
       FROM (SELECT n, (SELECT min(id) FROM crm.employees WHERE email LIKE 'bench%')
                       + n % :managers AS m,
                    now() - random() * :months * interval '30 days' AS t
             FROM generate_series(1, :requests) n) p""",
    """INSERT INTO crm.interactions (kind, direction, responsible_id, state, process_id, step,
           created_at, started_at)
       SELECT 'call', 'incoming', started_by_id, 'completed', id, step, started_at + d,
              started_at + d + CASE WHEN step = 'first_contact'
                                    THEN random() * interval '15 minutes' END
       FROM crm.process_instances,
            (VALUES ('registration', interval '0'), ('first_contact', interval '1 minute')) s(step, d)""",
    """INSERT INTO crm.process_steps (process_id, step, actor_id, entered_at, completed_at,
           outcome, refusal_reason_id)
       SELECT id, step, started_by_id, started_at, ended_at, NULL, NULL FROM crm.process_instances,
              (VALUES ('registration'), ('first_contact')) s(step)
       UNION ALL
       SELECT id, 'refusal', started_by_id, ended_at, ended_at, 'refused', refusal_reason_id
       FROM crm.process_instances WHERE state = 'refused'""",
    # Orders: customers picked with a skew (a few buy a lot), over the months; lines 1-3.
    """INSERT INTO crm.orders (status, author_id, counterparty_id, posted_at, routed_at,
           loyalty_card_id, created_at)
       SELECT 'open', c.responsible_id, c.id, t, t,
              CASE WHEN c.id % 10 = 0 AND n % 2 = 0
                   THEN (SELECT id FROM crm.loyalty_cards WHERE counterparty_id = c.id) END, t
       FROM (SELECT n, now() - random() * :months * interval '30 days' AS t,
                    (SELECT min(id) FROM crm.counterparties)
                      + floor(:customers * power(random(), 3))::int AS cp
             FROM generate_series(1, :orders) n) o
       JOIN crm.counterparties c ON c.id = o.cp""",
    """INSERT INTO crm.order_lines (order_id, line_no, item_id, quantity, price)
       SELECT o.id, l, (SELECT min(id) FROM crm.items) + (o.id * 7 + l * 13) % 50,
              1 + o.id % 4, round((50 + random() * 950)::numeric, 2)
       FROM crm.orders o, generate_series(1, 1 + o.id % 3) l""",
)


def generate(session: Session, sizes: Sizes) -> dict[str, int]:
    """Write the history, rebuild the read model from it; rows per table."""
    session.execute(text("SELECT setseed(0.42)"))
    params = {
        "managers": sizes.managers,
        "months": sizes.months,
        "tasks": sizes.tasks,
        "requests": sizes.requests,
        "customers": sizes.customers,
        "orders": sizes.orders,
    }
    for step in STEPS:
        session.execute(text(step), params)
    counts = {
        table: session.scalar(text(f"SELECT count(*) FROM crm.{table}"))
        for table in ("tasks", "interactions", "process_instances", "orders", "order_lines")
    }
    counts |= rebuild(session)
    return counts
