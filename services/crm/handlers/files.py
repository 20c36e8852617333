"""Files kept in PostgreSQL (attachments of received e-mails): stored with a checksum,
described without their bytes, read whole only when asked for."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from services.crm.adapters.telephony import StoredFile
from services.crm.handlers.common import get


def store(session: Session, name: str, content_type: str, data: bytes) -> dict[str, Any]:
    """Keep a file; returns the attachment row that documents carry."""
    stored = StoredFile(
        name=name[:300] or "attachment",
        content_type=content_type[:200],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    session.add(stored)
    session.flush()
    return {
        "name": stored.name,
        "content_type": stored.content_type,
        "size": stored.size,
        "file_id": stored.id,
        "url": None,
    }


def load(session: Session, file_id: int) -> StoredFile:
    return get(session, StoredFile, file_id, "file")
