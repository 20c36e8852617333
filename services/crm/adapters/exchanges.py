"""Webhook formats of cloud telephone exchanges, read into :class:`CallEvent`.

Each format checks its exchange's signature and maps its fields:

- ``generic``: this CRM's documented JSON (README, "Virtual telephone exchange"), signed
  like the CRM's own webhooks: ``X-Signature: sha256=<hex HMAC-SHA256 of the body>``.
- ``zadarma``: Zadarma's PBX notifications (form fields, ``event=NOTIFY_START`` ...), signed
  in the ``Signature`` header: base64 of the hex HMAC-SHA1 of the event's fields, keyed
  with the API secret, as Zadarma's own examples compute it.
- ``twilio``: Twilio's call status callbacks (``CallSid``, ``CallStatus`` ...), signed in
  ``X-Twilio-Signature``: base64 HMAC-SHA1 of the full URL followed by the sorted
  parameters, keyed with the auth token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from marshmallow import ValidationError

from services.crm.domain.telephony import (
    ANSWERED,
    ENDED,
    INCOMING,
    OUTGOING,
    STARTED,
    BadPayload,
    CallEvent,
)
from shared.contracts import OUT_OF_WINDOW, within_window


@dataclass(frozen=True)
class Webhook:
    """One received request, as much of it as any format needs."""

    body: bytes
    headers: Mapping[str, str]
    form: Mapping[str, str]
    url: str  # the full URL the exchange called, as it signed it


class Unsigned(Exception):
    """The signature is missing or wrong: the request is not from the exchange (401)."""


def _same(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.strip().encode())


def _int(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadPayload(field, "must be a whole number of seconds") from None


# ---- generic -------------------------------------------------------------------------


def generic_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def generic(hook: Webhook, secret: str) -> CallEvent | None:
    if not _same(generic_signature(secret, hook.body), hook.headers.get("X-Signature")):
        raise Unsigned("X-Signature does not match the body")
    try:
        data = json.loads(hook.body)
    except (ValueError, UnicodeDecodeError):
        raise BadPayload("body", "must be a JSON object") from None
    if not isinstance(data, dict):
        raise BadPayload("body", "must be a JSON object")
    direction = data.get("direction")
    ours, theirs = ("to", "from") if direction == INCOMING else ("from", "to")
    return CallEvent(
        exchange="generic",
        call_id=_text(data.get("call_id"), "call_id", 200) or "",
        event=data.get("event"),
        direction=direction,
        external_number=_text(data.get(theirs), theirs),
        line_number=_text(data.get(ours), ours),
        extension=_text(data.get("extension"), "extension"),
        at=_moment(data.get("at")),
        duration_seconds=_int(data.get("duration"), "duration"),
        answered=data.get("answered") if isinstance(data.get("answered"), bool) else None,
        recording_url=_text(data.get("recording_url"), "recording_url", 1000),
    )


def _text(value: Any, field: str, limit: int = 50) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or len(str(value)) > limit:
        raise BadPayload(field, f"must be text of at most {limit} characters")
    return str(value)


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise BadPayload("at", "must be an ISO-8601 instant with its offset") from None
    if moment.tzinfo is None:
        raise BadPayload("at", "must carry a time zone offset")
    return _in_window(moment, "at")


def _in_window(moment: datetime, field: str) -> datetime:
    """An exchange's instant within the system's window, like every instant it accepts."""
    try:
        return within_window(moment)
    except ValidationError:
        raise BadPayload(field, OUT_OF_WINDOW) from None


# ---- Zadarma ---------------------------------------------------------------------------

# Each notification: what it means, and the fields its signature is computed from.
ZADARMA: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "NOTIFY_START": (STARTED, INCOMING, ("caller_id", "called_did", "call_start")),
    "NOTIFY_INTERNAL": (STARTED, INCOMING, ("caller_id", "called_did", "call_start")),
    "NOTIFY_ANSWER": (ANSWERED, INCOMING, ("caller_id", "destination", "call_start")),
    "NOTIFY_END": (ENDED, INCOMING, ("caller_id", "called_did", "call_start")),
    "NOTIFY_OUT_START": (STARTED, OUTGOING, ("internal", "destination", "call_start")),
    "NOTIFY_OUT_END": (ENDED, OUTGOING, ("internal", "destination", "call_start")),
}


def zadarma_signature(secret: str, text: str) -> str:
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def zadarma(hook: Webhook, secret: str) -> CallEvent | None:
    form = hook.form
    kind = ZADARMA.get(form.get("event", ""))
    if kind is None:
        # NOTIFY_RECORD, NOTIFY_IVR, SMS...: nothing about a call's course; acknowledged.
        return None
    event, direction, signed = kind
    text = "".join(form.get(name, "") for name in signed)
    if not _same(zadarma_signature(secret, text), hook.headers.get("Signature")):
        raise Unsigned("Signature does not match the notification")
    external = form.get("caller_id") if direction == INCOMING else form.get("destination")
    line = form.get("called_did") if direction == INCOMING else form.get("caller_id")
    return CallEvent(
        exchange="zadarma",
        call_id=form.get("pbx_call_id", ""),
        event=event,
        direction=direction,
        external_number=_text(external, "caller_id"),
        line_number=_text(line, "called_did"),
        extension=_text(form.get("internal"), "internal", 20),
        # Zadarma writes the start in the account's time zone; the CRM's is set to UTC.
        at=_zadarma_time(form.get("call_start")),
        duration_seconds=_int(form.get("duration"), "duration"),
        answered=form.get("disposition") == "answered" if event == ENDED else None,
    )


def _zadarma_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise BadPayload("call_start", "must be a date and time, 2026-11-30 10:00:00") from None
    return _in_window(moment, "call_start")


# ---- Twilio ----------------------------------------------------------------------------

TWILIO_STATES = {
    "queued": STARTED,
    "initiated": STARTED,
    "ringing": STARTED,
    "in-progress": ANSWERED,
    "completed": ENDED,
    "busy": ENDED,
    "failed": ENDED,
    "no-answer": ENDED,
    "canceled": ENDED,
}


def twilio_signature(secret: str, url: str, form: Mapping[str, str]) -> str:
    text = url + "".join(f"{name}{form[name]}" for name in sorted(form))
    return base64.b64encode(
        hmac.new(secret.encode(), text.encode(), hashlib.sha1).digest()
    ).decode()


def twilio(hook: Webhook, secret: str) -> CallEvent | None:
    form = hook.form
    if not _same(twilio_signature(secret, hook.url, form), hook.headers.get("X-Twilio-Signature")):
        raise Unsigned("X-Twilio-Signature does not match the URL and parameters")
    status = form.get("CallStatus", "")
    if status not in TWILIO_STATES:
        raise BadPayload("CallStatus", f"must be one of: {', '.join(TWILIO_STATES)}")
    direction = INCOMING if form.get("Direction", "inbound") == "inbound" else OUTGOING
    external, line = (
        (form.get("From"), form.get("To"))
        if direction == INCOMING
        else (form.get("To"), form.get("From"))
    )
    event = TWILIO_STATES[status]
    return CallEvent(
        exchange="twilio",
        call_id=form.get("CallSid", ""),
        event=event,
        direction=direction,
        external_number=_text(_user(external), "From"),
        line_number=_text(_user(line), "To"),
        extension=_extension(form.get("To") if direction == INCOMING else form.get("From")),
        at=_twilio_time(form.get("Timestamp")),
        duration_seconds=_int(form.get("CallDuration"), "CallDuration"),
        answered=status == "completed" if event == ENDED else None,
        recording_url=_text(form.get("RecordingUrl"), "RecordingUrl", 1000),
    )


def _user(address: str | None) -> str | None:
    """``sip:101@example.sip.twilio.com`` or ``client:101`` -> ``101``; numbers unchanged."""
    if address and address.startswith(("sip:", "client:")):
        return address.split(":", 1)[1].split("@", 1)[0]
    return address


def _extension(address: str | None) -> str | None:
    user = _user(address) if address and address.startswith(("sip:", "client:")) else None
    return user if user and user.isdigit() and len(user) <= 20 else None


def _twilio_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise BadPayload("Timestamp", "must be an RFC 2822 date") from None
    return _in_window(moment, "Timestamp")


FORMATS: dict[str, Callable[[Webhook, str], CallEvent | None]] = {
    "generic": generic,
    "zadarma": zadarma,
    "twilio": twilio,
}
