"""The sales mailbox's receiving endpoint: a small SMTP server that accepts mail for the sales
addresses and logs each message (services/crm/handlers/mail.py) before it answers.

Run as ``crm-mail`` (the Procfile's ``mail``). The message is committed before "250" is
sent, so nothing the sender was told is accepted can be lost; a database outage answers
"451" and the sending server tries again later. Mail for other addresses is refused
("550") rather than relayed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from functools import cache

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from services.crm.domain.errors import DomainError
from services.crm.handlers import mail
from shared import config, logs, metrics_http
from shared.db import make_engine, make_session_factory, transaction

log = logging.getLogger("crm.mail")


class SalesMailbox:
    """aiosmtpd handler: RCPT checks the address, DATA stores the message."""

    def __init__(self, sessions: sessionmaker, addresses: frozenset[str]):
        self.sessions = sessions
        self.addresses = addresses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options
    ):
        if address.strip().lower() not in self.addresses:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        loop = asyncio.get_running_loop()
        try:
            doc = await loop.run_in_executor(None, self.store, envelope)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("message not stored, sender will retry", extra={"error": str(exc)})
            return "451 4.3.0 try again later"
        except (DomainError, ValueError) as exc:
            log.warning("message refused", extra={"error": str(exc)})
            return "554 5.6.0 message not accepted"
        log.info("message stored", extra={"interaction_id": doc.id, "process_id": doc.process_id})
        return "250 Message accepted"

    def store(self, envelope: Envelope):
        with transaction(self.sessions) as session:
            return mail.receive(
                # bytes: the controller does not decode (decode_data=False)
                session,
                envelope.original_content or envelope.content,  # type: ignore[arg-type]
                envelope.mail_from,
            )


@cache
def _sessions(url: str) -> sessionmaker:
    return make_session_factory(make_engine(url))


def controller(settings: config.Settings) -> Controller:
    """The SMTP server for ``settings`` (started by the caller)."""
    addresses = frozenset(
        a.strip().lower() for a in settings.sales_addresses.split(",") if a.strip()
    )
    return Controller(
        SalesMailbox(_sessions(settings.database_url), addresses),
        hostname=settings.mail_host,
        port=settings.mail_port,
        data_size_limit=settings.mail_max_bytes,
        # Bodies are 8-bit clean or SMTPUTF8 from modern senders; keep the bytes as sent.
        decode_data=False,
        enable_SMTPUTF8=True,
    )


def main() -> None:
    settings = config.load()
    logs.configure("crm-mail", settings.log_level)
    server = controller(settings)
    # /health and /metrics on METRICS_PORT, as every other process has them for its probes.
    metrics_http.start(settings, make_engine(settings.database_url, pool_size=1))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    log.info(
        "sales mailbox listening", extra={"host": settings.mail_host, "port": settings.mail_port}
    )
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
