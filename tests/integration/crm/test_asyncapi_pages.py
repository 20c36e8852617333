"""The messages' documentation served by the CRM API: /asyncapi.json and the /asyncapi page."""

from __future__ import annotations

import re

from shared.contracts import CONTRACTS
from tests.asyncapi_check import spec_errors


def test_the_asyncapi_document_is_served_without_a_token_and_is_valid(app):
    response = app.test_client().get("/asyncapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert spec_errors(doc) == []
    assert len(doc["components"]["messages"]) == len(CONTRACTS)


def test_the_page_lists_channels_messages_and_fields_in_the_readers_language(app):
    page = app.test_client().get("/asyncapi", headers={"Accept-Language": "uk"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Канали" in html and "Ключ маршрутизації" in html
    assert "<code>crm.events</code>" in html and "<code>scheduler</code>" in html
    scheduler = html.split('id="channel-scheduler"')[1].split("</section>")[0]
    assert "<dt>Отримує</dt><dd>scheduler</dd>" in scheduler
    assert '<a href="#message-RescheduleCallV1">' in scheduler
    status_assigned = html.split('id="message-StatusAssignedV1"')[1].split("</section>")[0]
    assert "StatusAssigned v1" in status_assigned
    assert "<code>*.status_assigned</code>" in status_assigned
    assert "<code>responsible_department</code>" in status_assigned
    # Nothing is loaded from another host: the page works offline.
    assert not re.search(r'(src|href)="(https?:)?//', html)
