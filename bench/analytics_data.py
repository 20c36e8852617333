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
    deals: int = 10_000

    @property
    def tasks(self) -> int:
        return self.interactions * 8 // 10

    @property
    def requests(self) -> int:  # inbound processes: two interactions each
        return max(self.interactions // 20, 10)

    @property
    def customers(self) -> int:
        return max(self.orders // 20, 50)


# Deals of one kind of four stages: 30 % won, 40 % lost, 10 % cancelled, 20 % open; each
# walks from the first stage as far as it got (every eleventh skips the second; the others that
# get past the second go back from it to the first once, as most deals do), staying 1-7 days
# in a stage; then the closing row. About five stage changes a deal.
DEAL_STEPS = (
    """INSERT INTO crm.deal_kinds (name, mode) VALUES ('Bench sale', 'manual')""",
    """INSERT INTO crm.deal_stages (kind_id, position, code, name, duration_days, probability)
       SELECT (SELECT max(id) FROM crm.deal_kinds), n, 's' || n, 'Stage ' || n, 2 + n, 20 * n
       FROM generate_series(1, 4) n""",
    """CREATE TEMP TABLE bench_deals ON COMMIT DROP AS
       SELECT n, nextval(pg_get_serial_sequence('crm.deals', 'id')) AS id, m, t,
              (1 + n % 7) * interval '1 day' AS step,
              CASE WHEN n % 10 < 3 THEN 'won' WHEN n % 10 < 7 THEN 'lost'
                   WHEN n % 10 = 7 THEN 'cancelled' ELSE 'in_progress' END AS state,
              CASE WHEN n % 10 < 3 THEN 4 ELSE 1 + n % 4 END AS reached
       FROM (SELECT n, (SELECT min(id) FROM crm.employees WHERE email LIKE 'bench%')
                       + n % :managers AS m,
                    now() - random() * :months * interval '30 days' AS t
             FROM generate_series(1, :deals) n) d""",
    """CREATE INDEX ON bench_deals (n)""",
    """CREATE TEMP TABLE bench_walks ON COMMIT DROP AS
       SELECT b.n, w.ord, w.s FROM bench_deals b,
       LATERAL (SELECT row_number() OVER (ORDER BY k) AS ord, s FROM (
           SELECT 10 * s AS k, s FROM generate_series(1, b.reached) s
           WHERE NOT (s = 2 AND b.n % 11 = 0)
           UNION ALL SELECT k, s FROM (VALUES (25, 1), (26, 2)) v(k, s)
           WHERE b.reached > 2 AND b.n % 11 <> 0
       ) x) w""",
    """CREATE INDEX ON bench_walks (n, ord)""",
    """INSERT INTO crm.deals (id, name, responsible_id, kind_id, stage_id, stage_entered_at, state,
           amount, expected_close_date, lost_reason_id, closed_at, created_at)
       SELECT b.id, 'Deal ' || b.n, b.m, s.kind_id,
              CASE WHEN b.state = 'in_progress' THEN s.id END,
              CASE WHEN b.state = 'in_progress' THEN now() - b.step END, b.state,
              round((500 + random() * 50000)::numeric, 2),
              (now() + (b.n % 180) * interval '1 day')::date,
              CASE WHEN b.state = 'lost' THEN (SELECT min(id) FROM crm.refusal_reasons) END,
              CASE WHEN b.state <> 'in_progress'
                   THEN b.t + w.moves * b.step END,
              b.t
       FROM bench_deals b
       JOIN (SELECT n, count(*) AS moves FROM bench_walks GROUP BY n) w ON w.n = b.n
       JOIN crm.deal_stages s
         ON s.kind_id = (SELECT max(id) FROM crm.deal_kinds) AND s.position = b.reached""",
    """INSERT INTO crm.deal_stage_history (deal_id, from_stage_id, to_stage_id, to_state,
           changed_at, seconds_spent, responsible_id)
       SELECT b.id, p.id, s.id, 'in_progress', b.t + (w.ord - 1) * b.step,
              CASE WHEN w.ord = 1 THEN 0 ELSE extract(epoch FROM b.step)::int END, b.m
       FROM bench_walks w JOIN bench_deals b ON b.n = w.n
       JOIN crm.deal_stages s ON s.kind_id = (SELECT max(id) FROM crm.deal_kinds)
            AND s.position = w.s
       LEFT JOIN bench_walks pw ON pw.n = w.n AND pw.ord = w.ord - 1
       LEFT JOIN crm.deal_stages p ON p.kind_id = s.kind_id AND p.position = pw.s
       UNION ALL
       SELECT d.id, s.id, NULL, d.state, d.closed_at, extract(epoch FROM b.step)::int, b.m
       FROM crm.deals d JOIN bench_deals b ON b.id = d.id
       JOIN crm.deal_stages s ON s.kind_id = d.kind_id AND s.position = b.reached
       WHERE d.state <> 'in_progress'
       ORDER BY 5""",
)

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
    *DEAL_STEPS,
)


def generate(session: Session, sizes: Sizes) -> dict[str, int]:
    """Write the history, rebuild the read model from it; rows per table."""
    session.execute(text("SELECT setseed(0.42)"))
    # Room for the sorts and hashes over millions of rows (the history ordered by time, the
    # rebuild's groupings) in memory rather than in temporary files.
    session.execute(text("SET LOCAL work_mem = '256MB'"))
    session.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    params = {
        "managers": sizes.managers,
        "months": sizes.months,
        "tasks": sizes.tasks,
        "requests": sizes.requests,
        "customers": sizes.customers,
        "orders": sizes.orders,
        "deals": sizes.deals,
    }
    for step in STEPS:
        session.execute(text(step), params)
    counts = {
        table: session.scalar(text(f"SELECT count(*) FROM crm.{table}"))
        for table in (
            "tasks",
            "interactions",
            "process_instances",
            "orders",
            "order_lines",
            "deals",
            "deal_stage_history",
        )
    }
    counts |= rebuild(session)
    return counts
