"""Where a webhook may point, how its secret is made, and when a process refuses to start."""

from __future__ import annotations

import base64
import ipaddress
import socket
from dataclasses import replace

import pytest
from standardwebhooks import Webhook

from services.notifier.adapters.orm import Delivery
from services.notifier.adapters.webhook import WebhookSender
from services.notifier.domain.delivery import DeliveryError
from shared import config
from shared.db import utcnow
from shared.webhooks import (
    ForbiddenTarget,
    InsecureSettings,
    check,
    master_secret,
    recipient_secret,
    refusal,
)

STRONG = "3f9c2b7e8d1a4c6f0b5e9d2a7c4f1e8b"


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.20.30.40", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "not a public"),  # carrier-grade NAT
        ("::ffff:10.0.0.1", "private"),  # IPv4-mapped
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ],
)
def test_addresses_inside_the_network_are_refused_with_their_kind(address, reason):
    assert reason in refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://93.184.216.34/hook", "http or https"),
        ("http://user:secret@93.184.216.34/hook", "credentials"),
        ("http://93.184.216.34:99999/hook", "invalid port"),
        (f"http://{'a' * 70}.example/hook", "invalid host name"),  # a label over 63 characters
        ("http://0x7f000001/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ],
)
def test_urls_that_are_not_plain_public_targets_are_refused(url, reason):
    with pytest.raises(ForbiddenTarget, match=reason):
        check(url, frozenset())


def test_an_allowed_host_is_exempt_but_only_as_written():
    assert check("http://127.0.0.1:8080/x", {"127.0.0.1"}).address == "127.0.0.1"
    with pytest.raises(ForbiddenTarget):
        check("http://127.0.0.2:8080/x", {"127.0.0.1"})


def test_a_name_that_does_not_resolve_is_accepted_on_save_but_not_at_delivery(monkeypatch):
    def getaddrinfo(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    saved = check("https://hooks.invalid/me", frozenset(), must_resolve=False)
    assert (saved.host, saved.port, saved.path) == ("hooks.invalid", 443, "/me")
    with pytest.raises(OSError, match="does not resolve"):
        check("https://hooks.invalid/me", frozenset())


def test_the_sender_connects_to_the_address_it_checked_not_to_a_later_dns_answer(monkeypatch):
    # DNS rebinding: the name first answers a public address, then an internal one.
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    looked_up, connected = [], []

    def getaddrinfo(host, port, *args, **kwargs):
        looked_up.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in next(answers)]

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("no network in unit tests")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    delivery = Delivery(
        notification="reminder:1",
        recipient_id=7,
        address="http://rebinding.example:8080/hook",
        subject="s",
        body="b",
        due_at=utcnow(),
    )
    with pytest.raises(DeliveryError, match="ConnectionRefusedError"):
        WebhookSender(STRONG, timeout=1)(delivery)
    assert looked_up == ["rebinding.example"]
    assert connected == [("93.184.216.34", 8080)]


def test_a_name_with_any_internal_address_is_refused(monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in ("93.184.216.34", "10.0.0.7")
        ],
    )
    with pytest.raises(ForbiddenTarget, match=r"10\.0\.0\.7 is a private address"):
        check("https://mixed.example/hook", frozenset())


def test_each_recipient_and_version_has_its_own_standard_webhooks_secret():
    secret = recipient_secret(STRONG, 7, 1)
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert secret == recipient_secret(STRONG, 7, 1)
    others = {recipient_secret(STRONG, 8, 1), recipient_secret(STRONG, 7, 2)}
    others.add(recipient_secret(STRONG + "x", 7, 1))
    assert secret not in others and len(others) == 3
    Webhook(secret)  # the library accepts it as a key


@pytest.mark.parametrize("secret", ["", config.Settings().webhook_secret, "too-short-1234"])
def test_production_refuses_a_default_empty_or_short_webhook_secret(secret):
    production = replace(config.Settings(), environment="production", webhook_secret=secret)
    with pytest.raises(InsecureSettings, match="WEBHOOK_SECRET"):
        master_secret(production)
    assert master_secret(replace(production, environment="development")) == secret


def test_production_accepts_a_long_random_webhook_secret():
    production = replace(config.Settings(), environment="production", webhook_secret=STRONG)
    assert master_secret(production) == STRONG
