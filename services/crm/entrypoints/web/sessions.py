"""Server-side web sessions in Redis: the cookie holds a random id, Redis the contents.

Each session expires after ``web_session_hours`` without a request (the key's TTL is
renewed on every request). Each employee's session ids are kept in a set, so "log out
everywhere" deletes them all. The id changes at sign-in, so an id planted before it
(session fixation) is worth nothing. Redis down: the session is empty, the page says
sign-in is unavailable; the API's bearer tokens do not depend on it.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import timedelta

import redis
from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

log = logging.getLogger(__name__)

COOKIE = "crm_session"
SID = re.compile(r"^[A-Za-z0-9_-]{43}$")


class RedisSession(CallbackDict, SessionMixin):
    def __init__(self, initial: dict | None = None, sid: str | None = None):
        super().__init__(initial or {}, on_update=lambda s: setattr(s, "modified", True))
        self.sid = sid
        self.modified = False
        self.rotate = False  # a new id at the next save (set at sign-in)
        self.unavailable = False  # Redis did not answer


class RedisSessionInterface(SessionInterface):
    def __init__(self, client: redis.Redis, namespace: str, idle: timedelta):
        self.client, self.namespace, self.idle = client, namespace, idle

    def key(self, sid: str) -> str:
        return f"{self.namespace}:session:{sid}"

    def index(self, employee_id: int) -> str:
        return f"{self.namespace}:sessions-of:{employee_id}"

    def open_session(self, app: Flask, request: Request) -> RedisSession:
        sid = request.cookies.get(COOKIE, "")
        if not SID.match(sid):
            return RedisSession()
        try:
            raw = self.client.get(self.key(sid))
        except redis.RedisError as exc:
            log.warning("web sessions unavailable", extra={"error": str(exc)})
            empty = RedisSession()
            empty.unavailable = True
            return empty
        return RedisSession(json.loads(raw), sid) if raw else RedisSession()

    def save_session(self, app: Flask, session: RedisSession, response: Response) -> None:  # type: ignore[override]
        if session.unavailable:
            return
        secure = app.config["SESSION_COOKIE_SECURE"]
        try:
            if not session:
                if session.sid:
                    self.client.delete(self.key(session.sid))
                    response.delete_cookie(COOKIE, path="/", secure=secure, samesite="Lax")
                return
            if session.sid is None or session.rotate:
                if session.sid:
                    self.client.delete(self.key(session.sid))
                session.sid = secrets.token_urlsafe(32)
            self._store(session)
        except redis.RedisError as exc:
            log.warning("web session not saved", extra={"error": str(exc)})
            return
        response.set_cookie(
            COOKIE, session.sid, httponly=True, secure=secure, samesite="Lax", path="/"
        )

    def _store(self, session: RedisSession) -> None:
        pipe = self.client.pipeline()
        pipe.set(self.key(session.sid), json.dumps(dict(session)), ex=self.idle)
        employee_id = session.get("employee_id")
        if employee_id is not None:
            pipe.sadd(self.index(employee_id), session.sid)
            pipe.expire(self.index(employee_id), self.idle)
        pipe.execute()

    def reachable(self, session: RedisSession) -> bool:
        """Whether sessions can be kept now: Redis answered this request's read, or a ping."""
        if session.unavailable:
            return False
        if session.sid:
            return True
        try:
            return bool(self.client.ping())
        except redis.RedisError as exc:
            log.warning("web sessions unavailable", extra={"error": str(exc)})
            return False

    def alive(self, sid: str | None) -> bool:
        """Whether a session still exists (a live stream stops once it is logged out)."""
        try:
            return bool(sid) and bool(self.client.exists(self.key(sid)))
        except redis.RedisError:
            return True  # Redis briefly away is not a logout

    def end_all(self, employee_id: int) -> int:
        """Log the employee out everywhere: every session of theirs is deleted."""
        sids = self.client.smembers(self.index(employee_id))
        keys = [self.key(s.decode() if isinstance(s, bytes) else s) for s in sids]
        self.client.delete(*keys, self.index(employee_id))
        return len(keys)
