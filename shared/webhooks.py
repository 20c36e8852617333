"""Webhooks as the CRM and the notifier agree on them: where one may point, how it is signed.

Targets: a webhook reaches only public (globally routable) addresses; private, loopback,
link-local, shared, multicast and reserved ones are refused unless an admin names the host
in ``WEBHOOK_ALLOWED_HOSTS``. The CRM checks when the URL is saved, the notifier again at
every send after resolving the name, and it then connects to the address it checked, so
a DNS answer that changes in between (rebinding) cannot lead it inside.

Secrets: a recipient's Standard Webhooks signing secret is derived from ``WEBHOOK_SECRET``,
the employee id and the secret's version (HMAC-SHA256). Neither service stores it and no
message carries it: the CRM derives it to show it once when it is issued (a new version),
the notifier derives it to sign; only the version travels, in ``EmployeeChanged``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import socket
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared import config

SECRET_PREFIX = "whsec_"  # the Standard Webhooks spelling of a signing secret
MIN_PRODUCTION_SECRET = 32
_DEFAULT_SECRET = config.Settings().webhook_secret

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class ForbiddenTarget(ValueError):
    """The URL may not be a webhook target; ``reason`` says why, for the person who set it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class UnresolvedTarget(OSError):
    """The host name does not resolve now; a later attempt may succeed."""


class InsecureSettings(RuntimeError):
    """A production process was started with a secret that anyone could know."""


@dataclass(frozen=True)
class Target:
    """A checked webhook URL: connect to ``address``, speak to ``host``."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def allowed_hosts(settings: config.Settings) -> frozenset[str]:
    """The hosts an admin allows although they are not public (``WEBHOOK_ALLOWED_HOSTS``)."""
    return frozenset(_norm(h) for h in settings.webhook_allowed_hosts.split(",") if h.strip())


def refusal(address: Address) -> str | None:
    """Why a webhook may not reach ``address``; None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address wrapped in IPv6 is judged as the IPv4 address it reaches.
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None:
            return refusal(embedded)
    for kind in ("loopback", "link_local", "unspecified", "multicast", "private", "reserved"):
        if getattr(address, f"is_{kind}"):
            article = "an" if kind[0] in "aeiou" else "a"
            return f"{address} is {article} {kind.replace('_', '-')} address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def check(url: str, allowed: Collection[str], *, must_resolve: bool = True) -> Target:
    """The target of ``url`` after checking every address its host resolves to.

    Parameters:
      url: an ``http`` or ``https`` URL.
      allowed: normalised host names (``allowed_hosts``) exempt from the address check.
      must_resolve: when False, a host name that does not resolve is accepted (the CRM
        saving a URL whose name is not published yet); the notifier needs an address.

    Returns:
      Target: with the first address resolved, which the caller connects to.

    Raises:
      ForbiddenTarget: not http(s), credentials in the URL, or a non-public address.
      UnresolvedTarget: the name does not resolve (only with ``must_resolve``).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ForbiddenTarget("must be an http or https URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ForbiddenTarget("must not carry credentials (user:password@)")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ForbiddenTarget("has an invalid port") from None
    try:
        host = _norm(parts.hostname).encode("idna").decode("ascii")
    except UnicodeError:
        raise ForbiddenTarget("has an invalid host name") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        addresses = _resolve(host, port)
    except UnresolvedTarget:
        if must_resolve:
            raise
        return Target(parts.scheme, host, port, path, "")
    if host not in allowed:
        for address in addresses:
            reason = refusal(address)
            if reason:
                raise ForbiddenTarget(f"may not point inside the network: {reason}")
    return Target(parts.scheme, host, port, path, str(addresses[0]))


def _resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnresolvedTarget(f"{host} does not resolve: {exc}") from None
    # Scope ids ("fe80::1%eth0") are dropped: the address alone decides.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _norm(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def master_secret(settings: config.Settings) -> str:
    """``WEBHOOK_SECRET``, refused in production when it is the default, empty or short.

    Raises:
      InsecureSettings: ``ENVIRONMENT=production`` and the secret is not a real one.
    """
    secret = settings.webhook_secret
    weak = secret in ("", _DEFAULT_SECRET) or len(secret) < MIN_PRODUCTION_SECRET
    if settings.environment == "production" and weak:
        raise InsecureSettings(
            "refusing to start: WEBHOOK_SECRET is the default, empty or shorter than "
            f"{MIN_PRODUCTION_SECRET} characters while ENVIRONMENT=production "
            "(generate one, e.g. `openssl rand -hex 32`)"
        )
    return secret


def recipient_secret(master: str, employee_id: int, version: int) -> str:
    """The Standard Webhooks signing secret (``whsec_...``) of one employee's webhook.

    Parameters:
      master: ``WEBHOOK_SECRET``.
      employee_id: the recipient.
      version: the employee's ``webhook_secret_version``; a new one is a rotated secret.
    """
    info = f"crm-loop webhook signing secret\0{employee_id}\0{version}".encode()
    key = hmac.new(master.encode(), info, hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(key).decode()
