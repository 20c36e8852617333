"""Live notifications: a Server-Sent Events stream of the employee's new inbox entries.

The API runs under gunicorn's gevent workers, so an open stream is a greenlet waiting on a
queue, not a worker held for hours: hundreds of pages stay connected beside the API's
requests. Each process has one Redis subscription (adapters/live.Hub); a wake-up makes the
stream read what is new from PostgreSQL, after the last id it sent. A reconnecting page sends
that id back (``Last-Event-ID``) and gets what it missed; a periodic catch-up covers a
wake-up lost while Redis was away. A stream ends after a while and once its session is gone.
"""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator

from flask import Response, current_app, request, session, url_for

from services.crm.entrypoints.web.base import actor, bp, t
from services.crm.handlers import inbox
from shared.db import transaction
from shared.i18n import _

KEEP_ALIVE_SECONDS = 5  # a comment line: proxies keep the connection, a gone page is noticed
CATCH_UP_SECONDS = 30  # read PostgreSQL even without a wake-up (one lost while Redis was away)
STREAM_SECONDS = 300  # then the browser reconnects (and a stopping worker is not held up)


@bp.get("/live")
def live() -> Response:
    me = actor().id
    after = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
    last = int(after) if after.isdigit() else 0
    hub = current_app.extensions["web.hub"]
    factory = current_app.extensions["crm.sessions"]
    sessions = current_app.session_interface
    sid = session.sid  # type: ignore[attr-defined]
    title = t(_("New in your inbox"))
    link = url_for("web.inbox_page")

    def events() -> Iterator[str]:
        nonlocal last
        wake = hub.listen(me)
        try:
            yield "retry: 2000\n\n"
            ends = time.monotonic() + STREAM_SECONDS
            woken, read_at = True, 0.0
            while time.monotonic() < ends:
                if woken or time.monotonic() - read_at > CATCH_UP_SECONDS:
                    if not sessions.alive(sid):  # type: ignore[attr-defined]
                        return
                    with transaction(factory) as db:
                        notes = inbox.since(db, me, last)
                    read_at = time.monotonic()
                    for note in notes:
                        last = note.id
                        data = {"id": note.id, "text": note.text, "title": title, "url": link}
                        yield f"id: {note.id}\nevent: notification\ndata: {json.dumps(data)}\n\n"
                try:
                    woken = wake.get(timeout=KEEP_ALIVE_SECONDS)
                except queue.Empty:
                    woken = False
                    yield ": keep-alive\n\n"
        finally:
            hub.forget(me, wake)

    return Response(
        events(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
