"""Rules of web sign-in: what a password must be and when an invitation link may be used."""

from __future__ import annotations

from datetime import datetime

from services.crm.domain.errors import Conflict, Invalid
from shared.i18n import _

MIN_PASSWORD = 10
MAX_PASSWORD = 200  # argon2 hashes anything, but a megabyte "password" is an attack, not a secret


def check_password(password: str, email: str) -> None:
    """Refuse a password too short, too long, or the e-mail address itself."""
    if len(password) < MIN_PASSWORD:
        raise Invalid("password", _("at least 10 characters"))
    if len(password) > MAX_PASSWORD:
        raise Invalid("password", _("at most 200 characters"))
    if password.strip().lower() == email.lower():
        raise Invalid("password", _("must not be your e-mail address"))


def check_invitation_usable(used_at: datetime | None, expires_at: datetime, now: datetime) -> None:
    """An invitation sets a password once, before it expires."""
    if used_at is not None:
        raise Conflict(_("this invitation link has been used already; ask for a new one"))
    if expires_at <= now:
        raise Conflict(_("this invitation link has expired; ask for a new one"))
