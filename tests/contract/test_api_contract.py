"""The API keeps its published contract: schemathesis, every check and phase, finds nothing.

A bounded, seeded run of the schemathesis CLI (the same tool as an outside tester's) against
the API served from this process, on a sandbox database with the demo data, once with an
admin's token and once with a manager's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.crm.entrypoints.api.app import create_app
from tests.contract.world import demo_tokens, served
from tests.sandbox import sandbox

SEED = 20261129
MAX_EXAMPLES = 3  # per operation and phase: the whole run stays within a few minutes
# The coverage phase's cases (every boundary and wrong type of every field) do not depend on
# who asks: the admin's run walks them, and chains requests (the admin may create what the
# manager may only read); the manager's generates and chains requests. Each phase runs once
# or twice, not four times: the suite has minutes, not hours.
PHASES = {
    "admin": "examples,coverage,stateful",
    "manager": "examples,fuzzing,stateful",
}
HERE = Path(__file__).parent
ROOT = HERE.parents[1]


@pytest.fixture(scope="module")
def api():
    with sandbox("crm_contract", durable=False) as settings:
        tokens = demo_tokens(settings)
        app = create_app(settings)
        with served(app) as url:
            yield url, tokens
        app.extensions["crm.engine"].dispose()


def schemathesis(url: str, token: str, phases: str, workdir: Path) -> subprocess.CompletedProcess:
    """Run the CLI in ``workdir`` (its cache of past failures stays there, out of later runs)."""
    st = Path(sys.executable).with_name("st")
    command = [
        str(st),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{url}/openapi.json",
    ]
    command += ["-H", f"Authorization: Bearer {token}"]
    command += ["--checks", "all", "--phases", phases]
    command += ["--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES), "--workers", "2"]
    command += ["--generation-database", "none", "--no-color"]
    command += ["--report", "json", "--report-json-path", str(workdir / "report.json")]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.contract.hooks", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=900, cwd=workdir, env=env
    )


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_schemathesis_finds_no_failure_of_any_check(api, role, tmp_path):
    url, tokens = api
    run = schemathesis(url, tokens[role], PHASES[role], tmp_path)
    figures = json.loads((tmp_path / "report.json").read_text())
    found = [(f["code"], f["title"], f["operations"]) for f in figures["failures"]]
    assert (found, figures["errors"]) == ([], []), run.stdout[-20000:]
    assert figures["test_cases"]["generated"] > 500  # it did reach the whole API
    assert run.returncode == 0, run.stdout[-20000:]
