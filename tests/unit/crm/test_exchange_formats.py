"""Webhook formats of telephone exchanges read into one kind of call event, signatures checked."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.crm.adapters.exchanges import (
    Unsigned,
    Webhook,
    generic,
    generic_signature,
    twilio,
    twilio_signature,
    zadarma,
)
from services.crm.domain.telephony import (
    FINISHED,
    MISSED,
    RINGING,
    TALKING,
    BadPayload,
    CallEvent,
    state_after,
)
from tests.payloads import BASE_URL, recorded, signed

SECRET = "s3cret"


def hook(exchange: str, request: dict) -> Webhook:
    kwargs = signed(exchange, request, SECRET)
    body = kwargs["data"] if isinstance(kwargs["data"], bytes) else b""
    form = {} if isinstance(kwargs["data"], bytes) else kwargs["data"]
    url = f"{BASE_URL}/api/telephony/{exchange}/events"
    return Webhook(body=body, headers=kwargs["headers"], form=form, url=url)


def test_twilio_signature_matches_the_example_twilio_documents():
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_a_recorded_zadarma_call_reads_as_started_answered_ended_with_its_extension():
    call = recorded("zadarma_incoming_answered.json")
    events = [zadarma(hook("zadarma", r), SECRET) for r in call["requests"]]
    start, internal, answer, end, record = events
    assert (start.event, start.direction, start.external_number) == (
        "started",
        "incoming",
        "380441234567",
    )
    assert start.at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert internal.extension == "101" and answer.event == "answered"
    assert (end.event, end.duration_seconds, end.answered) == ("ended", 95, True)
    assert record is None  # a recording notice: nothing about the call's course


def test_a_recorded_twilio_call_reads_with_its_duration_and_recording():
    call = recorded("twilio_inbound_unknown.json")
    ringing, talking, completed = (twilio(hook("twilio", r), SECRET) for r in call["requests"])
    assert (ringing.event, ringing.external_number, ringing.line_number) == (
        "started",
        "+15005550006",
        "+15005550001",
    )
    assert talking.event == "answered"
    assert completed.duration_seconds == 102 and completed.answered is True
    assert completed.recording_url.endswith("/Recordings/RE0000000000000000000000000000000b")
    assert completed.at == datetime(2026, 12, 1, 10, 6, 49, tzinfo=UTC)


def test_the_generic_format_reads_an_outgoing_call_from_the_company_side():
    call = recorded("generic_outgoing.json")
    started, _, ended = (generic(hook("generic", r), SECRET) for r in call["requests"])
    assert (started.direction, started.external_number, started.line_number) == (
        "outgoing",
        "+380 67 555 12 34",
        "+380443334455",
    )
    assert ended.recording_url.endswith(".mp3") and ended.duration_seconds == 211


@pytest.mark.parametrize(
    ("read", "exchange", "name"),
    [
        (zadarma, "zadarma", "zadarma_incoming_answered.json"),
        (twilio, "twilio", "twilio_inbound_unknown.json"),
        (generic, "generic", "generic_outgoing.json"),
    ],
)
def test_a_wrong_or_missing_signature_is_refused(read, exchange, name):
    first = recorded(name)["requests"][0]
    good = hook(exchange, first)
    with pytest.raises(Unsigned):
        read(Webhook(good.body, {}, good.form, good.url), SECRET)
    with pytest.raises(Unsigned):
        read(good, "another secret")


def test_twilio_refuses_a_url_other_than_the_one_it_signed():
    good = hook("twilio", recorded("twilio_inbound_unknown.json")["requests"][0])
    with pytest.raises(Unsigned):
        twilio(Webhook(good.body, good.headers, good.form, "http://evil.example/x"), SECRET)


def generic_hook(data) -> Webhook:
    body = json.dumps(data).encode()
    return Webhook(body, {"X-Signature": generic_signature(SECRET, body)}, {}, BASE_URL)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "body"),
        ({"event": "started", "direction": "incoming"}, "call_id"),
        ({"event": "hung", "call_id": "1", "direction": "incoming"}, "event"),
        ({"event": "ended", "call_id": "1", "direction": "sideways"}, "direction"),
        ({"event": "ended", "call_id": "1", "direction": "incoming", "duration": "x"}, "duration"),
        ({"event": "ended", "call_id": "1", "direction": "incoming", "at": "noon"}, "at"),
        (
            {"event": "ended", "call_id": "1", "direction": "incoming", "at": "2026-12-01T10:00"},
            "at",
        ),
        ({"event": "ended", "call_id": "1", "direction": "incoming", "from": "9" * 60}, "from"),
        (
            {"event": "ended", "call_id": "1", "direction": "incoming", "at": "0001-01-01T00:00Z"},
            "at",
        ),
        (
            {
                "event": "ended",
                "call_id": "1",
                "direction": "incoming",
                "at": "9999-12-31T23:00-05:00",
            },
            "at",
        ),
        ({"event": "ended", "call_id": "1" * 201, "direction": "incoming"}, "call_id"),
    ],
)
def test_a_malformed_call_event_names_the_field(data, field):
    with pytest.raises(BadPayload) as caught:
        generic(generic_hook(data), SECRET)
    assert caught.value.field == field


def event(kind, **kw) -> CallEvent:
    return CallEvent("generic", "1", kind, "incoming", "+380441234567", **kw)


def test_a_call_never_goes_back_and_an_unanswered_end_is_a_missed_call():
    assert state_after(None, event("started")) == RINGING
    assert state_after(RINGING, event("answered")) == TALKING
    assert state_after(TALKING, event("started")) == TALKING  # a late "started"
    assert state_after(TALKING, event("ended")) == FINISHED
    assert state_after(RINGING, event("ended")) == MISSED
    assert state_after(FINISHED, event("answered")) == FINISHED
    assert state_after(None, event("ended", answered=True)) == FINISHED  # "ended" came first
