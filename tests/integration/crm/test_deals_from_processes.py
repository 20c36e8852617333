"""A deal opened from the inbound sales process: its documents link to the deal."""

from __future__ import annotations

from tests.integration.crm.sales_world import world_fixture  # noqa: F401
from tests.integration.crm.support import created
from tests.integration.crm.test_deals import STAGES


def test_a_deal_from_the_inbound_process_links_its_documents_and_shows_them(world):
    w = world
    pid = w.at_first_contact(completed=True)
    kind = created(w.admin, "/api/deal-kinds", name="Standard", mode="manual", stages=STAGES)["id"]
    deal = created(
        w.manager,
        "/api/deals",
        name="From the call",
        kind_id=kind,
        process_id=pid,
        counterparty_id=w.counterparty["id"],
    )
    assert (deal["source"], deal["process_id"]) == ("process", pid)
    entries = {e["entry"] for e in w.manager.get(f"/api/deals/{deal['id']}/timeline").json}
    assert {"registration", "first_contact", "stage_change"} <= entries
