"""E-mail channel: one message per delivery over SMTP (smtplib)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from services.notifier.adapters.orm import Delivery
from services.notifier.domain.delivery import DeliveryError, PermanentDeliveryError


def message_id(delivery: Delivery) -> str:
    """The same Message-ID on every attempt, so a mail client can drop a resent copy."""
    return f"<{delivery.notification.replace(':', '.')}.email@crm-notifier>"


class SmtpSender:
    """Sends a delivery's subject and body to its address through one SMTP server."""

    def __init__(self, host: str, port: int, sender: str, timeout: float):
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def compose(self, delivery: Delivery) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = delivery.address
        msg["Subject"] = delivery.subject
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = message_id(delivery)
        msg["X-Notification-Key"] = delivery.notification
        msg.set_content(delivery.body)
        return msg

    def __call__(self, delivery: Delivery) -> None:
        """Send once; raises DeliveryError (retry) or PermanentDeliveryError (5xx, refused)."""
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(self.compose(delivery))
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError(f"recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            error = PermanentDeliveryError if exc.smtp_code >= 500 else DeliveryError
            raise error(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {type(exc).__name__}: {exc}") from exc
