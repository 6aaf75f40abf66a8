"""Real receivers for the alerts: an SMTP server (aiosmtpd) and an HTTP server on loopback."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kiosk.config import AlertSettings, Settings
from kiosk.desk import Desk
from kiosk.ledger.service import Ledger


def free_port() -> int:
    """A loopback port nobody listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@dataclass
class Inbox:
    """What the SMTP server received."""

    mails: list[Message] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(envelope.content)
        self.recipients.append(list(envelope.rcpt_tos))
        self.mails.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def texts(self) -> list[tuple[str, str]]:
        """(subject, body) of each mail."""
        out = []
        for mail in self.mails:
            body = mail.get_body(("plain",))
            assert body is not None
            out.append((str(mail["Subject"]), body.get_content()))
        return out


class Relay:
    """The office's mail relay on a fixed loopback port, which a test can stop and start."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def relay() -> Iterator[Relay]:
    """A relay that is up (stop() it to make it down)."""
    r = Relay()
    r.start()
    yield r
    r.stop()


@pytest.fixture
def relay_down() -> Iterator[Relay]:
    """A relay that is down until the test starts it."""
    r = Relay()
    yield r
    r.stop()


@dataclass
class Hook:
    """An in-house webhook receiver: every POST's JSON body."""

    url: str
    posts: list[dict[str, Any]]
    status: list[int]


@pytest.fixture
def webhook() -> Iterator[Hook]:
    posts: list[dict[str, Any]] = []
    status = [200]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            assert self.headers.get_content_type() == "application/json"
            posts.append(json.loads(body.decode("utf-8")))
            self.send_response(status[0])
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Hook(f"http://127.0.0.1:{server.server_address[1]}/hooks/kiosk", posts, status)
    server.shutdown()
    server.server_close()


def alert_settings(port: int | None = None, webhook_url: str = "", **extra: Any) -> Settings:
    """Default settings with e-mail to the loopback relay on `port` (None: no e-mail)."""
    mail: dict[str, Any] = (
        {
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "sender": "kiosk@office.example",
            "recipients": ["kacho@office.example", "hokan@office.example"],
            "timeout_seconds": 5.0,
        }
        if port is not None
        else {}
    )
    return Settings(alerts=AlertSettings(**mail, webhook_url=webhook_url, **extra))


def alert_desk(ledger: Ledger, settings: Settings) -> Desk:
    return Desk(ledger, settings)


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait for `condition` with a deadline (never a bare sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.05)
