"""Real service processes, started as an operator would, on the run's database and vhost."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.asyncapi_check import envelope_errors
from tests.helpers import bind_events, clean_broker, drain_queue, eventually

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def procfile(api_port: int | str = "{port}") -> dict[str, list[str]]:
    """The processes of the Procfile that `make run` starts, as argv lists for this venv."""
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, sep, command = line.partition(":")
        if not sep or name.startswith("#"):
            continue
        command = command.replace("${API_BIND:-127.0.0.1:8000}", f"127.0.0.1:{api_port}")
        argv = shlex.split(os.path.expandvars(re.sub(r"\$\{(\w+):-([^}]*)\}", r"\2", command)))
        commands[name.strip()] = [str(BIN / Path(argv[0]).name), *argv[1:]]
    return commands


COMMANDS = procfile()
# Everything `make run` starts, as separate OS processes.
ALL = tuple(COMMANDS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """One OS process of the system; logs go to a file beside the test's tmp dir."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, port: int | None = None):
        self.name = name
        self.argv = [a.format(port=port) for a in COMMANDS[name]]
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Service:
        log = open(self.log_path, "ab")  # noqa: SIM115 (closed with the process)
        # The checkout's own code first: the console scripts would otherwise import the
        # package wherever the virtualenv installed it from (another worktree, say).
        env = {**self.env, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean-up code runs."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def terminate(self) -> bool:
        """SIGTERM to the leader (dramatiq and gunicorn stop their children themselves)."""
        running = bool(self.proc and self.proc.poll() is None)
        if running:
            self.proc.send_signal(signal.SIGTERM)
        return running

    def wait(self) -> int | None:
        if self.proc:
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode if self.proc else None

    def stop(self) -> int | None:
        self.terminate()
        return self.wait()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture()
def system(settings, broker, tmp_path, clean_db):
    """Start named services: ``system.start("api", "relay")``; all stopped after the test."""

    clean_broker(broker)

    class System:
        def __init__(self):
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self.mail_port = free_port()
            self.env = {
                **os.environ,
                "DATABASE_URL": settings.database_url,
                "BROKER_URL": settings.broker_url,
                "REDIS_URL": settings.redis_url,
                "RELAY_POLL_SECONDS": "0.2",
                "MAIL_PORT": str(self.mail_port),
                "LOG_LEVEL": "INFO",
            }
            self.services: dict[str, Service] = {}

        def start(self, *names: str) -> System:
            for name in names:
                service = Service(name, self.env, tmp_path, self.port)
                self.services[name] = service.start()
            if "api" in names:
                # Importing the app takes a while on a machine busy with other work.
                eventually(self._api_up, timeout=90)
            return self

        def _api_up(self) -> bool:
            try:
                return requests.get(f"{self.url}/health", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        def restart(self, name: str) -> None:
            self.services[name].kill()
            self.services[name].start()

        def stop_all(self) -> dict[str, int | None]:
            # All told at once: each winds down in its own time, not after the one before.
            for service in self.services.values():
                service.terminate()
            return {name: s.wait() for name, s in self.services.items()}

    system = System()
    yield system
    codes = system.stop_all()
    clean_broker(broker)  # nothing this test left may reach the next one
    for name, service in system.services.items():
        if codes[name] not in (0, -15, None):
            print(f"--- {name} exited {codes[name]}:\n{service.logs()[-3000:]}")


@pytest.fixture()
def documented_events(system, amqp, settings):
    """Every event published on the exchange during the test matches the AsyncAPI document the
    running API serves: a queue bound to everything, checked when the test ends."""
    queue = bind_events(amqp, settings.events_exchange)
    yield
    received = drain_queue(amqp, queue)
    doc = requests.get(f"{system.url}/asyncapi.json", timeout=10).json()
    errors = [
        error
        for method, props, body in received
        for error in envelope_errors(doc, body, method.routing_key)
        + ([] if props.type == body.get("type") else [f"AMQP type {props.type} of {body}"])
    ]
    assert received, "no event was published on the exchange"
    assert errors == []


@pytest.fixture()
def sinks():
    """An SMTP server and a webhook receiver the notifier delivers to: (smtp, webhook)."""
    from tests.integration.notifier.sinks import SmtpSink, WebhookServer

    smtp, webhook = SmtpSink().start(), WebhookServer().start()
    yield smtp, webhook
    smtp.stop()
    webhook.stop()


# ---- Browser tests: Playwright driving Debian's Chromium (installed by .ci/run) ----

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the run; nothing is downloaded, the system's browser is used."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture()
def browser_pages(chromium, request, tmp_path):
    """Open pages, each in its own browser context (its own cookies): ``browser_pages()``.

    When the test fails, every page's screenshot is kept under the test's tmp dir.
    """
    contexts = []

    def new_page(timezone: str = "Europe/Kyiv"):
        context = chromium.new_context(
            locale="en-US", timezone_id=timezone, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = tmp_path / "screenshots"
        folder.mkdir(exist_ok=True)
        for n, context in enumerate(contexts):
            for m, page in enumerate(context.pages):
                path = folder / f"{request.node.name}-{n}-{m}.png"
                page.screenshot(path=str(path), full_page=True)
                print(f"screenshot of the failed test: {path}")
    for context in contexts:
        context.close()
