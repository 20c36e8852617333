"""Reading an uploaded file within the size limit: a larger one is refused with 413, unread."""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from services.crm.domain.errors import Invalid
from services.crm.entrypoints.api.context import settings
from services.crm.handlers.files import Upload
from shared.i18n import _

CHUNK = 64 * 1024


def read_upload(field: str = "file") -> Upload:
    """The multipart ``field``'s file, read in chunks up to ``UPLOAD_MAX_BYTES``."""
    limit = settings().upload_max_bytes
    # A body announced larger than the file may be plus its form is refused before reading.
    if request.content_length is not None and request.content_length > limit + CHUNK:
        raise RequestEntityTooLarge(f"a file is at most {limit} bytes")
    uploaded = request.files.get(field)
    if uploaded is None or not uploaded.filename:
        raise Invalid(field, _("a file is required (multipart/form-data)"))
    parts, size = [], 0
    while chunk := uploaded.stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge(f"a file is at most {limit} bytes")
        parts.append(chunk)
    return Upload(
        name=uploaded.filename[:300],
        content_type=(uploaded.mimetype or "application/octet-stream")[:200],
        data=b"".join(parts),
    )
