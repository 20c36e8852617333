"""Files the CRM keeps (attachments of received e-mails), streamed back whole."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.adapters.telephony import StoredFile
from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.handlers import files

blp = Blueprint("files", __name__, url_prefix="/api/files", description="Stored files")
FILE = {"200": {"content": {"application/octet-stream": {"schema": {"type": "string"}}}}}


@blp.route("/<int:file_id>")
class FileById(MethodView):
    @blp.doc(responses=FILE)
    def get(self, file_id):
        """A stored file, with its type, size and SHA-256 in the headers"""
        with unit_of_work() as session:
            return download(files.load(session, actor(), file_id))


def download(stored: StoredFile) -> Response:
    """The file whole, with its type, name and SHA-256 (also for the pages' downloads)."""
    name = stored.name.replace('"', "'")
    return Response(
        stored.data,
        mimetype=stored.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Digest": f"sha-256={stored.sha256}",
        },
    )
