"""The web workspace's sign-in, sessions and forms, through the Flask app (real PG and Redis)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from services.crm.adapters.orm import Employee, Lead
from services.crm.handlers import calls
from services.crm.handlers.accounts import actor_of, invite
from services.crm.handlers.task_commands import create_from_command
from shared import config
from shared.db import transaction, utcnow
from shared.messages import CallPlanned, CreateTask
from tests import factories

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A Flask test client that keeps cookies and sends the page's CSRF token with each form."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = ""

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        found = TOKEN.search(response.get_data(as_text=True))
        self.token = found.group(1) if found else self.token
        return response

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kwargs):
        form = {**(data or {}), **({"csrf_token": self.token} if csrf else {})}
        return self.client.post(path, data=form, **kwargs)

    def sign_in(self, email: str, password: str):
        self.get("/login")
        return self.post("/login", {"email": email, "password": password})


@pytest.fixture()
def browser(app, clean_db):
    app.config["SESSION_COOKIE_SECURE"] = True
    return lambda: Browser(app)


@pytest.fixture()
def manager(sessions, clean_db):
    return factories.web_user(sessions, "manager", department="Sales")


def test_signing_in_sets_a_secure_http_only_session_cookie_and_opens_my_day(browser, manager):
    _, email, password, _ = manager
    response = browser().sign_in(email, password)
    assert response.status_code == 302 and response.headers["Location"] == "/my-day"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_pages_need_a_session_and_a_bearer_token_opens_none(browser, manager):
    _, _, _, token = manager
    page = browser().get("/my-day", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_the_api_keeps_taking_bearer_tokens_and_ignores_the_session_cookie(app, browser, manager):
    _, email, password, token = manager
    signed_in = browser()
    signed_in.sign_in(email, password)
    assert signed_in.client.get("/api/employees/me").status_code == 401
    api = app.test_client().get("/api/employees/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and api.json["email"] == email


def test_a_form_without_its_csrf_token_is_refused(browser, manager):
    _, email, password, _ = manager
    visitor = browser()
    visitor.get("/login")
    response = visitor.post("/login", {"email": email, "password": password}, csrf=False)
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)


def test_failed_sign_ins_are_limited_per_email(app, browser, manager):
    _, email, password, _ = manager
    app.extensions["web.login_limiter"].succeeded(email)
    visitor = browser()
    codes = [visitor.sign_in(email, "wrong password!").status_code for _ in range(5)]
    assert codes == [401] * 5
    blocked = visitor.sign_in(email, password)  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.get_data(as_text=True)
    app.extensions["web.login_limiter"].succeeded(email)


def test_signing_out_everywhere_ends_every_session_of_the_employee(browser, manager):
    _, email, password, _ = manager
    laptop, phone = browser(), browser()
    laptop.sign_in(email, password)
    phone.sign_in(email, password)
    assert phone.get("/my-day").status_code == 200
    laptop.get("/profile")
    assert laptop.post("/logout-everywhere").status_code == 302
    assert phone.get("/my-day").status_code == 302


def test_an_invitation_link_sets_the_password_once(app, browser, sessions, clean_db):
    admin_id, _ = factories.employee(sessions, "admin")
    new_id, _ = factories.employee(sessions, "manager")
    with transaction(sessions) as session:
        admin = session.get(Employee, admin_id)
        token = invite(session, actor_of(admin), new_id, 72)
        email = session.get(Employee, new_id).email
    visitor = browser()
    assert visitor.get(f"/invitation/{token}").status_code == 200
    short = visitor.post(f"/invitation/{token}", {"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    differ = visitor.post(f"/invitation/{token}", {"password": "a" * 12, "confirm": "b" * 12})
    assert differ.status_code == 422 and "passwords differ" in differ.get_data(as_text=True)
    good = {"password": "a long enough secret", "confirm": "a long enough secret"}
    assert visitor.post(f"/invitation/{token}", good).status_code == 302
    assert browser().sign_in(email, "a long enough secret").status_code == 302
    again = browser().get(f"/invitation/{token}")
    assert again.status_code == 404 and "has been used already" in again.get_data(as_text=True)


def test_pages_and_task_titles_are_in_the_employees_language(browser, sessions, clean_db):
    employee_id, email, password, _ = factories.web_user(sessions, "manager", locale="ru")
    call_task(sessions, employee_id, "Глобекс")
    visitor = browser()
    visitor.sign_in(email, password)
    page = visitor.get("/my-day").get_data(as_text=True)
    assert "Мой день" in page and "Позвонить: Глобекс" in page
    inbox = visitor.get("/inbox").get_data(as_text=True)
    assert "Новая задача: Позвонить: Глобекс" in inbox


def call_task(sessions, employee_id: int, customer: str):
    """A lead of the employee's and a due call task for it, as the notifier's command makes."""
    with transaction(sessions) as session:
        lead = Lead(name=customer, responsible_id=employee_id)
        session.add(lead)
        session.flush()
        return create_from_command(
            session,
            CreateTask(
                key=f"call:{lead.id}",
                kind="call",
                assignee_id=employee_id,
                subject_kind="lead",
                subject_id=lead.id,
                due_at=utcnow(),
            ),
            config.load(),
        )


def test_a_refusal_without_its_reason_shows_the_fields_error(browser, sessions, clean_db):
    employee_id, email, password, _ = factories.web_user(sessions, "manager")
    task = call_task(sessions, employee_id, "Umbrella")
    visitor = browser()
    visitor.sign_in(email, password)
    visitor.get(f"/tasks/{task.id}")
    response = visitor.post(f"/tasks/{task.id}/complete", {"outcome": "refusal", "result": "no"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="refusal_reason_id-error"' in page and "required for outcome refusal" in page


def test_an_outcome_recorded_on_my_day_says_when_the_call_is_re_planned(
    browser, sessions, clean_db
):
    employee_id, email, password, _ = factories.web_user(sessions, "manager")
    task = call_task(sessions, employee_id, "Initech")
    visitor = browser()
    visitor.sign_in(email, password)
    visitor.get("/my-day")
    response = visitor.post(
        f"/tasks/{task.id}/complete",
        {"outcome": "no_answer", "result": "nobody picked up"},
        headers={"HX-Request": "true"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Recorded: No answer." in page and "The call is re-planned for " in page


def test_assigning_a_status_on_the_card_shows_the_call_being_planned(browser, sessions, clean_db):
    employee_id, email, password, _ = factories.web_user(sessions, "manager")
    task = call_task(sessions, employee_id, "Hooli")
    visitor = browser()
    visitor.sign_in(email, password)
    card = f"/customers/lead/{task.subject_id}"
    visitor.get(card)
    assigned = visitor.post(f"{card}/status", {"status_id": "1", "reason": "asked for prices"})
    assert assigned.status_code == 302
    shown = visitor.get(card).get_data(as_text=True)
    assert "Hot" in shown and "asked for prices" in shown
    polled = visitor.get(f"{card}/next-call")
    assert polled.status_code == 200
    assert "The next call is being planned" in polled.get_data(as_text=True)


def test_the_calls_page_filters_as_the_api_does_and_refuses_a_reversed_period(
    browser, sessions, clean_db
):
    employee_id, email, password, _ = factories.web_user(sessions, "manager")
    now = utcnow()
    with transaction(sessions) as session:
        acme, globex = (Lead(name=n, responsible_id=employee_id) for n in ("Acme", "Globex"))
        session.add_all([acme, globex])
        session.flush()
        for plan_id, lead, at, state in (
            (1, acme, now - timedelta(days=2), "due"),
            (2, globex, now + timedelta(days=3), "planned"),
        ):
            calls.apply_call_planned(
                session,
                CallPlanned(
                    plan_id=plan_id,
                    subject_kind="lead",
                    subject_id=lead.id,
                    responsible_id=employee_id,
                    status_id=1,
                    next_call_at=at,
                    state=state,
                    revision=1,
                ),
            )
    visitor = browser()
    visitor.sign_in(email, password)

    def listed(query: str) -> list[str]:
        response = visitor.get(f"/calls?{query}")
        assert response.status_code == 200, query
        page = response.get_data(as_text=True)
        return [name for name in ("Acme", "Globex") if f">{name}</a>" in page]

    assert listed("") == ["Acme", "Globex"]
    assert listed("state=overdue") == ["Acme"]
    assert listed("state=planned") == ["Globex"]
    assert listed(f"date_from={(now + timedelta(days=1)).date()}") == ["Globex"]
    assert listed(f"subject_kind=lead&subject_id={globex.id}") == ["Globex"]
    card = visitor.get(f"/customers/lead/{globex.id}").get_data(as_text=True)
    assert f"subject_id={globex.id}" in card and "Planned calls with this customer" in card
    reversed_period = visitor.get("/calls?date_from=2026-02-01&date_to=2026-01-01")
    assert reversed_period.status_code == 422
    assert 'id="date_to-error"' in reversed_period.get_data(as_text=True)


def test_admins_set_the_working_week_and_holidays_on_their_page(app, browser, sessions, clean_db):
    _, email, password, token = factories.web_user(sessions, "admin")
    visitor = browser()
    visitor.sign_in(email, password)
    assert "Working calendar" in visitor.get("/admin/working-calendar").get_data(as_text=True)
    week = {"workdays": ["mon", "tue", "wed", "thu"], "work_start": "10:00"}
    backwards = visitor.post("/admin/working-calendar", {**week, "work_end": "08:00"})
    assert backwards.status_code == 422
    assert 'id="work_end-error"' in backwards.get_data(as_text=True)
    saved = visitor.post("/admin/working-calendar", {**week, "work_end": "17:00"})
    assert saved.status_code == 302
    visitor.get("/admin/working-calendar")
    holiday = {"day": "2026-12-25", "name": "Christmas"}
    assert visitor.post("/admin/working-calendar/holidays", holiday).status_code == 302
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    shown = api.get("/api/working-calendar", headers=auth).json
    assert (shown["workdays"], shown["work_start"], shown["work_end"]) == (
        ["mon", "tue", "wed", "thu"],
        "10:00",
        "17:00",
    )
    [listed] = api.get("/api/holidays", headers=auth).json
    assert (listed["day"], listed["name"]) == ("2026-12-25", "Christmas")
    page = visitor.get("/admin/working-calendar").get_data(as_text=True)
    assert "Christmas" in page
    removed = visitor.post(f"/admin/working-calendar/holidays/{listed['id']}/delete")
    assert removed.status_code == 302
    assert api.get("/api/holidays", headers=auth).json == []


def test_a_refused_filter_is_explained_in_the_readers_language(browser, sessions, clean_db):
    _, email, password, _ = factories.web_user(sessions, "manager", locale="uk")
    visitor = browser()
    visitor.sign_in(email, password)
    page = visitor.get("/calls?date_from=2026-02-01&date_to=2026-01-01")
    assert page.status_code == 422
    assert "не може бути раніше за date_from" in page.get_data(as_text=True)


def test_a_colleagues_customer_is_shown_but_its_status_not_changed_on_the_card(
    browser, sessions, clean_db
):
    # The workspace calls the same use cases as the API: the ownership rule holds here too.
    owner_id, *_ = factories.web_user(sessions, "manager", department="Sales")
    _, email, password, _ = factories.web_user(sessions, "manager", department="Sales")
    task = call_task(sessions, owner_id, "Soylent")
    visitor = browser()
    visitor.sign_in(email, password)
    card = f"/customers/lead/{task.subject_id}"
    assert visitor.get(card).status_code == 200
    refused = visitor.post(f"{card}/status", {"status_id": "1", "reason": "mine now"})
    assert refused.status_code == 403
    with sessions() as session:
        assert session.get(Lead, task.subject_id).status_id is None
