"""Tables of the virtual telephone exchange and the sales mailbox (schema ``crm``): the
normalised phone numbers of customers and employees, the exchange's call log, and the files
(attachments of received e-mails) kept in PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from services.crm.adapters.orm import Base
from shared.db import stamped

OWNER_KINDS = ("lead", "contact_person", "employee")


class PhoneNumber(Base):
    """A number of a lead, a contact person or an employee, in E.164, to match calls by."""

    __tablename__ = "phone_numbers"
    __table_args__ = (
        CheckConstraint("owner_kind IN ('lead','contact_person','employee')", name="owner_kind"),
        Index("ix_phone_numbers_e164", "e164"),
    )

    owner_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    e164: Mapped[str] = mapped_column(String(20), primary_key=True)


class PhoneCall(Base):
    """One call as the exchange reported it (the "Calls" tab of the Virtual ATC panel)."""

    __tablename__ = "phone_calls"
    __table_args__ = (
        UniqueConstraint("exchange", "call_id"),
        CheckConstraint("direction IN ('incoming','outgoing')", name="direction"),
        CheckConstraint("state IN ('ringing','answered','ended','missed')", name="state"),
        Index("ix_phone_calls_started_at", "started_at"),
        Index("ix_phone_calls_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange: Mapped[str] = mapped_column(String(32))
    call_id: Mapped[str] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    external_number: Mapped[str | None] = mapped_column(String(50))  # the customer's side
    line_number: Mapped[str | None] = mapped_column(String(50))  # the company's number dialled
    extension: Mapped[str | None] = mapped_column(String(20))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    subject_kind: Mapped[str | None] = mapped_column(String(16))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    contact_person_id: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    recording_url: Mapped[str | None] = mapped_column(String(1000))
    # The interaction it was logged as, the due call task offered for its outcome, and the
    # registration started for an unknown caller.
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id"))
    offered_task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    process_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = stamped()


class StoredFile(Base):
    """A file kept in the database (so backups hold it), with its size and checksum."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Loaded only when the file itself is asked for, never with its description.
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = stamped()
