"""Helpers the CRM API tests share: creating records through the API, reading the outbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.crm.adapters.orm import OutboxMessage


def created(client, url: str, **body: Any) -> dict[str, Any]:
    """POST ``body`` to ``url`` and return the created record, failing unless it is a 201."""
    r = client.post(url, json=body)
    assert r.status_code == 201, r.json
    return r.json


def field_errors(response) -> dict[str, Any]:
    """The field-level messages of a 422 answer to a JSON body."""
    assert response.status_code == 422, response.json
    return response.json["errors"]["json"]


def not_refused_by_name(client, method: str, url: str, cases) -> list[tuple]:
    """The (body, field) cases not answered with a 422 that names ``field``; [] when all are.

    One request per case against one set-up, so a table of bad inputs costs one test.
    """
    wrong = []
    for body, field in cases:
        r = getattr(client, method)(url, json=body)
        named = r.status_code == 422 and field in r.json["errors"].get("json", {})
        if not named:
            wrong.append((body, field, r.status_code, r.json))
    return wrong


def outbox_of(sessions, type_: str) -> list[OutboxMessage]:
    """The events of ``type_`` written to the outbox, oldest first."""
    with sessions() as s:
        stmt = select(OutboxMessage).where(OutboxMessage.type == type_).order_by(OutboxMessage.id)
        return list(s.scalars(stmt))


def assert_all_unauthorized(clients, *requests: tuple[str, str]) -> None:
    """Every client gets 401 (and a WWW-Authenticate challenge) for every (method, url)."""
    for client in clients:
        for method, url in requests:
            r = getattr(client, method)(url, **({} if method == "get" else {"json": {}}))
            assert r.status_code == 401, (method, url, r.status_code)
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
