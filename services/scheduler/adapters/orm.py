"""The scheduler's tables (schema ``scheduler``)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.db import inbox_model, metadata_for

SCHEMA = "scheduler"


class Base(DeclarativeBase):
    metadata = metadata_for(SCHEMA)


InboxMessage = inbox_model(Base)
