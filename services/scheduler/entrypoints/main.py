"""Process entry point of the scheduler: ``scheduler``."""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from shared import config, process


def idle(settings: config.Settings, engine: Engine, stop: threading.Event) -> None:
    # Call plans and timers arrive with their own issue; until then the
    # process holds its connections and stops cleanly on SIGTERM.
    stop.wait()


def main() -> None:
    process.run("scheduler", idle)


if __name__ == "__main__":
    main()
