"""Recorded webhook payloads, and signing them as their exchange would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.crm.adapters.exchanges import (
    ZADARMA,
    generic_signature,
    twilio_signature,
    zadarma_signature,
)

TELEPHONY = Path(__file__).resolve().parent / "telephony"
BASE_URL = "http://localhost"


def recorded(name: str) -> dict[str, Any]:
    """One recorded call: ``exchange`` and its ``requests`` in the order they were sent."""
    return json.loads((TELEPHONY / name).read_text())


def signed(exchange: str, request: dict[str, Any], secret: str) -> dict[str, Any]:
    """Keyword arguments of a test client's POST to the exchange's webhook, signed."""
    url = f"/api/telephony/{exchange}/events"
    if "json" in request:
        body = json.dumps(request["json"]).encode()
        headers = {"X-Signature": generic_signature(secret, body)}
        return {"data": body, "headers": headers, "content_type": "application/json"}
    form = request["form"]
    if exchange == "zadarma":
        fields = ZADARMA.get(form["event"], (None, None, ()))[2]
        signature = zadarma_signature(secret, "".join(form.get(f, "") for f in fields))
        headers = {"Signature": signature}
    else:
        headers = {"X-Twilio-Signature": twilio_signature(secret, BASE_URL + url, form)}
    return {"data": form, "headers": headers}
