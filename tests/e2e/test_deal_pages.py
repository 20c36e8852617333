"""The deal pages in a real browser (Chromium driven by Playwright) over the real API process."""

from __future__ import annotations

from uuid import uuid4

from tests import factories
from tests.e2e.test_calling_loop import Api
from tests.e2e.test_workspace import api_only, serious_violations, sign_in  # noqa: F401
from tests.integration.crm.test_deals import STAGES


def test_a_manager_moves_a_deal_on_the_board_and_sees_it_on_the_deal_card(
    api_only,  # noqa: F811
    sessions,
    browser_pages,
):
    url = api_only
    admin = Api(url, factories.employee(sessions, "admin")[1])
    kind = admin(
        "POST",
        "/api/deal-kinds",
        201,
        json={"name": f"Pump sale {uuid4().hex[:8]}", "mode": "manual", "stages": STAGES},
    )
    customer = admin("POST", "/api/partners", 201, json={"name": "Globex"})
    _, email, password, token = factories.web_user(sessions, "manager", department="Kyiv")
    _, other_email, other_password, _ = factories.web_user(sessions, "manager", department="Lviv")
    deal = Api(url, token)(
        "POST",
        "/api/deals",
        201,
        json={"name": "Pumps for Globex", "kind_id": kind["id"], "customer_id": customer["id"]},
    )

    page = browser_pages()
    sign_in(page, url, email, password)
    page.get_by_role("link", name="Deals").click()
    page.goto(f"{url}/deals?kind_id={kind['id']}")
    card = page.locator("#column-qualification article.deal", has_text="Pumps for Globex")
    assert card.get_by_text("Globex", exact=True).is_visible()
    assert serious_violations(page) == []

    card.get_by_role("button", name="Move to Proposal").click()
    moved = page.locator("#column-proposal article.deal", has_text="Pumps for Globex")
    moved.wait_for()
    assert page.locator("#column-qualification", has_text="Pumps for Globex").count() == 0

    moved.get_by_role("link", name="Pumps for Globex").click()
    page.wait_for_url(f"**/deals/{deal['id']}")
    assert page.locator("#deal-stage").inner_text().startswith("Proposal")
    assert "Stage change: Proposal" in page.locator("#timeline").inner_text()
    assert serious_violations(page) == []

    page.get_by_role("link", name="Analytics").click()
    page.get_by_role("heading", name="Managers' performance").wait_for()
    assert serious_violations(page) == []
    for report in ("Sales funnel", "Bottlenecks"):  # the deal reports with their charts
        page.get_by_role("link", name=report, exact=True).click()
        page.get_by_role("heading", name=report).wait_for()
        assert serious_violations(page) == []

    stranger = browser_pages()
    sign_in(stranger, url, other_email, other_password)
    response = stranger.goto(f"{url}/deals/{deal['id']}")
    assert response.status == 404
    assert "Pumps for Globex" not in stranger.content()
    assert stranger.get_by_text("There is no such page, or it is not yours.").is_visible()
