"""Configuration read from environment variables, with defaults that work on a developer machine."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


def _parsed(name: str, default: T, cast: Callable[[str], T], kind: str) -> T:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return cast(raw)
    except ValueError:
        raise ValueError(f"{name} must be {kind}, got {raw!r}") from None


def _int(name: str, default: int) -> int:
    return _parsed(name, default, int, "an integer")


def _float(name: str, default: float) -> float:
    return _parsed(name, default, float, "a number")


def _str(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _bool(name: str, default: bool) -> bool:
    return _parsed(name, default, _truth, "true or false")


def _truth(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


@dataclass(frozen=True)
class Settings:
    """Everything a service process needs to know about its surroundings.

    Parameters:
      database_url: SQLAlchemy URL of the PostgreSQL database; each service owns a schema in it.
        The services connect as a role that may only read and write rows (see migrations).
      broker_url: AMQP URL of RabbitMQ, including the vhost.
      redis_url: Redis URL for locks, rate limits and caches.
      events_exchange: topic exchange every domain event is published to.
      relay_batch_size: outbox rows the relay publishes per transaction.
      relay_poll_seconds: the relay's fallback poll when no NOTIFY arrives.
      log_level: level name for the root logger.
      scheduler_batch_size: due plans or timers the scheduler claims per transaction.
      scheduler_max_sleep_seconds: longest the scheduler's tick sleeps without a NOTIFY.
      scheduler_workdays: default working week, e.g. ``mon-fri`` or ``mon,tue,thu``.
      scheduler_work_hours: default working hours, ``HH:MM-HH:MM``; calls land at the start.
      scheduler_holidays: comma-separated ISO dates, on top of the holidays table.
      scheduler_routines: default routines, ``name@queue=cron; ...`` (cron in UTC); rows
        already in the routines table keep their own schedule; empty adds none.
      refusal_status: the status a subject gets when a call, proposal or visit ends in refusal.
      call_back_minutes: delay of a new call after "no answer" when the manager picks no time.
      escalate_after_minutes: how long a task may be overdue before its head is told.
      reminder_delay_seconds: delay of the reminders a document creates (5 minutes).
      claim_remind_before_seconds: how long before a claim's deadline its responsible is
        reminded (at once when less is left).
      classification_keep_runs: runs of the classification of buyers whose lines are kept;
        older runs keep their counts only.
      message_retention_days: published outbox rows and inbox ids older than this are deleted
        by the cleanup routine; keep it above the longest time a message may be redelivered.
      smtp_host, smtp_port, smtp_from: the SMTP server reminders are e-mailed through.
      smtp_timeout_seconds, webhook_timeout_seconds: how long one send may take.
      webhook_secret: master key each recipient's webhook signing secret is derived from.
      notifier_default_department: the sales department whose managers take due calls in
        turn when the responsible manager is unknown or inactive.
      notifier_escalation_fallback_id: employee who gets overdue-task escalations when no
        head of the right kind is active; 0 means nobody.
      delivery_workers: threads of the notifier that send e-mails and webhooks.
      delivery_max_attempts: sends of one e-mail or webhook before it is marked failed.
      delivery_backoff_seconds, delivery_backoff_max_seconds: the wait after the first
        failed send, doubling each attempt up to the maximum.
      web_secret_key: key that signs the web pages' CSRF tokens; the same in every API process.
      web_session_hours: a web session ends after this long without a request.
      web_secure_cookies: send the session cookie over HTTPS only (turn off for plain-HTTP
        development on another host than localhost).
      web_login_limit: failed sign-ins allowed per e-mail and per address, e.g.
        ``5 per 15 minutes``.
      web_invitation_hours: how long an invitation link to set a password stays valid.
      metrics_port: port of the process's ``/metrics`` and ``/health`` HTTP server (relay,
        scheduler, notifier, dramatiq workers); 0 starts none. The API serves both itself.
      migration_database_url: URL of the role that owns the schemas; migrations run as it.
      environment: ``production`` refuses to start with a default or weak WEBHOOK_SECRET.
      webhook_allowed_hosts: comma-separated hosts a webhook may reach though not public.
      phone_region: the region (ISO 3166 code) numbers written without a country code are
        read in, when calls are matched to customers.
      telephony_secret: key the cloud telephone exchange signs its webhooks with (the generic
        format's HMAC-SHA256, Zadarma's API secret, Twilio's auth token).
      telephony_public_url: the webhook's public base URL as the exchange calls it (Twilio
        signs the full URL); empty means the URL the request arrived at.
      mail_host, mail_port: where the sales mailbox's SMTP endpoint listens.
      sales_addresses: comma-separated addresses the endpoint accepts mail for.
      mail_max_bytes: the largest message it accepts (attachments included).
      api_max_body_bytes: the largest request body the API reads (larger: 413).
    """

    database_url: str = "postgresql+psycopg://crm_app@127.0.0.1:5432/crm"
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    redis_url: str = "redis://127.0.0.1:6379/0"
    events_exchange: str = "crm.events"
    relay_batch_size: int = 200
    relay_poll_seconds: float = 0.5
    log_level: str = "INFO"
    scheduler_batch_size: int = 200
    scheduler_max_sleep_seconds: float = 5.0
    scheduler_workdays: str = "mon-fri"
    scheduler_work_hours: str = "09:00-18:00"
    scheduler_holidays: str = ""
    scheduler_routines: str = (
        "reclassify_buyers@crm=0 2 * * *; cleanup_outbox@crm=30 3 * * *; "
        "escalate_overdue@crm=*/5 * * * *; scheduler_cleanup@scheduler=45 3 * * *; "
        "notifier_cleanup@notifier=15 4 * * *"
    )
    message_retention_days: int = 7
    refusal_status: str = "Cold"
    call_back_minutes: int = 120
    escalate_after_minutes: int = 60
    reminder_delay_seconds: int = 300
    claim_remind_before_seconds: int = 86400
    classification_keep_runs: int = 30
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "crm@localhost"
    smtp_timeout_seconds: float = 10.0
    webhook_secret: str = "change-me-webhook-secret"
    webhook_timeout_seconds: float = 5.0
    notifier_default_department: str = "Sales"
    notifier_escalation_fallback_id: int = 0
    delivery_workers: int = 4
    delivery_max_attempts: int = 8
    delivery_backoff_seconds: float = 2.0
    delivery_backoff_max_seconds: float = 600.0
    web_secret_key: str = "change-me-web-secret"
    web_session_hours: float = 12.0
    web_secure_cookies: bool = True
    web_login_limit: str = "5 per 15 minutes"
    web_invitation_hours: int = 72
    metrics_port: int = 0
    # Production hardening.
    migration_database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/crm"
    environment: str = "development"
    webhook_allowed_hosts: str = ""
    phone_region: str = "UA"
    telephony_secret: str = "change-me-telephony-secret"
    telephony_public_url: str = ""
    mail_host: str = "127.0.0.1"
    mail_port: int = 2525
    sales_addresses: str = "sales@localhost"
    mail_max_bytes: int = 20 * 1024 * 1024
    api_max_body_bytes: int = 1024 * 1024


def load() -> Settings:
    """Read the settings from the environment.

    Returns:
      Settings: defaults overridden by ``SCHEDULER_*`` (``BATCH_SIZE``, ``MAX_SLEEP_SECONDS``,
      ``WORKDAYS``, ``WORK_HOURS``, ``HOLIDAYS``, ``ROUTINES``),
      ``DATABASE_URL``, ``BROKER_URL``, ``REDIS_URL``,
      ``EVENTS_EXCHANGE``, ``RELAY_BATCH_SIZE``, ``RELAY_POLL_SECONDS``, ``LOG_LEVEL``,
      ``MESSAGE_RETENTION_DAYS``, ``CLAIM_REMIND_BEFORE_SECONDS``, ``CLASSIFICATION_KEEP_RUNS``.
      The notifier's ``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_FROM``, ``SMTP_TIMEOUT_SECONDS``,
      ``WEBHOOK_SECRET``, ``WEBHOOK_TIMEOUT_SECONDS``, ``NOTIFIER_DEFAULT_DEPARTMENT``,
      ``NOTIFIER_ESCALATION_FALLBACK_ID`` and ``DELIVERY_*`` (``WORKERS``, ``MAX_ATTEMPTS``,
      ``BACKOFF_SECONDS``, ``BACKOFF_MAX_SECONDS``) likewise, the web's ``WEB_SECRET_KEY``,
      ``WEB_SESSION_HOURS``, ``WEB_SECURE_COOKIES``, ``WEB_LOGIN_LIMIT``,
      ``WEB_INVITATION_HOURS``, and ``METRICS_PORT``, ``MIGRATION_DATABASE_URL``,
      ``ENVIRONMENT``, ``WEBHOOK_ALLOWED_HOSTS``, ``PHONE_REGION``, ``TELEPHONY_SECRET``,
      ``TELEPHONY_PUBLIC_URL``, ``MAIL_HOST``, ``MAIL_PORT``, ``SALES_ADDRESSES``,
      ``MAIL_MAX_BYTES``, ``API_MAX_BODY_BYTES``.

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
        scheduler_batch_size=_int("SCHEDULER_BATCH_SIZE", defaults.scheduler_batch_size),
        scheduler_max_sleep_seconds=_float(
            "SCHEDULER_MAX_SLEEP_SECONDS", defaults.scheduler_max_sleep_seconds
        ),
        scheduler_workdays=_str("SCHEDULER_WORKDAYS", defaults.scheduler_workdays),
        scheduler_work_hours=_str("SCHEDULER_WORK_HOURS", defaults.scheduler_work_hours),
        scheduler_holidays=os.environ.get("SCHEDULER_HOLIDAYS", defaults.scheduler_holidays),
        scheduler_routines=os.environ.get("SCHEDULER_ROUTINES", defaults.scheduler_routines),
        message_retention_days=_int("MESSAGE_RETENTION_DAYS", defaults.message_retention_days),
        refusal_status=_str("REFUSAL_STATUS", defaults.refusal_status),
        call_back_minutes=_int("CALL_BACK_MINUTES", defaults.call_back_minutes),
        escalate_after_minutes=_int("ESCALATE_AFTER_MINUTES", defaults.escalate_after_minutes),
        reminder_delay_seconds=_int("REMINDER_DELAY_SECONDS", defaults.reminder_delay_seconds),
        claim_remind_before_seconds=_int(
            "CLAIM_REMIND_BEFORE_SECONDS", defaults.claim_remind_before_seconds
        ),
        classification_keep_runs=_int(
            "CLASSIFICATION_KEEP_RUNS", defaults.classification_keep_runs
        ),
        smtp_host=_str("SMTP_HOST", defaults.smtp_host),
        smtp_port=_int("SMTP_PORT", defaults.smtp_port),
        smtp_from=_str("SMTP_FROM", defaults.smtp_from),
        smtp_timeout_seconds=_float("SMTP_TIMEOUT_SECONDS", defaults.smtp_timeout_seconds),
        webhook_secret=_str("WEBHOOK_SECRET", defaults.webhook_secret),
        webhook_timeout_seconds=_float("WEBHOOK_TIMEOUT_SECONDS", defaults.webhook_timeout_seconds),
        notifier_default_department=_str(
            "NOTIFIER_DEFAULT_DEPARTMENT", defaults.notifier_default_department
        ),
        notifier_escalation_fallback_id=_int(
            "NOTIFIER_ESCALATION_FALLBACK_ID", defaults.notifier_escalation_fallback_id
        ),
        delivery_workers=_int("DELIVERY_WORKERS", defaults.delivery_workers),
        delivery_max_attempts=_int("DELIVERY_MAX_ATTEMPTS", defaults.delivery_max_attempts),
        delivery_backoff_seconds=_float(
            "DELIVERY_BACKOFF_SECONDS", defaults.delivery_backoff_seconds
        ),
        delivery_backoff_max_seconds=_float(
            "DELIVERY_BACKOFF_MAX_SECONDS", defaults.delivery_backoff_max_seconds
        ),
        web_secret_key=_str("WEB_SECRET_KEY", defaults.web_secret_key),
        web_session_hours=_float("WEB_SESSION_HOURS", defaults.web_session_hours),
        web_secure_cookies=_bool("WEB_SECURE_COOKIES", defaults.web_secure_cookies),
        web_login_limit=_str("WEB_LOGIN_LIMIT", defaults.web_login_limit),
        web_invitation_hours=_int("WEB_INVITATION_HOURS", defaults.web_invitation_hours),
        metrics_port=_int("METRICS_PORT", defaults.metrics_port),
        migration_database_url=_str("MIGRATION_DATABASE_URL", defaults.migration_database_url),
        environment=_str("ENVIRONMENT", defaults.environment).lower(),
        webhook_allowed_hosts=_str("WEBHOOK_ALLOWED_HOSTS", defaults.webhook_allowed_hosts),
        phone_region=_str("PHONE_REGION", defaults.phone_region).upper(),
        telephony_secret=_str("TELEPHONY_SECRET", defaults.telephony_secret),
        telephony_public_url=_str("TELEPHONY_PUBLIC_URL", defaults.telephony_public_url),
        mail_host=_str("MAIL_HOST", defaults.mail_host),
        mail_port=_int("MAIL_PORT", defaults.mail_port),
        sales_addresses=_str("SALES_ADDRESSES", defaults.sales_addresses),
        mail_max_bytes=_int("MAIL_MAX_BYTES", defaults.mail_max_bytes),
        api_max_body_bytes=_int("API_MAX_BODY_BYTES", defaults.api_max_body_bytes),
    )
