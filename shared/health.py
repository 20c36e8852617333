"""Health checks of the three things every service depends on."""

from __future__ import annotations

from collections.abc import Callable

import pika
import redis
from sqlalchemy import text
from sqlalchemy.engine import Engine

from shared.config import Settings


def check_database(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def check_broker(url: str) -> None:
    params = pika.URLParameters(url)
    params.socket_timeout = params.blocked_connection_timeout = 2
    pika.BlockingConnection(params).close()


def check_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def run_checks(settings: Settings, engine: Engine) -> dict[str, str]:
    """Check PostgreSQL, RabbitMQ and Redis.

    Returns:
      dict: ``{"database": "ok", "broker": "ok", "redis": "error: ..."}``.
    """
    checks: dict[str, Callable[[], None]] = {
        "database": lambda: check_database(engine),
        "broker": lambda: check_broker(settings.broker_url),
        "redis": lambda: check_redis(settings.redis_url),
    }
    results = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure means unhealthy; the reason is reported
            results[name] = f"error: {exc.__class__.__name__}: {exc}"[:200]
    return results


def healthy(results: dict[str, str]) -> bool:
    return all(v == "ok" for v in results.values())
