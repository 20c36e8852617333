"""The web workspace in a real browser (Chromium driven by Playwright) over the real processes."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import requests

from services.crm.entrypoints.web.assets import AXE
from shared.db import utcnow
from tests import factories
from tests.e2e.conftest import ALL, Service, free_port
from tests.e2e.test_calling_loop import Api
from tests.helpers import eventually

SERIOUS = ("serious", "critical")


def sign_in(page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda u: "/login" not in u)


def serious_violations(page) -> list[str]:
    """axe-core (from npm) run on the page as it is: violations of impact serious or critical."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.fixture()
def workspace(system, sessions):
    # Secure cookies stay on: Chromium takes them from http://127.0.0.1 as from HTTPS.
    system.env.update(REMINDER_DELAY_SECONDS="1")
    system.start(*ALL)
    admin = Api(system.url, factories.employee(sessions, "admin")[1])
    manager = factories.web_user(sessions, "manager", department="Sales", timezone="Europe/Kyiv")
    secretary = factories.web_user(sessions, "secretary", department="Front desk")
    return system, admin, manager, secretary


def test_manager_records_a_refusal_on_my_day_and_sees_the_customer_turn_cold(
    workspace, browser_pages
):
    system, admin, (manager_id, email, password, token), _ = workspace
    call_now = admin(
        "POST", "/api/interaction-statuses", 201, json={"name": "Call now", "call_interval_days": 0}
    )
    admin("POST", "/api/refusal-reasons", 201, json={"name": "Too expensive"})
    manager = Api(system.url, token)
    lead = manager(
        "POST",
        "/api/leads",
        201,
        json={"name": "Globex", "responsible_id": manager_id, "phones": ["+380 44 555 0199"]},
    )
    manager("POST", f"/api/leads/{lead['id']}/status", json={"status_id": call_now["id"]})

    page = browser_pages()
    sign_in(page, system.url, email, password)
    call = page.locator("article.task", has_text="Call Globex")

    def due_call_shown():
        page.goto(f"{system.url}/my-day")
        return call.count() == 1

    eventually(due_call_shown, timeout=60, interval=0.5)
    assert call.get_by_text("+380 44 555 0199").is_visible()
    assert serious_violations(page) == []

    call.get_by_label("Outcome").select_option(label="Refusal")
    call.get_by_label("Refusal reason").select_option(label="Too expensive")
    call.get_by_label("Result").fill("Went with a competitor")
    call.get_by_role("button", name="Record the outcome").click()
    call.get_by_text("Recorded: Refusal.").wait_for()

    call.get_by_role("link", name="Open the customer card").click()
    page.wait_for_url(f"**/customers/lead/{lead['id']}")
    assert page.locator("#status").inner_text() == "Cold"
    page.locator("#next-call", has_text="Next call planned for").wait_for(timeout=60_000)
    assert "Too expensive" in page.locator(".timeline").inner_text()
    assert serious_violations(page) == []


def test_reminders_reach_an_open_page_without_reload(workspace, browser_pages):
    system, _, (manager_id, m_email, m_password, token), secretary = workspace
    _, s_email, s_password, _ = secretary
    manager_page = browser_pages()
    sign_in(manager_page, system.url, m_email, m_password)
    manager_page.goto(f"{system.url}/inbox")
    manager_page.evaluate("window.notLoadedAgain = true")

    desk = browser_pages()
    sign_in(desk, system.url, s_email, s_password)
    desk.goto(f"{system.url}/processes/new")
    desk.get_by_label("Contact person").fill("Olena Petrenko")
    desk.get_by_label("Phone").fill("+380 67 123 4567")
    desk.get_by_role("button", name="Register and hand over").click()
    error = desk.locator("#transferred_to_id-error")
    error.wait_for()
    assert error.inner_text() == "required"
    assert desk.get_by_label("Transferred to").get_attribute("aria-invalid") == "true"
    assert serious_violations(desk) == []

    desk.get_by_label("Transferred to").select_option(value=str(manager_id))
    desk.get_by_role("button", name="Register and hand over").click()
    desk.wait_for_url("**/processes/*")

    # The first contact reaches the manager twice: as a task in "My tasks" and, a moment
    # later, as the reminder naming the client.
    task = manager_page.locator("#live .toast", has_text="New task: First contact with the client")
    reminder = manager_page.locator(
        "#live .toast", has_text="First contact with the client: Olena Petrenko"
    )
    reminder.wait_for(timeout=60_000)
    assert task.count() == 1

    Api(system.url, token)(
        "POST",
        "/api/reminders",
        201,
        json={
            "recipient_id": manager_id,
            "text": "Bring the signed contract",
            "remind_at": (utcnow() + timedelta(seconds=1)).isoformat(),
        },
    )
    manager_page.locator("#live .toast", has_text="Bring the signed contract").wait_for(
        timeout=30_000
    )
    assert manager_page.evaluate("window.notLoadedAgain") is True  # the page never reloaded


@pytest.fixture(scope="module")
def api_only(settings, tmp_path_factory):
    """The API process alone, shared by the tests that need no other process."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "BROKER_URL": settings.broker_url,
        "REDIS_URL": settings.redis_url,
    }
    port = free_port()
    api = Service("api", env, tmp_path_factory.mktemp("api-only"), port).start()
    url = f"http://127.0.0.1:{port}"
    eventually(lambda: _answers(url), timeout=30)
    yield url
    api.stop()


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_a_manager_cannot_open_another_departments_customer(api_only, sessions, browser_pages):
    url = api_only
    _, email, password, token = factories.web_user(sessions, "manager", department="Kyiv")
    other_id, _, _, other_token = factories.web_user(sessions, "manager", department="Lviv")
    theirs = Api(url, other_token)(
        "POST", "/api/leads", 201, json={"name": "Initech", "responsible_id": other_id}
    )
    mine = Api(url, token)("POST", "/api/leads", 201, json={"name": "Hooli"})

    page = browser_pages()
    page.goto(f"{url}/login")
    assert serious_violations(page) == []
    sign_in(page, url, email, password)
    response = page.goto(f"{url}/customers/lead/{theirs['id']}")
    assert response.status == 404
    assert "Initech" not in page.content()
    assert page.get_by_text("There is no such page, or it is not yours.").is_visible()
    page.goto(f"{url}/customers/lead/{mine['id']}")
    assert page.get_by_role("heading", name="Hooli").is_visible()


def test_api_docs_work_without_the_internet(api_only, browser_pages):
    url = api_only
    page = browser_pages()
    outside = []

    def only_this_machine(route):
        if route.request.url.startswith(url):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    page.route("**/*", only_this_machine)
    page.goto(f"{url}/docs")
    page.get_by_text("/api/employees").first.wait_for()
    # Swagger UI renders a spec this long as the reader scrolls to it, as a reader would.
    leads = page.get_by_text("/api/leads").first

    def scrolled_to_leads() -> bool:
        if leads.count() and leads.is_visible():
            return True
        page.mouse.wheel(0, 600)
        return False

    eventually(scrolled_to_leads, timeout=60, interval=0.2)
    assert outside == []
