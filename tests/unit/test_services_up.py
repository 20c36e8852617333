"""scripts/services-up on a machine without the services: it says how to get them and stops."""

import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "services-up"


def test_missing_services_are_named_with_how_to_get_them_and_the_script_fails(tmp_path):
    # A PATH holding only the shell and its helpers hides pg_ctlcluster, redis-server, rabbitmq.
    for tool in ("bash", "seq", "sleep", "ls", "cat"):
        (tmp_path / tool).symlink_to(shutil.which(tool))
    done = subprocess.run(
        [str(SCRIPT)], env={"PATH": str(tmp_path)}, capture_output=True, text=True, timeout=30
    )
    assert done.returncode != 0
    for name in ("PostgreSQL", "Redis", "RabbitMQ", "apt-get install", "docker compose"):
        assert name in done.stderr
    assert "Traceback" not in done.stderr
