"""The admins' page of deal kinds, through the Flask app (real PG and Redis): a kind made with
its ordered stages, its errors beside each field, instructions uploaded, downloaded and removed,
and no one else let in."""

from __future__ import annotations

import io

import pytest

from tests import factories
from tests.integration.crm.test_web_workspace import Browser


@pytest.fixture()
def admin_page(app, sessions, clean_db):
    app.config["SESSION_COOKIE_SECURE"] = True
    _, email, password, _ = factories.web_user(sessions, "admin")
    page = Browser(app)
    page.sign_in(email, password)
    page.get("/admin/deal-kinds")  # the form's CSRF token
    return page


SALE = {
    "name": "Equipment sale",
    "mode": "manual",
    "active": "on",
    "stages-0-code": "qualification",
    "stages-0-name": "Qualification",
    "stages-0-duration_days": "2",
    "stages-0-probability": "10",
    "stages-1-code": "proposal",
    "stages-1-name": "Proposal",
    "stages-1-performer": "head",
    "stages-1-duration_days": "5",
    "stages-1-probability": "40",
    "stages-1-required": ["amount", "expected_close_date"],
}


def test_a_kind_is_made_with_its_stages_in_order_and_errors_show_beside_each_field(admin_page):
    bad = {
        **SALE,
        "name": "",
        "mode": "sideways",
        "stages-0-probability": "150",
        "stages-1-code": "",
        "stages-1-required": ["colour"],
    }
    refused = admin_page.post("/admin/deal-kinds", bad)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    for field in ("name", "mode", "stages-0-probability", "stages-1-code", "stages-1-required"):
        assert f'id="{field}-error"' in page, field
    assert 'value="Qualification"' in page  # what was typed stays

    made = admin_page.post("/admin/deal-kinds", SALE)
    assert made.status_code == 302
    kind = admin_page.get(made.headers["Location"]).get_data(as_text=True)
    assert kind.index("1. Qualification") < kind.index("2. Proposal")
    assert "The head of their department" in kind and "Amount, Expected close" in kind
    assert "<svg" in kind  # the kind's flowchart
    taken = admin_page.post("/admin/deal-kinds", SALE)
    assert taken.status_code == 422 and "this name is already taken" in taken.get_data(as_text=True)
    listed = admin_page.get("/admin/deal-kinds").get_data(as_text=True)
    assert "Qualification → Proposal" in listed and 'aria-current="page">Deal kinds' in listed


def test_instructions_are_uploaded_downloaded_and_removed(admin_page):
    path = admin_page.post("/admin/deal-kinds", SALE).headers["Location"]
    assert admin_page.post(path, {"name": "Plant sale"}).status_code == 302  # active unticked
    listed = admin_page.get("/admin/deal-kinds").get_data(as_text=True)
    assert "Plant sale</a></td><td>Manual moves</td>" in listed and "<td>no</td>" in listed
    admin_page.get(path)
    no_file = admin_page.post(f"{path}/files", {"title": "Template"})
    assert no_file.status_code == 422 and 'id="file-error"' in no_file.get_data(as_text=True)
    upload = {"title": "Template", "file": (io.BytesIO(b"proposal template"), "template.docx")}
    assert admin_page.post(f"{path}/files", upload).status_code == 302
    no_url = admin_page.post(f"{path}/links", {"title": "Pricing", "url": "ftp://x"})
    assert no_url.status_code == 422 and 'id="url-error"' in no_url.get_data(as_text=True)
    assert admin_page.post(f"{path}/links", {"url": "https://x.test"}).status_code == 422
    link = {"title": "Pricing", "url": "https://intranet.example.com/pricing"}
    assert admin_page.post(f"{path}/links", link).status_code == 302

    page = admin_page.get(path).get_data(as_text=True)
    assert 'href="https://intranet.example.com/pricing"' in page
    file_link = page[page.index('href="/files/') + 6 : page.index('">Template')]
    assert admin_page.get(file_link).data == b"proposal template"
    remove = page[: page.index("Remove Template")].rsplit('action="', 1)[1].split('"')[0]
    assert admin_page.post(remove).status_code == 302
    page = admin_page.get(path).get_data(as_text=True)
    assert "Template" not in page and "Pricing" in page
    assert admin_page.get(file_link).status_code == 404


def test_only_admins_open_or_change_deal_kinds(admin_page, app, sessions):
    made = admin_page.post("/admin/deal-kinds", SALE).headers["Location"]
    _, email, password, _ = factories.web_user(sessions, "head_of_sales", department="Sales")
    head = Browser(app)
    head.sign_in(email, password)
    assert head.get("/admin/deal-kinds").status_code == 403
    assert head.get(made).status_code == 403
    assert head.post("/admin/deal-kinds", {**SALE, "name": "Mine"}).status_code == 403
    assert head.post(f"{made}/links", {"title": "T", "url": "https://x.test"}).status_code == 403
    assert admin_page.post(made, {"name": "Renamed"}, csrf=False).status_code == 400
