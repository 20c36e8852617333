"""An employee's webhook: only public targets are saved, and its signing secret is shown once."""

from __future__ import annotations

import json

from shared.webhooks import recipient_secret
from tests.integration.crm.support import field_errors, not_refused_by_name, outbox_of

INSIDE = [
    ("http://127.0.0.2:8080/hook", "127.0.0.2 is a loopback address"),  # only 127.0.0.1 allowed
    ("http://localhost/hook", "loopback address"),
    ("http://[::1]/hook", "::1 is a loopback address"),
    ("http://0x7f000001/hook", "127.0.0.1 is a loopback address"),
    ("http://10.0.0.5/hook", "10.0.0.5 is a private address"),
    ("http://172.16.0.1/hook", "172.16.0.1 is a private address"),
    ("https://192.168.1.10/hook", "192.168.1.10 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://100.64.0.1/hook", "100.64.0.1 is not a public address"),
    ("http://0.0.0.0:8000/hook", "0.0.0.0 is an unspecified address"),
    ("http://[::ffff:a01:101]/hook", "10.1.1.1 is a private address"),  # IPv4-mapped
    ("http://[fd00::1]/hook", "fd00::1 is a private address"),
    ("http://2130706433/hook", "127.0.0.1 is a loopback address"),
    ("http://user:pw@93.184.216.34/hook", "must not carry credentials"),
]


def test_an_employee_cannot_point_their_webhook_inside_the_network(as_role, sessions):
    me = as_role("manager")
    before = len(outbox_of(sessions, "EmployeeChanged"))
    for url, reason in INSIDE:
        r = me.patch(f"/api/employees/{me.id}", json={"webhook_url": url})
        [message] = field_errors(r)["webhook_url"]
        assert reason in message, (url, message)
    assert me.get(f"/api/employees/{me.id}").json["webhook_url"] is None
    assert len(outbox_of(sessions, "EmployeeChanged")) == before  # nothing reached the notifier


def test_an_admin_cannot_create_an_employee_with_an_internal_webhook(admin):
    cases = [
        (
            {"name": "Eve", "email": f"eve{i}@example.com", "role": "manager", "webhook_url": url},
            "webhook_url",
        )
        for i, (url, _) in enumerate(INSIDE)
    ]
    assert not_refused_by_name(admin, "post", "/api/employees", cases) == []


def test_public_targets_and_hosts_the_admin_allows_are_saved(as_role):
    me = as_role("manager")
    for url in (
        "https://93.184.216.34/hook",  # a public address
        "https://hooks.example/me",  # a name not published yet: checked again at each send
        "http://127.0.0.1:9999/sink",  # WEBHOOK_ALLOWED_HOSTS of the test run
    ):
        r = me.patch(f"/api/employees/{me.id}", json={"webhook_url": url})
        assert r.status_code == 200, r.json
        assert r.json["webhook_url"] == url


def test_a_new_webhook_secret_is_shown_once_and_only_its_version_travels(
    as_role, admin, settings, sessions
):
    me, colleague = as_role("manager"), as_role("manager")
    me.patch(f"/api/employees/{me.id}", json={"webhook_url": "https://93.184.216.34/hook"})
    assert me.get(f"/api/employees/{me.id}").json["webhook_secret_version"] == 0

    first = me.post(f"/api/employees/{me.id}/webhook-secret")
    second = me.post(f"/api/employees/{me.id}/webhook-secret")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json["webhook_secret_version"] == 1
    assert second.json["webhook_secret_version"] == 2
    secret = second.json["webhook_secret"]
    assert secret.startswith("whsec_") and secret != first.json["webhook_secret"]
    # The notifier derives the same secret from the version it is told: they agree.
    assert secret == recipient_secret(settings.webhook_secret, me.id, 2)

    shown = me.get(f"/api/employees/{me.id}").json
    assert shown["webhook_secret_version"] == 2 and "webhook_secret" not in shown
    events = outbox_of(sessions, "EmployeeChanged")
    assert events[-1].data["webhook_secret_version"] == 2
    assert not [e for e in events if "whsec_" in json.dumps(e.data)]

    assert colleague.post(f"/api/employees/{me.id}/webhook-secret").status_code == 403
    assert admin.post(f"/api/employees/{me.id}/webhook-secret").status_code == 201
    assert admin.post("/api/employees/999999/webhook-secret").status_code == 404
