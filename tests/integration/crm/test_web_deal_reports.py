"""The funnel and bottlenecks pages of the web workspace, through the Flask app (real PG and
Redis): the handlers' figures for seeded deals, their charts, CSV and the reader's scope."""

from __future__ import annotations

import pytest

from tests.integration.crm.analytics.test_funnel import backdate_stage
from tests.integration.crm.support import created
from tests.integration.crm.test_web_deals import shop as shop  # the fixture
from tests.integration.crm.test_web_workspace import Browser


@pytest.fixture()
def sold(shop, sessions):
    """Alice's Pumps stands in Qualification for 3 days (its standard: 2); Valves went on to
    Proposal."""
    api, kind = shop["alice_api"], shop["kind"]
    valves = created(
        api, "/api/deals", name="Valves", kind_id=kind["id"], customer_id=shop["customer"]
    )
    assert api.post(f"/api/deals/{valves['id']}/move", json={"to": "proposal"}).status_code == 200
    backdate_stage(sessions, shop["deal"]["id"], 3)
    return shop


def test_the_funnel_page_shows_the_stages_the_chart_and_a_csv(sold):
    alice, kind_id = sold["alice"], sold["kind"]["id"]
    page = alice.get(f"/analytics?report=funnel&kind_id={kind_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'aria-current="page">Sales funnel' in html
    assert "<svg" in html and "2 deals, going on: 50%" in html  # the API's chart, inline
    assert "<td>Qualification</td><td>2</td>" in html and "<td>Proposal</td><td>1</td>" in html
    assert "<dt>Opened</dt><dd>2</dd>" in html
    csv = alice.get(f"/analytics?report=funnel&kind_id={kind_id}&format=csv")
    assert csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].startswith("kind_id,stage_id,code,name,position,reached")
    assert any(",qualification,Qualification,0,2,2,0,0.5," in line for line in lines)
    wrong = alice.get("/analytics?report=funnel&kind_id=x")
    assert wrong.status_code == 422 and 'id="kind_id-error"' in wrong.get_data(as_text=True)


def test_the_bottlenecks_page_links_the_deals_stalled_now_to_their_cards(sold):
    alice, deal_id = sold["alice"], sold["deal"]["id"]
    page = alice.get("/analytics?report=bottlenecks").get_data(as_text=True)
    assert "Time in stage, days" in page and "Stalled now: 1" in page
    stalled = page[page.index('id="stalled"') :]
    assert f'<a href="/deals/{deal_id}">Pumps</a></td><td>Qualification</td>' in stalled
    per_manager = alice.get("/analytics?report=bottlenecks&by=manager").get_data(as_text=True)
    assert '<th scope="col">Manager</th>' in per_manager
    csv = alice.get("/analytics?report=bottlenecks&format=csv").get_data(as_text=True)
    assert csv.startswith("kind_id,stage_id,code,name,manager_id,manager,stays")

    _, email, password, _ = sold["carol"]  # another department's manager sees none of it
    carol = Browser(sold["app"])
    carol.sign_in(email, password)
    theirs = carol.get("/analytics?report=bottlenecks").get_data(as_text=True)
    assert "Stalled now: 0" in theirs and "Pumps" not in theirs
