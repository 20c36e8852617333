"""deploy/Dockerfile: one multi-stage image, run as a non-root user, pinned bases."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.deploy.support import DEPLOY, compose, pinned

DOCKERFILE = (DEPLOY / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    return re.findall(rf"^{name}\s+(.+)$", DOCKERFILE, re.MULTILINE)


def test_the_image_is_built_in_stages_from_a_pinned_base():
    assert len(instructions("FROM")) >= 2
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.MULTILINE).group(1)
    assert pinned(base), base


def test_the_image_runs_as_a_non_root_user():
    user = instructions("USER")[-1].split(":")[0]
    assert user not in ("root", "0")
    assert DOCKERFILE.rfind("USER") > DOCKERFILE.rfind("FROM")


def test_its_pg_dump_is_the_major_version_of_the_postgresql_it_backs_up():
    client = re.search(r"postgresql-client-(\d+)", DOCKERFILE).group(1)
    server = compose()["services"]["postgres"]["image"].split(":")[1].split(".")[0]
    assert client == server


def test_the_api_runs_in_production_without_a_gunicorn_control_socket():
    # gunicorn reads its config file as it would in the container and prints what it took.
    printed = subprocess.run(
        [
            Path(sys.executable).parent / "gunicorn",
            "--config",
            DEPLOY / "gunicorn.conf.py",
            "--print-config",
            "services.crm.entrypoints.api.app:wsgi()",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert re.search(r"^control_socket_disable\s+= True$", printed, re.MULTILINE)
    assert "ENVIRONMENT=production" in DOCKERFILE
