"""The BCG matrix of item groups (JSON, CSV, SVG) and loyalty cards used in orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest

from services.crm.analytics.adapters.rebuild import rebuild
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import counterparties, partners
from shared.db import transaction, utcnow
from tests import factories
from tests.integration.crm.analytics.support import read_model, rebuilt, report, rows_by
from tests.integration.crm.sales_world import world_fixture  # noqa: F401
from tests.integration.crm.support import created, field_errors

JAN_MAR: dict[str, Any] = {"from": "2026-01-01", "to": "2026-03-31"}


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


@pytest.fixture()
def portfolio(as_role, admin, sessions, settings):
    """Three item groups and an ungrouped item, sold by Alice and Bob in two periods."""
    alice, bob = as_role("manager", department="Sales"), as_role("manager", department="Sales")
    groups = {
        n: created(admin, "/api/item-groups", name=n)["id"] for n in ("Inst", "Maint", "Cons")
    }
    items = {
        n: created(admin, "/api/items", name=f"Item {n}", group_id=g)["id"]
        for n, g in groups.items()
    }
    items["none"] = created(admin, "/api/items", name="Item without a group")["id"]
    boss = Actor(admin.id, Role.ADMIN)
    with transaction(sessions) as session:
        partner = partners.create_partner(session, boss, {"name": "P"}).id
        customer = counterparties.create_counterparty(
            session, boss, {"name": "C", "partner_id": partner, "kind": "individual"}, settings
        ).id
        history = (
            (at(11, 10, 2025), alice, [("Inst", 1, 580), ("Maint", 4, 100), ("Cons", 1, 100)]),
            (at(1, 10), alice, [("Inst", 2, 150), ("Maint", 1, 100)]),
            (at(2, 10), bob, [("Inst", 1, 300), ("Cons", 1, 120), ("none", 1, 100)]),
            (at(3, 10), alice, [("Maint", 2, 100)]),
        )
        for when, seller, lines in history:
            factories.routed_order(
                session,
                customer,
                [(items[n], str(q), str(p)) for n, q, p in lines],
                when,
                author_id=seller.id,
            )
        rebuild(session)
    return alice, bob, groups


def test_bcg_places_each_group_by_growth_and_relative_share(portfolio, admin):
    _, _, groups = portfolio
    result = report(admin, "bcg", **JAN_MAR)
    assert result["previous"] == {"from": "2025-10-01", "to": "2025-12-31"}
    got = [
        (
            r["group_id"],
            r["revenue"],
            r["previous_revenue"],
            r["growth"],
            r["relative_share"],
            r["share_of_sales"],
            r["quadrant"],
        )
        for r in result["rows"]
    ]
    assert got == [
        (groups["Inst"], "600.00", "580.00", 0.0345, 2.0, 0.5357, "cash_cow"),
        (groups["Maint"], "300.00", "400.00", -0.25, 0.5, 0.2679, "dog"),
        (groups["Cons"], "120.00", "100.00", 0.2, 0.2, 0.1071, "question_mark"),
        (None, "100.00", "0.00", None, 0.1667, 0.0893, "question_mark"),
    ]


def test_bcg_of_one_manager_counts_only_what_they_sold(portfolio, admin):
    _, bob, groups = portfolio
    rows = rows_by(report(admin, "bcg", manager_id=bob.id, **JAN_MAR), "group_id")
    assert {g: (r["revenue"], r["quadrant"]) for g, r in rows.items()} == {
        groups["Inst"]: ("300.00", "star"),
        groups["Cons"]: ("120.00", "question_mark"),
        None: ("100.00", "question_mark"),
    }


def test_bcg_is_drawn_as_svg_and_exported_as_csv(portfolio, admin):
    by_header = admin.get(
        "/api/analytics/bcg", query_string=JAN_MAR, headers={"Accept": "image/svg+xml"}
    )
    by_parameter = admin.get("/api/analytics/bcg", query_string={**JAN_MAR, "format": "svg"})
    assert by_header.mimetype == by_parameter.mimetype == "image/svg+xml"
    svg = ElementTree.fromstring(by_header.get_data())
    ns = "{http://www.w3.org/2000/svg}"
    names = [c.find(f"{ns}title").text for c in svg.iter(f"{ns}circle")]
    assert names == ["Inst", "Maint", "Cons", "(no group)"]
    labels = {t.text for t in svg.iter(f"{ns}text")}
    assert {"Stars", "Cash cows", "Question marks", "Dogs", "Sales growth"} <= labels
    assert admin.patch(f"/api/employees/{admin.id}", json={"locale": "uk"}).status_code == 200
    in_ukrainian = admin.get("/api/analytics/bcg", query_string={**JAN_MAR, "format": "svg"})
    labels = {t.text for t in ElementTree.fromstring(in_ukrainian.get_data()).iter(f"{ns}text")}
    assert {"Зірки", "Дійні корови", "Знаки питання", "Собаки", "Зростання продажів"} <= labels
    table = admin.get("/api/analytics/bcg", query_string={**JAN_MAR, "format": "csv"})
    lines = table.get_data(as_text=True).splitlines()
    assert (
        lines[0]
        == "group_id,name,revenue,previous_revenue,growth,share_of_sales,relative_share,quadrant"
    )
    assert lines[1].startswith(f"{portfolio[2]['Inst']},Inst,600.00,580.00,0.0345,")
    # Only the BCG matrix is drawn: another report refuses the SVG format by name.
    r = admin.get("/api/analytics/managers?format=svg")
    assert r.status_code == 422 and "format" in r.json["errors"]["query"]


def test_an_item_is_put_in_a_group_and_a_group_is_renamed(admin, as_role):
    group = created(admin, "/api/item-groups", name="Services")
    item = created(admin, "/api/items", name="Audit")
    r = admin.patch(f"/api/items/{item['id']}", json={"group_id": group["id"]})
    assert r.status_code == 200 and r.json["group_id"] == group["id"]
    assert (
        admin.put(f"/api/item-groups/{group['id']}", json={"name": "Audits"}).json["name"]
        == "Audits"
    )
    assert "group_id" in field_errors(
        admin.patch(f"/api/items/{item['id']}", json={"group_id": 999})
    )
    assert admin.post("/api/item-groups", json={"name": "Audits"}).status_code == 409
    assert as_role("manager").post("/api/item-groups", json={"name": "X"}).status_code == 403


@pytest.fixture()
def card(world, admin):
    today = utcnow().date()
    return created(
        admin,
        "/api/loyalty-cards",
        number="LC-0001",
        counterparty_id=world.counterparty["id"],
        discount_percent="5.00",
        valid_from=str(today - timedelta(days=30)),
        valid_to=str(today + timedelta(days=30)),
    )


def test_an_order_made_with_a_loyalty_card_shows_in_the_cards_use_at_once(
    world, card, admin, sessions
):
    _, order = world.at_order(loyalty_card_id=card["id"])
    r = world.manager.post(f"/api/orders/{order}/post")
    assert r.status_code == 200 and r.json["routed_at"] and r.json["loyalty_card_id"] == card["id"]
    rows = rows_by(report(admin, "loyalty-cards"), "card_id")
    assert (
        rows[card["id"]]["orders"],
        rows[card["id"]]["amount"],
        rows[card["id"]]["discount"],
    ) == (
        1,
        "300.00",
        "15.00",
    )
    assert report(admin, "loyalty")["cards"] == {"used": 1, "orders": 1, "discount": "15.00"}
    customer = report(admin, "abc-xyz")["rows"][0]
    assert (customer["counterparty_id"], customer["revenue"], customer["abc"]) == (
        world.counterparty["id"],
        "300.00",
        "A",
    )
    kept = read_model(sessions)
    assert kept["analytics_card_months"] and rebuilt(sessions) == kept


def test_a_card_of_another_holder_a_blocked_or_an_expired_card_is_refused(world, card, admin):
    other_partner = created(admin, "/api/partners", name="Other")
    other = created(
        admin,
        "/api/counterparties",
        name="Other LLC",
        partner_id=other_partner["id"],
        kind="legal_entity",
    )
    foreign = created(
        admin,
        "/api/loyalty-cards",
        number="LC-0002",
        counterparty_id=other["id"],
        discount_percent="3",
        valid_from="2026-01-01",
    )
    _, order = world.at_order()
    url = f"/api/orders/{order}"
    assert "loyalty_card_id" in field_errors(
        world.manager.patch(url, json={"loyalty_card_id": foreign["id"]})
    )
    assert (
        admin.patch(f"/api/loyalty-cards/{card['id']}", json={"blocked": True}).status_code == 200
    )
    assert "loyalty_card_id" in field_errors(
        world.manager.patch(url, json={"loyalty_card_id": card["id"]})
    )
    yesterday = str(utcnow().date() - timedelta(days=1))
    r = admin.patch(
        f"/api/loyalty-cards/{card['id']}", json={"blocked": False, "valid_to": yesterday}
    )
    assert r.status_code == 200, r.json
    errors = field_errors(world.manager.patch(url, json={"loyalty_card_id": card["id"]}))
    assert "not valid" in errors["loyalty_card_id"][0]


def test_loyalty_cards_are_validated_and_numbers_are_unique(world, card, admin):
    body = {"counterparty_id": world.counterparty["id"], "valid_from": "2026-01-01"}
    assert (
        admin.post(
            "/api/loyalty-cards", json={**body, "number": "LC-0001", "discount_percent": "1"}
        ).status_code
        == 409
    )
    bad = admin.post(
        "/api/loyalty-cards", json={**body, "number": "LC-9", "discount_percent": "101"}
    )
    assert "discount_percent" in field_errors(bad)
    backwards = admin.post(
        "/api/loyalty-cards",
        json={**body, "number": "LC-9", "discount_percent": "1", "valid_to": "2025-12-31"},
    )
    assert "valid_to" in field_errors(backwards)
