"""The open deals by stage, manager and day entered (the deals stalled now) and by expected
close month (the funnel's pipeline): the rows follow a deal moved on, sent back a stage, given
to another manager, re-valued, re-dated and closed; after a random run of such changes, with
re-fits of the chances among them, the stalled counts equal those counted from the deals
themselves and the rows those rebuilt from the deals."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from services.crm.analytics.adapters.deal_tables import OpenDealDay
from services.crm.analytics.domain.periods import Period
from services.crm.analytics.domain.scope import Scope
from services.crm.analytics.handlers import bottlenecks, win_probability
from services.crm.analytics.handlers.scope import Filters
from shared.db import transaction, utcnow
from tests.integration.crm.analytics.support import read_model, rebuilt, report
from tests.integration.crm.analytics.test_funnel import backdate_stage, walk
from tests.integration.crm.support import created
from tests.integration.crm.test_deals import deal
from tests.integration.crm.test_deals import office as office

STAGES = [
    {"code": "a", "name": "Qualify", "duration_days": 1, "next": ["b"]},
    {"code": "b", "name": "Propose", "duration_days": 3, "next": ["c", "a"]},
    {"code": "c", "name": "Negotiate", "duration_days": 2},
]


@pytest.fixture()
def kind(office):
    return created(
        office["admin"], "/api/deal-kinds", name="Open sale", mode="manual", stages=STAGES
    )


def entered(client, deal_id: int) -> date:
    """The UTC day the deal entered the stage it stands in."""
    at = client.get(f"/api/deals/{deal_id}").json["stage_entered_at"]
    return datetime.fromisoformat(at).astimezone(UTC).date()


def standing(sessions, kind) -> Counter:
    """The open deals' rows of the kind: (stage code, day, manager) -> deals."""
    codes = {s["id"]: s["code"] for s in kind["stages"]}
    with sessions() as session:
        rows = session.execute(
            select(OpenDealDay).where(OpenDealDay.kind_id == kind["id"])
        ).scalars()
        return Counter({(codes[r.stage_id], r.day, r.manager_id): r.deals for r in rows})


def test_the_open_deals_follow_moves_going_back_a_change_of_hands_and_closing(
    office, kind, sessions
):
    alice, bob = office["alice"], office["bob"]
    d1, d2 = (deal(alice, kind["id"], office["customer"])["id"] for _ in range(2))
    backdate_stage(sessions, d1, 5)
    expected = Counter({("a", entered(alice, d1), alice.id): 1})
    expected[("a", entered(alice, d2), alice.id)] += 1
    assert standing(sessions, kind) == expected
    mine = report(alice, "bottlenecks", kind_id=kind["id"])
    assert (mine["stalled_count"], [d["deal_id"] for d in mine["stalled"]]) == (1, [d1])

    walk(alice, d1, "b")  # five days in a end: that day's row goes
    expected = Counter({("b", entered(alice, d1), alice.id): 1})
    expected[("a", entered(alice, d2), alice.id)] += 1
    assert standing(sessions, kind) == expected
    assert report(alice, "bottlenecks", kind_id=kind["id"])["stalled_count"] == 0

    backdate_stage(sessions, d1, 4)  # past b's three days, then back to a: stalled no more
    assert report(alice, "bottlenecks", kind_id=kind["id"])["stalled_count"] == 1
    walk(alice, d1, "a")
    expected = Counter({("a", entered(alice, d1), alice.id): 1})
    expected[("a", entered(alice, d2), alice.id)] += 1
    assert standing(sessions, kind) == expected
    assert report(alice, "bottlenecks", kind_id=kind["id"])["stalled_count"] == 0

    backdate_stage(sessions, d2, 2)
    r = alice.patch(f"/api/deals/{d2}", json={"responsible_id": bob.id})
    assert r.status_code == 200, r.json
    expected = Counter({("a", entered(alice, d1), alice.id): 1, ("a", entered(bob, d2), bob.id): 1})
    assert standing(sessions, kind) == expected
    per = report(office["helen"], "bottlenecks", kind_id=kind["id"], by="manager")
    stalled = {(r["manager_id"], r["code"]): r["stalled_now"] for r in per["rows"]}
    assert {key: n for key, n in stalled.items() if n} == {(bob.id, "a"): 1}
    assert report(alice, "bottlenecks", kind_id=kind["id"])["stalled_count"] == 0

    walk(alice, d1, "lost", lost_reason_id=office["reason"])
    walk(bob, d2, "b", "c", "won")
    assert standing(sessions, kind) == Counter()
    assert report(office["admin"], "bottlenecks", kind_id=kind["id"])["stalled_count"] == 0
    kept = read_model(sessions)  # before the rebuild replaces it
    assert rebuilt(sessions) == kept


RAW_STALLED = """
SELECT d.stage_id, d.responsible_id, count(*) FROM crm.deals d
JOIN crm.deal_stages s ON s.id = d.stage_id
WHERE d.kind_id = :kind AND d.state = 'in_progress' AND s.duration_days > 0
  AND d.stage_entered_at < now() - s.duration_days * interval '1 day'
GROUP BY 1, 2
"""
# Where a deal may go by hand from each stage (domain/deals.allowed_moves), and the closings.
ON = {"a": ["b"], "b": ["c", "a"], "c": ["won"]}
CLOSE = ["lost", "cancelled"]


def stalled_as_counted(sessions, kind_id: int, alice: int) -> int:
    """The report's stalled counts against those counted from the deals, for everyone and for
    one manager, in one transaction (the same now() for both); the stalled deals in all."""
    today = utcnow().date()
    for ids, scope in ((None, Scope()), ([alice], Scope("Sales", alice))):
        filters = Filters(Period(today.replace(day=1), today), None, scope, ids)
        with sessions() as session:
            raw = {
                (stage, manager): n
                for stage, manager, n in session.execute(text(RAW_STALLED), {"kind": kind_id})
                if ids is None or manager in ids
            }
            per = bottlenecks.report(session, filters, kind_id=kind_id, by="manager")
            total = bottlenecks.report(session, filters, kind_id=kind_id)
        counted = {(r["stage_id"], r["manager_id"]): r["stalled_now"] for r in per["rows"]}
        assert {key: n for key, n in counted.items() if n} == raw
        assert total["stalled_count"] == per["stalled_count"] == sum(raw.values())
        listed = [d["deal_id"] for d in total["stalled"]]
        assert len(set(listed)) == len(listed) == sum(raw.values())
        if ids is None:
            everyone = sum(raw.values())
    return everyone


def test_after_random_changes_the_stalled_counts_are_those_of_the_deals(office, kind, sessions):
    people = [office["alice"], office["bob"]]
    whose: dict[int, Any] = {}
    where: dict[int, str] = {}
    chance = random.Random(11)
    stalled = []
    for step in range(1, 81):
        while len([at for at in where.values() if at in ON]) < 6:  # new deals as others close
            client = chance.choice(people)
            d = deal(client, kind["id"], office["customer"])["id"]
            whose[d], where[d] = client, "a"
        d = chance.choice([d for d, at in where.items() if at in ON])
        action = chance.random()
        if action < 0.45:  # entered some days ago: often right at a stage's cut-off
            days = chance.choice([1, 2, 3, 0.9999, 1.0001, 2.9999, 3.0001, chance.uniform(0, 6)])
            backdate_stage(sessions, d, days)
        elif action < 0.55:
            whose[d] = people[1 - people.index(whose[d])]
            r = office["admin"].patch(f"/api/deals/{d}", json={"responsible_id": whose[d].id})
            assert r.status_code == 200, r.json
        elif action < 0.65:  # another amount or expected close month (or none)
            month = chance.choice([None, *(date(2027, m, chance.randint(1, 28)) for m in (1, 2))])
            changes = {
                "amount": str(chance.randint(1, 99_999) / 100),
                "expected_close_date": month and str(month),
            }
            r = whose[d].patch(f"/api/deals/{d}", json=changes)
            assert r.status_code == 200, r.json
        else:  # on or back a stage; now and then closed
            to = chance.choice(CLOSE if action > 0.97 else ON[where[d]])
            walk(whose[d], d, to, lost_reason_id=office["reason"])
            where[d] = to
        if step % 25 == 0:
            with transaction(sessions) as session:
                win_probability.refit(session)
        if step % 10 == 0:
            stalled.append(stalled_as_counted(sessions, kind["id"], office["alice"].id))
    assert sum(stalled) > 0  # the run did stall deals
    kept = read_model(sessions)  # before the rebuild replaces it
    assert rebuilt(sessions) == kept
