"""Names the services share and store: notification channels and employee roles.

Defined once here; everything else imports them (the CRM's permissions, the notifier's
assignment and delivery rules, the message contracts, the metrics' labels).
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """How a notification reaches an employee, in the order one goes out: in-app first, since
    it cannot fail."""

    IN_APP = "in_app"
    EMAIL = "email"
    WEBHOOK = "webhook"


class Role(StrEnum):
    ADMIN = "admin"
    SECRETARY = "secretary"
    MANAGER = "manager"
    HEAD_OF_SALES = "head_of_sales"
    EXECUTOR = "executor"
    HEAD_OF_EXECUTION = "head_of_execution"


CHANNELS = tuple(Channel)
ROLES = tuple(Role)
