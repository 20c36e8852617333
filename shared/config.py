"""Configuration read from environment variables, with defaults that work on a developer machine."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def _str(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass(frozen=True)
class Settings:
    """Everything a service process needs to know about its surroundings.

    Parameters:
      database_url: SQLAlchemy URL of the PostgreSQL database; each service owns a schema in it.
      broker_url: AMQP URL of RabbitMQ, including the vhost.
      redis_url: Redis URL for locks, rate limits and caches.
      events_exchange: topic exchange every domain event is published to.
      relay_batch_size: outbox rows the relay publishes per transaction.
      relay_poll_seconds: the relay's fallback poll when no NOTIFY arrives.
      log_level: level name for the root logger.
    """

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/crm"
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    redis_url: str = "redis://127.0.0.1:6379/0"
    events_exchange: str = "crm.events"
    relay_batch_size: int = 200
    relay_poll_seconds: float = 0.5
    log_level: str = "INFO"
    api_url: str = "http://127.0.0.1:8000"


def load() -> Settings:
    """Read the settings from the environment.

    Returns:
      Settings: defaults overridden by ``DATABASE_URL``, ``BROKER_URL``, ``REDIS_URL``,
      ``EVENTS_EXCHANGE``, ``RELAY_BATCH_SIZE``, ``RELAY_POLL_SECONDS``, ``LOG_LEVEL``
      and ``API_URL``.

    Raises:
      ValueError: when a numeric variable does not parse.
    """
    defaults = Settings()
    return Settings(
        database_url=_str("DATABASE_URL", defaults.database_url),
        broker_url=_str("BROKER_URL", defaults.broker_url),
        redis_url=_str("REDIS_URL", defaults.redis_url),
        events_exchange=_str("EVENTS_EXCHANGE", defaults.events_exchange),
        relay_batch_size=_int("RELAY_BATCH_SIZE", defaults.relay_batch_size),
        relay_poll_seconds=_float("RELAY_POLL_SECONDS", defaults.relay_poll_seconds),
        log_level=_str("LOG_LEVEL", defaults.log_level).upper(),
        api_url=_str("API_URL", defaults.api_url),
    )
