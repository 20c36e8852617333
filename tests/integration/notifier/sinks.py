"""Local receivers of the notifier's channels: an SMTP sink (aiosmtpd) and a webhook server."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections import defaultdict
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from aiosmtpd.controller import Controller


def free_port() -> int:
    # aiosmtpd connects to its own port to check it is up, so it needs a real one, not 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """A real SMTP server on 127.0.0.1 that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> Self:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class WebhookServer:
    """An HTTP server that records every POST; ``fail[path] = n`` answers 503 to the first n,
    ``redirect[path] = url`` answers 302 to it; any other method is counted in ``calls``."""

    def __init__(self):
        self.requests: list[dict[str, Any]] = []
        self.fail: dict[str, int] = defaultdict(int)
        self.redirect: dict[str, str] = {}
        self.calls: dict[str, int] = defaultdict(int)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.calls[self.path] += 1
                if self.path in server.redirect:
                    self.send_response(302)
                    self.send_header("Location", server.redirect[self.path])
                    self.end_headers()
                    return
                if server.calls[self.path] <= server.fail[self.path]:
                    self.send_response(503)
                    self.end_headers()
                    return
                server.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(204)
                self.end_headers()

            def do_GET(self):
                server.calls[self.path] += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> WebhookServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def received(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]

    @staticmethod
    def json(request: dict[str, Any]) -> dict[str, Any]:
        return json.loads(request["body"])
