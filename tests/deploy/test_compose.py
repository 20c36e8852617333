"""deploy/compose.yaml: valid Compose, every process of the system, safe to commit."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import make_url

from tests.deploy.support import APP_IMAGE, DEPLOY, ROOT, compose, pinned, process

COMPOSE = DEPLOY / "compose.yaml"
SECRET_KEY = re.compile(r"PASS|SECRET|TOKEN|AUTH", re.IGNORECASE)
INTERPOLATED = re.compile(r"^\$\{[A-Z_]+(:?[-?][^}]*)?\}$")
CREDENTIALS_IN_URL = re.compile(r"://[^:/@]*:([^@]+)@")


def app_services() -> dict[str, dict]:
    return {
        name: svc
        for name, svc in compose()["services"].items()
        if svc["image"].startswith(f"{APP_IMAGE}:")
    }


def test_the_file_follows_the_compose_specification_schema():
    # check-jsonschema ships the Compose Specification's schema: no network needed.
    done = subprocess.run(
        [
            Path(sys.executable).parent / "check-jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            COMPOSE,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_process_of_the_system_runs_from_the_one_image():
    commands = {name: process(svc["command"]) for name, svc in app_services().items()}
    assert commands == {
        "migrate": ("crm-ops", "migrate"),
        "api": ("gunicorn", "services.crm.entrypoints.api.app:wsgi()"),
        "worker": ("dramatiq", "services.crm.entrypoints.actors", "--queues", "crm"),
        "relay": ("crm-relay",),
        "scheduler": ("scheduler",),
        "scheduler-worker": (
            "dramatiq",
            "services.scheduler.entrypoints.actors",
            "--queues",
            "scheduler",
        ),
        "notifier": ("notifier",),
        "mail": ("crm-mail",),
        "notifier-worker": (
            "dramatiq",
            "services.notifier.entrypoints.actors",
            "--queues",
            "notifier",
        ),
    }
    scripts = (ROOT / "pyproject.toml").read_text()
    for command in commands.values():
        program = command[0]
        assert program in ("dramatiq", "gunicorn") or f'\n{program} = "' in scripts, program
        for module in (word for word in command if word.startswith("services.")):
            path = ROOT / module.split(":")[0].replace(".", "/")
            assert path.with_suffix(".py").exists(), module


def test_two_scheduler_instances_share_the_due_work():
    assert compose()["services"]["scheduler"]["deploy"]["replicas"] == 2


def test_every_service_has_a_health_check_and_a_restart_policy_and_the_migration_runs_first():
    services = compose()["services"]
    for name, svc in services.items():
        assert svc.get("restart"), f"{name} has no restart policy"
        check = svc.get("healthcheck", {})
        if name == "migrate":
            assert check.get("disable") is True
        else:
            assert check.get("test") and not check.get("disable"), f"{name} has no health check"
    for name, svc in app_services().items():
        if name != "migrate":
            assert svc["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_every_image_is_pinned_to_a_release():
    for name, svc in compose()["services"].items():
        assert pinned(svc["image"]), f"{name}: {svc['image']}"


def test_no_secret_is_written_in_the_file():
    def values(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from values(v, str(k))
        elif isinstance(node, list):
            for v in node:
                yield from values(v, key)
        else:
            yield key, str(node)

    for key, value in values(compose()):
        if SECRET_KEY.search(key):
            assert INTERPOLATED.match(value), f"{key} holds a literal: {value}"
        for password in CREDENTIALS_IN_URL.findall(value):
            assert INTERPOLATED.match(password), f"{key} has a password in its URL"
    assert "guest" not in COMPOSE.read_text()


def test_data_lives_in_named_volumes():
    spec = compose()
    for name, path in {
        "postgres": "/var/lib/postgresql/data",
        "rabbitmq": "/var/lib/rabbitmq",
        "redis": "/data",
    }.items():
        mounts = [m.split(":") for m in spec["services"][name]["volumes"]]
        assert [v for v, target, *_ in mounts if target == path and v in spec["volumes"]], name


def test_rabbitmq_makes_quorum_queues_and_runs_the_management_plugin():
    rabbitmq = compose()["services"]["rabbitmq"]
    assert rabbitmq["image"].endswith("-management")
    conf = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    assert re.search(r"^default_queue_type\s*=\s*quorum$", conf, re.MULTILINE)
    assert "rabbitmq_management" in (DEPLOY / "rabbitmq" / "enabled_plugins").read_text()


def test_only_the_migration_connects_as_the_owner_and_every_process_runs_as_production():
    services = app_services()
    owner = make_url(services["migrate"]["environment"]["MIGRATION_DATABASE_URL"]).username
    for name, svc in services.items():
        env = svc["environment"]
        assert make_url(env["DATABASE_URL"]).username not in (owner, None), name
        assert ("MIGRATION_DATABASE_URL" in env) == (name == "migrate"), name
        assert env["ENVIRONMENT"] == "production", name
