"""The deal pages and the analytics pages of the web workspace, through the Flask app (real PG
and Redis): the board by stage, moving and closing by hand, the deal card, opening a deal."""

from __future__ import annotations

import io

import pytest

from tests import factories
from tests.integration.crm.conftest import Client
from tests.integration.crm.support import created
from tests.integration.crm.test_deals import STAGES
from tests.integration.crm.test_web_workspace import Browser


@pytest.fixture()
def shop(app, sessions, admin):
    """Alice (Sales) signs in to the pages; Carol sells in Export; a manual kind, a customer."""
    app.config["SESSION_COOKIE_SECURE"] = True
    alice_id, email, password, token = factories.web_user(sessions, "manager", department="Sales")
    carol = factories.web_user(sessions, "manager", department="Export")
    kind = created(admin, "/api/deal-kinds", name="Standard sale", mode="manual", stages=STAGES)
    customer = created(admin, "/api/partners", name="Globex")["id"]
    reason = created(admin, "/api/refusal-reasons", name="Too expensive")["id"]
    api = Client(app, alice_id, token)
    deal = created(api, "/api/deals", name="Pumps", kind_id=kind["id"], customer_id=customer)
    alice = Browser(app)
    alice.sign_in(email, password)
    return {
        "app": app,
        "alice": alice,
        "alice_api": api,
        "carol": carol,
        "kind": kind,
        "deal": deal,
        "customer": customer,
        "reason": reason,
    }


def column(page: str, code: str) -> str:
    """The HTML of one stage's column on the board."""
    start = page.index(f'id="column-{code}"')
    end = page.find('class="column"', start + 1)
    return page[start : end if end > 0 else None]


def test_the_board_shows_deals_by_stage_and_a_move_puts_the_deal_in_the_next_column(shop):
    alice, deal = shop["alice"], shop["deal"]
    board = alice.get(f"/deals?kind_id={shop['kind']['id']}")
    assert board.status_code == 200
    page = board.get_data(as_text=True)
    assert "Pumps" in column(page, "qualification") and "Globex" in page
    assert "Pumps" not in column(page, "proposal")
    assert "Move to Proposal" in page and "Move to Negotiation" not in page

    moved = alice.post(f"/deals/{deal['id']}/move", {"to": "proposal", "from": "board"})
    assert moved.status_code == 302
    page = alice.get(moved.headers["Location"]).get_data(as_text=True)
    assert "Pumps" in column(page, "proposal") and "Pumps" not in column(page, "qualification")


def test_a_refused_move_shows_the_allowed_moves_and_missing_fields_beside_the_deal(shop):
    alice, deal = shop["alice"], shop["deal"]
    alice.get("/deals")
    stale = alice.post(f"/deals/{deal['id']}/move", {"to": "negotiation", "from": "board"})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Moves allowed now: Proposal, Lost, Cancelled" in page

    alice.post(f"/deals/{deal['id']}/move", {"to": "proposal", "from": "board"})
    incomplete = alice.post(f"/deals/{deal['id']}/move", {"to": "negotiation", "from": "card"})
    assert incomplete.status_code == 422
    page = incomplete.get_data(as_text=True)
    assert "Amount: required to leave this stage" in page
    assert "Expected close: required to leave this stage" in page

    filled = {"amount": "1200", "expected_close_date": "2027-03-01"}
    assert alice.post(f"/deals/{deal['id']}/details", filled).status_code == 302
    done = alice.post(f"/deals/{deal['id']}/move", {"to": "negotiation", "from": "card"})
    assert done.status_code == 302 and done.headers["Location"] == f"/deals/{deal['id']}"


def test_closing_as_lost_needs_a_reason_and_keeps_it(shop):
    alice, deal = shop["alice"], shop["deal"]
    alice.get(f"/deals/{deal['id']}")
    no_reason = alice.post(f"/deals/{deal['id']}/move", {"to": "lost", "from": "card"})
    assert no_reason.status_code == 422
    assert 'id="lost-reason-' in no_reason.get_data(as_text=True)
    assert "a lost deal names its reason" in no_reason.get_data(as_text=True)
    lost = {"to": "lost", "from": "card", "lost_reason_id": str(shop["reason"])}
    assert alice.post(f"/deals/{deal['id']}/move", lost).status_code == 302
    card = alice.get(f"/deals/{deal['id']}").get_data(as_text=True)
    assert "Lost (Too expensive)" in card and "Move to Proposal" not in card


def test_the_deal_card_shows_the_move_on_its_timeline_and_keeps_demand_and_environment(shop):
    alice, deal = shop["alice"], shop["deal"]
    path = f"/deals/{deal['id']}"
    alice.get(path)
    alice.post(f"{path}/move", {"to": "proposal", "from": "card"})
    line = {"description": "Pump P-40", "quantity": "2", "price": "150"}
    assert alice.post(f"{path}/demand", line).status_code == 302
    edited = {"position": "0", "description": "Pump P-40", "quantity": "3", "price": "150"}
    assert alice.post(f"{path}/demand", edited).status_code == 302
    bad = alice.post(f"{path}/demand", {"quantity": "-1"})
    assert bad.status_code == 422 and 'id="quantity-error"' in bad.get_data(as_text=True)
    member = {"role": "competitor", "name": "Initech", "attitude": "opponent"}
    assert alice.post(f"{path}/environment", member).status_code == 302

    card = alice.get(path).get_data(as_text=True)
    timeline = card[card.index('id="timeline"') :]
    assert "Stage change" in timeline and "Proposal" in timeline
    assert "450.00 UAH" in card  # the amount follows the edited line: 3 times 150
    assert "Initech" in card and f"/deals/{deal['id']}/environment.svg" in card
    assert "<svg" in card  # the kind's flowchart with the deal's place on it
    graph = alice.get(f"{path}/environment.svg")
    assert graph.mimetype == "image/svg+xml" and "Initech" in graph.get_data(as_text=True)

    remove = card[: card.index('aria-label="Remove Initech"')].rsplit('action="', 1)[1]
    assert alice.post(remove.split('"')[0]).status_code == 302
    card = alice.get(path).get_data(as_text=True)
    assert "Initech" not in card and "Nobody is known around the deal yet." in card


def test_a_manager_of_another_department_gets_the_not_found_page(shop):
    _, email, password, _ = shop["carol"]
    carol = Browser(shop["app"])
    carol.sign_in(email, password)
    page = carol.get(f"/deals/{shop['deal']['id']}")
    assert page.status_code == 404 and "Pumps" not in page.get_data(as_text=True)
    board = carol.get("/deals").get_data(as_text=True)
    assert "Pumps" not in board


def test_a_deal_is_opened_from_a_customers_card(shop):
    alice, api = shop["alice"], shop["alice_api"]
    counterparty = created(
        api,
        "/api/counterparties",
        name="Globex LLC",
        kind="individual",
        partner_id=shop["customer"],
    )
    card = alice.get(f"/customers/counterparty/{counterparty['id']}").get_data(as_text=True)
    assert f"/deals/new?counterparty_id={counterparty['id']}" in card
    form = alice.get(f"/deals/new?counterparty_id={counterparty['id']}")
    assert form.status_code == 200
    missing = alice.post("/deals/new", {"counterparty_id": str(counterparty["id"])})
    assert missing.status_code == 422 and 'id="name-error"' in missing.get_data(as_text=True)
    body = {
        "counterparty_id": str(counterparty["id"]),
        "name": "Valves",
        "kind_id": str(shop["kind"]["id"]),
    }
    opened = alice.post("/deals/new", body)
    assert opened.status_code == 302
    page = alice.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Valves" in page and "Globex LLC" in page and "Qualification" in page

    parties = opened.headers["Location"] + "/parties"
    unknown = alice.post(parties, {"party_kind": "counterparty", "party_id": "999999"})
    assert unknown.status_code == 422 and 'id="party_id-error"' in unknown.get_data(as_text=True)
    party = {"party_kind": "counterparty", "party_id": str(counterparty["id"]), "role": "payer"}
    assert alice.post(parties, party).status_code == 302
    page = alice.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Globex LLC</a> · payer" in page


def test_analytics_pages_show_managers_and_lost_reasons_with_a_csv(shop):
    alice, deal = shop["alice"], shop["deal"]
    alice.get("/deals")
    lost = {"to": "lost", "from": "card", "lost_reason_id": str(shop["reason"])}
    alice.post(f"/deals/{deal['id']}/move", lost)
    managers = alice.get("/analytics")
    assert managers.status_code == 200 and "Calls planned" in managers.get_data(as_text=True)
    page = alice.get("/analytics?report=lost&by=reason").get_data(as_text=True)
    assert "Too expensive" in page and "format=csv" in page
    assert 'aria-current="page">Analytics' in page
    csv = alice.get("/analytics?report=lost&by=reason&format=csv")
    assert csv.mimetype == "text/csv" and "Too expensive" in csv.get_data(as_text=True)
    wrong = alice.get("/analytics?report=lost&from=2026-05-01&to=2026-01-01")
    assert wrong.status_code == 422 and 'id="from-error"' in wrong.get_data(as_text=True)


def test_a_deal_is_opened_from_an_interaction_on_the_leads_card_and_both_keep_the_link(shop):
    alice, api = shop["alice"], shop["alice_api"]
    lead = created(api, "/api/leads", name="Hooli")
    meeting = created(
        api,
        "/api/interactions",
        kind="meeting",
        subject="Pumps for the new plant",
        participants=[{"kind": "lead", "id": lead["id"]}],
    )
    card = alice.get(f"/customers/lead/{lead['id']}").get_data(as_text=True)
    assert f"/deals/new?interaction_id={meeting['id']}" in card
    body = {
        "interaction_id": str(meeting["id"]),
        "name": "Plant pumps",
        "kind_id": str(shop["kind"]["id"]),
    }
    opened = alice.post("/deals/new", body)
    assert opened.status_code == 302
    deal_path = opened.headers["Location"]
    card = alice.get(f"/customers/lead/{lead['id']}").get_data(as_text=True)
    assert f'href="{deal_path}"' in card and "interaction_id=" not in card
    assert "Pumps for the new plant" in alice.get(deal_path).get_data(as_text=True)


def test_the_board_and_the_card_speak_the_managers_language(shop, sessions):
    _, email, password, _ = factories.web_user(sessions, "manager", department="Sales", locale="uk")
    reader = Browser(shop["app"])
    reader.sign_in(email, password)
    board = reader.get("/deals").get_data(as_text=True)
    assert "Угоди" in board and "Днів на етапі" in board and "Pumps" in board
    assert "Перевести:" not in board  # a colleague reads the deal; its manager moves it
    card = reader.get(f"/deals/{shop['deal']['id']}").get_data(as_text=True)
    assert "Первинна потреба" in card and "Оточення" in card


def test_the_timeline_is_paged_and_files_download_only_for_the_deals_readers(shop):
    alice, api, deal = shop["alice"], shop["alice_api"], shop["deal"]
    for n in range(21):
        created(api, "/api/interactions", kind="call", subject=f"Call {n:02d}", deal_id=deal["id"])
    upload = api.post(
        f"/api/deals/{deal['id']}/files",
        data={"file": (io.BytesIO(b"quote"), "quote.txt", "text/plain")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201
    first = alice.get(f"/deals/{deal['id']}").get_data(as_text=True)
    assert "Call 00" in first and "quote.txt" not in first[first.index('id="timeline"') :]
    assert "Page 1 of 2" in first
    second = alice.get(f"/deals/{deal['id']}?page=2").get_data(as_text=True)
    assert "Call 00" not in second and "quote.txt" in second[second.index('id="timeline"') :]

    link = f"/files/{upload.json['file_id']}"
    assert link in first
    download = alice.get(link)
    assert download.status_code == 200 and download.data == b"quote"
    _, email, password, _ = shop["carol"]
    carol = Browser(shop["app"])
    carol.sign_in(email, password)
    assert carol.get(link).status_code == 404


def test_a_head_filters_the_board_by_manager_and_sees_closed_deals_by_state(shop, sessions):
    alice, deal = shop["alice"], shop["deal"]
    _, email, password, _ = factories.web_user(sessions, "head_of_sales", department="Sales")
    head = Browser(shop["app"])
    head.sign_in(email, password)
    alice.get("/deals")
    for to in ("proposal",):
        alice.post(f"/deals/{deal['id']}/move", {"to": to})
    alice.post(
        f"/deals/{deal['id']}/details", {"amount": "10", "expected_close_date": "2027-01-01"}
    )
    for to in ("negotiation", "won"):
        assert alice.post(f"/deals/{deal['id']}/move", {"to": to}).status_code == 302
    in_progress = head.get("/deals").get_data(as_text=True)
    assert "Pumps" not in in_progress
    won = head.get(f"/deals?state=won&responsible_id={shop['alice_api'].id}").get_data(as_text=True)
    assert "Pumps" in won and "Won" in won
    nobody = head.get(f"/deals?state=won&responsible_id={shop['carol'][0]}").get_data(as_text=True)
    assert "Pumps" not in nobody
