"""deploy/Dockerfile: one multi-stage image, run as a non-root user, pinned bases."""

from __future__ import annotations

import re

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
