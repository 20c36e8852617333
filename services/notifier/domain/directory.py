"""The employees the notifier knows about, as the CRM last described them."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.names import CHANNELS, Channel


@dataclass(frozen=True)
class Person:
    """One employee of the directory: who they are, where they work, how they want to be told."""

    id: int
    role: str
    department: str | None = None
    active: bool = True
    name: str = ""
    email: str | None = None
    channels: tuple[str, ...] = field(default=())
    webhook_url: str | None = None
    locale: str = "en"
    timezone: str = "UTC"


def channels_of(person: Person | None) -> tuple[str, ...]:
    """The channels a notification to ``person`` goes through: their preferences, else in-app."""
    chosen = set(person.channels) if person else set()
    return tuple(c for c in CHANNELS if c in chosen) or (Channel.IN_APP,)


def address_of(person: Person | None, channel: str) -> str | None:
    """Where ``channel`` reaches ``person`` (e-mail address, webhook URL); None when unknown."""
    if person is None:
        return None
    if channel == Channel.EMAIL:
        return person.email or None
    if channel == Channel.WEBHOOK:
        return person.webhook_url or None
    return str(person.id)
