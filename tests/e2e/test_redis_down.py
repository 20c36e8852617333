"""The API with Redis away: it answers, what needs Redis says why it cannot, nothing is lost."""

from __future__ import annotations

import requests

from tests import factories
from tests.e2e.conftest import Service, free_port
from tests.helpers import eventually


def test_without_redis_the_api_answers_and_what_needs_redis_refuses_with_a_reason(
    system, sessions, tmp_path
):
    # The shared Redis stays up: this API is pointed at a port where nothing listens.
    env = {**system.env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    api = system.services["api"] = Service("api", env, tmp_path, system.port).start()
    url = system.url

    def spec_served() -> bool:
        try:
            return requests.get(f"{url}/openapi.json", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    eventually(spec_served, timeout=90)
    _, email, password, token = factories.web_user(sessions, "manager")
    headers = {"Authorization": f"Bearer {token}"}

    # The API's own work needs only PostgreSQL (and the broker, through the outbox).
    created = requests.post(f"{url}/api/leads", json={"name": "Globex"}, headers=headers)
    assert created.status_code == 201, created.text
    listed = requests.get(f"{url}/api/leads", headers=headers, timeout=10)
    assert [lead["name"] for lead in listed.json()] == ["Globex"]

    # Health says which dependency is missing.
    health = requests.get(f"{url}/health", timeout=10)
    assert health.status_code == 503
    assert health.json()["checks"]["redis"].startswith("error")
    assert health.json()["checks"]["database"] == "ok"

    # Signing in to the workspace (sessions, the rate limit of failed sign-ins) needs Redis.
    login = requests.post(
        f"{url}/login",
        data={"email": email, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    assert login.status_code == 503, login.text
    assert "unavailable" in login.text
    assert "Set-Cookie" not in login.headers
    assert "unavailable" in requests.get(f"{url}/login", timeout=10).text
    # Live updates ride on a signed-in session: refused with the same reason.
    stream = requests.get(f"{url}/live", timeout=10, stream=True)
    assert stream.status_code == 503

    assert api.proc.poll() is None
    assert "Traceback" not in api.logs()
