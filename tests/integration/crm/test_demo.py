"""The demo data `make run` loads: a working department, and loading twice changes nothing."""

from sqlalchemy import func, select

from services.crm import demo, demo_deals
from services.crm.adapters.deals import Deal, DealKind
from services.crm.adapters.orm import Counterparty, Employee, Lead
from services.crm.adapters.sales import Item
from services.crm.handlers.employees import authenticate
from shared.db import transaction


def counts(sessions):
    with sessions() as s:
        return [
            s.scalar(select(func.count()).select_from(m))
            for m in (Employee, Lead, Counterparty, Item, DealKind, Deal)
        ]


def test_demo_loads_once_and_every_run_prints_a_working_admin_token(sessions, settings, clean_db):
    with transaction(sessions) as session:
        first = demo.load(session, settings)
    loaded = counts(sessions)
    assert loaded == [
        len(demo.EMPLOYEES),
        len(demo.LEADS),
        len(demo.CUSTOMERS),
        len(demo.ITEMS),
        2,
        len(demo_deals.DEALS),
    ]
    with sessions() as s:
        states = s.execute(select(Deal.state, func.count()).group_by(Deal.state)).all()
    # Deals spread over stages, won and lost, in both modes.
    assert {state for state, _ in states} == {"in_progress", "won", "lost", "cancelled"}
    with transaction(sessions) as session:
        second = demo.load(session, settings)
    assert counts(sessions) == loaded
    with sessions() as session:
        assert authenticate(session, first).role == "admin"
        assert authenticate(session, second).role == "admin"
