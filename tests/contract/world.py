"""The API as schemathesis meets it: a sandbox database with the demo data, and tokens."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import select
from werkzeug.serving import make_server

from services.crm.adapters.orm import Employee
from services.crm.demo import load
from services.crm.handlers.employees import issue_token
from shared import config
from shared.db import make_engine, make_session_factory, transaction
from tests.sandbox import sandbox

MANAGER_EMAIL = "maria@demo.example"


def demo_tokens(settings: config.Settings) -> dict[str, str]:
    """Load the demo data once; bearer tokens of its admin and of a manager."""
    engine = make_engine(settings.database_url, pool_size=1)
    sessions = make_session_factory(engine)
    try:
        with transaction(sessions) as session:
            admin = load(session, settings)
            manager = session.scalar(select(Employee.id).where(Employee.email == MANAGER_EMAIL))
            return {"admin": admin, "manager": issue_token(session, None, manager, "contract")}
    finally:
        engine.dispose()


@contextmanager
def served(app) -> Iterator[str]:
    """``app`` answering HTTP on a free local port, in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def main() -> None:
    """Serve the API under gunicorn on a sandbox database for the schemathesis CLI.

    ``python -m tests.contract.world PORT`` prints the tokens, then runs gunicorn until
    Ctrl-C; the sandbox is dropped afterwards.
    """
    port = sys.argv[1] if len(sys.argv) > 1 else "8765"
    with sandbox("crm_contract") as settings:
        for role, token in demo_tokens(settings).items():
            print(f"{role.upper()}_TOKEN={token}", flush=True)
        env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "BROKER_URL": settings.broker_url,
        }
        gunicorn = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
        gunicorn += ["--workers", "2", "--worker-class", "gevent", "--no-control-socket"]
        gunicorn += ["--limit-request-line", "8190"]  # as the Procfile
        with suppress(KeyboardInterrupt):
            subprocess.run([*gunicorn, "services.crm.entrypoints.api.app:wsgi()"], env=env)


if __name__ == "__main__":
    main()
