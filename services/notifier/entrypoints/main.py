"""Process entry point of the notifier: ``notifier``."""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from shared import config, process


def idle(settings: config.Settings, engine: Engine, stop: threading.Event) -> None:
    # Task assignment and delivery arrive with their own issue; until then the
    # process holds its connections and stops cleanly on SIGTERM.
    stop.wait()


def main() -> None:
    process.run("notifier", idle)


if __name__ == "__main__":
    main()
