"""Configuration read from environment variables, with defaults that work on a developer machine.

Each field of ``Settings`` is read from the variable named as the field in capitals, parsed by
its annotation; its meaning sits beside it, so ``python -m shared.config`` prints the table the
README's Configuration section shows and nothing is listed twice.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, get_type_hints


def _truth(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


_PARSERS: dict[type, tuple[Callable[[str], Any], str]] = {
    int: (int, "an integer"),
    float: (float, "a number"),
    bool: (_truth, "true or false"),
    str: (str, "text"),
}


def _setting(default: Any, meaning: str, *, empty: bool = False, case: str = "") -> Any:
    """A field of ``Settings``: ``empty`` keeps an empty variable (else it means the default);
    ``case`` is ``upper`` or ``lower`` for values compared case-insensitively."""
    return field(default=default, metadata={"meaning": meaning, "empty": empty, "case": case})


@dataclass(frozen=True)
class Settings:
    """Everything a service process needs to know about its surroundings."""

    database_url: str = _setting(
        "postgresql+psycopg://crm_app@127.0.0.1:5432/crm",
        "the database, as the services' role: it may only read and write rows; "
        "each service owns a schema in it",
    )
    broker_url: str = _setting("amqp://guest:guest@127.0.0.1:5672/%2F", "RabbitMQ, with the vhost")
    redis_url: str = _setting(
        "redis://127.0.0.1:6379/0", "Redis (locks, caches; never the only copy of anything)"
    )
    events_exchange: str = _setting("crm.events", "topic exchange of the integration events")
    relay_batch_size: int = _setting(200, "outbox rows the relay publishes per transaction")
    relay_poll_seconds: float = _setting(
        0.5, "the relay's fallback poll; it is woken by LISTEN/NOTIFY"
    )
    ranks_refresh_seconds: float = _setting(
        1.0,
        "how often the CRM relay's ranks loop brings the buyers' company-wide classes and "
        "scores up to the orders, when orders have changed them",
    )
    log_level: str = _setting(
        "INFO",
        "level of the root logger; logs are JSON, one object a line, with the request or "
        "message id",
        case="upper",
    )
    scheduler_batch_size: int = _setting(
        200, "due plans or timers the scheduler claims per transaction"
    )
    scheduler_max_sleep_seconds: float = _setting(
        5.0, "longest the scheduler's tick sleeps without a NOTIFY"
    )
    scheduler_workdays: str = _setting(
        "mon-fri",
        "default working week (`mon-fri`, `mon,tue,thu`) until admins save a calendar "
        "(`/api/working-calendar`)",
    )
    scheduler_work_hours: str = _setting(
        "09:00-18:00", "default working hours, `HH:MM-HH:MM`; calls land at the start"
    )
    scheduler_holidays: str = _setting(
        "", "comma-separated ISO dates, on top of the holidays table", empty=True
    )
    scheduler_routines: str = _setting(
        "reclassify_buyers@crm=0 2 * * *; cleanup_outbox@crm=30 3 * * *; "
        "escalate_overdue@crm=*/5 * * * *; refit_win_probability@crm=40 2 * * *; "
        "shift_customer_spans@crm=*/5 * * * *; "
        "scheduler_cleanup@scheduler=45 3 * * *; "
        "notifier_cleanup@notifier=15 4 * * *",
        "default routines, `name@queue=cron; ...` (cron in UTC); rows already in the "
        "routines table keep their own schedule; empty adds none",
        empty=True,
    )
    message_retention_days: int = _setting(
        7,
        "published outbox rows and inbox ids older than this are deleted by the cleanup "
        "routine; keep it above the longest time a message may be redelivered",
    )
    call_back_minutes: int = _setting(
        120, 'delay of a new call after "no answer" when the manager picks no time'
    )
    escalate_after_minutes: int = _setting(
        60, "how long a task may be overdue before its head is told"
    )
    reminder_delay_seconds: int = _setting(
        300, "delay of the reminders a document creates (5 minutes)"
    )
    claim_remind_before_seconds: int = _setting(
        86400,
        "how long before a claim's deadline its responsible is reminded (at once when less "
        "is left)",
    )
    classification_keep_runs: int = _setting(
        30, "classification runs whose lines are kept (older runs keep their counts)"
    )
    smtp_host: str = _setting("127.0.0.1", "the SMTP server reminders are e-mailed through")
    smtp_port: int = _setting(1025, "its port")
    smtp_from: str = _setting("crm@localhost", "the sender of the reminders")
    smtp_timeout_seconds: float = _setting(10.0, "how long one e-mail send may take")
    webhook_secret: str = _setting(
        "change-me-webhook-secret",
        "master key every recipient's webhook signing secret is derived from",
    )
    webhook_timeout_seconds: float = _setting(5.0, "how long one webhook send may take")
    notifier_default_department: str = _setting(
        "Sales",
        "the sales department whose managers take due calls in turn when the responsible "
        "manager is unknown or inactive",
    )
    notifier_escalation_fallback_id: int = _setting(
        0,
        "employee who gets overdue-task escalations when no head of the right kind is "
        "active; 0 means nobody",
    )
    delivery_workers: int = _setting(4, "threads of the notifier that send e-mails and webhooks")
    delivery_max_attempts: int = _setting(
        8, "sends of one e-mail or webhook before it is marked failed"
    )
    delivery_backoff_seconds: float = _setting(
        2.0, "the wait after the first failed send, doubling each attempt"
    )
    delivery_backoff_max_seconds: float = _setting(600.0, "the longest of those waits")
    web_secret_key: str = _setting(
        "change-me-web-secret",
        "signs the pages' CSRF tokens; the same in every API process",
    )
    web_session_hours: float = _setting(
        12.0, "a web session ends after this long without a request"
    )
    web_secure_cookies: bool = _setting(
        True,
        "session cookie over HTTPS only (browsers allow it on plain "
        "`http://localhost`/`127.0.0.1`)",
    )
    web_login_limit: str = _setting(
        "5 per 15 minutes",
        "failed sign-ins per e-mail (ten times that per client address)",
    )
    web_invitation_hours: int = _setting(72, "validity of an invitation link to set a password")
    metrics_port: int = _setting(
        0,
        "port of the process's `/metrics` and `/health` server (relay, scheduler, notifier, "
        "dramatiq workers); 0 starts none. The API's are served there by the gunicorn master "
        "under `deploy/gunicorn.conf.py`, never on the API's port",
    )
    migration_database_url: str = _setting(
        "postgresql+psycopg://postgres@127.0.0.1:5432/crm",
        "the schemas' owner: migrations run as it, create `DATABASE_URL`'s role if missing "
        "and grant it its rows",
    )
    environment: str = _setting(
        "development",
        "`production` refuses to start the API and the notifier with a default, empty or "
        "short (< 32 characters) `WEBHOOK_SECRET`",
        case="lower",
    )
    webhook_allowed_hosts: str = _setting(
        "", "comma-separated hosts webhooks may reach although they are not public"
    )
    phone_region: str = _setting(
        "UA",
        "region (ISO 3166 code) of phone numbers written without a country code",
        case="upper",
    )
    telephony_secret: str = _setting(
        "change-me-telephony-secret",
        "key the cloud telephone exchange signs its webhooks with (the generic format's "
        "HMAC-SHA256, Zadarma's API secret, Twilio's auth token)",
    )
    telephony_public_url: str = _setting(
        "",
        "the webhook's public base URL as the exchange calls it (Twilio signs the full URL); "
        "empty means the URL the request arrived at",
    )
    mail_host: str = _setting("127.0.0.1", "where the sales mailbox's SMTP endpoint listens")
    mail_port: int = _setting(2525, "its port")
    sales_addresses: str = _setting(
        "sales@localhost", "comma-separated addresses the endpoint accepts mail for"
    )
    mail_max_bytes: int = _setting(
        20 * 1024 * 1024, "the largest message it accepts (attachments included)"
    )
    upload_max_bytes: int = _setting(
        20 * 1024 * 1024, "the largest file uploaded through the API (deal files, instructions)"
    )
    deal_quiet_days: float = _setting(
        14.0, "days without an interaction after which an open deal is stalled"
    )
    deal_stall_escalate_seconds: int = _setting(
        86400, "how long after a deal's stall reminder the head of its department is told"
    )
    api_max_body_bytes: int = _setting(
        1024 * 1024, "the largest request body the API reads (larger: 413)"
    )


def variable(name: str) -> str:
    """The environment variable a field of ``Settings`` is read from."""
    return name.upper()


def _read(name: str, kind: type, meta: Any, default: Any) -> Any:
    raw = os.environ.get(variable(name))
    if raw is None or (raw == "" and not meta["empty"]):
        return default
    parse, described = _PARSERS[kind]
    try:
        value = parse(raw)
    except ValueError:
        raise ValueError(f"{variable(name)} must be {described}, got {raw!r}") from None
    return getattr(value, meta["case"])() if meta["case"] else value


def load() -> Settings:
    """Read the settings from the environment (see the module's docstring).

    Raises:
      ValueError: when a numeric or boolean variable does not parse.
    """
    kinds = get_type_hints(Settings)
    return Settings(
        **{f.name: _read(f.name, kinds[f.name], f.metadata, f.default) for f in fields(Settings)}
    )


def table() -> str:
    """The variables as the Markdown table of the README: name, default, meaning."""
    lines = ["| variable | default | meaning |", "|----------|---------|---------|"]
    for f in fields(Settings):
        default = f"`{str(f.default).lower() if isinstance(f.default, bool) else f.default}`"
        if f.default == "":
            default = "none"
        lines.append(f"| `{variable(f.name)}` | {default} | {f.metadata['meaning']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(table() + "\n")
