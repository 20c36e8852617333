"""A Flask app of one write: the floor under every write request of the CRM API.

bench/api_load.py runs it with gunicorn exactly as the CRM API runs (deploy/gunicorn.conf.py,
gevent workers): ``POST /insert`` inserts one row into the raw loop's table and commits,
through the project's own engine and transaction (shared/db.py), and answers JSON. What it
sustains is what the web stack alone lets a write request reach on this machine, before any
of the CRM's own work: authentication, rules, history, outbox.
"""

from __future__ import annotations

import itertools
import os

from flask import Flask
from sqlalchemy import text

from shared.db import make_engine, make_session_factory, transaction

INSERT = text("INSERT INTO public.raw_inserts (subject_id, status_id) VALUES (:subject, :status)")


def wsgi() -> Flask:
    app = Flask(__name__)
    sessions = make_session_factory(make_engine(os.environ["DATABASE_URL"]))
    count = itertools.count()

    @app.post("/insert")
    def insert() -> dict[str, int]:
        n = next(count)
        with transaction(sessions) as session:
            session.execute(INSERT, {"subject": n, "status": 1 + n % 2})
        return {"inserted": n}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
