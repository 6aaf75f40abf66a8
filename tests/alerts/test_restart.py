"""The chain is the outbox: a queued alert survives a SIGKILL of the sending process and is sent after a
restart; `kiosk alerts list` and `run-once` show and send it."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.domain.events import EventKind
from kiosk.domain.staff import MAX_FAILED_ATTEMPTS, AuthError, Role
from kiosk.ledger import models
from kiosk.ledger.engine import make_engine
from kiosk.ledger.service import Ledger
from tests import warm
from tests.alerts.conftest import Relay, wait_until
from tests.reliability.helpers import KIOSK, PEPPER, env, init


class Stall:
    """A "relay" that accepts connections and never says a word: the sender waits inside a delivery."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            while True:
                conn, _ = self.sock.accept()
                self.held.append(conn)
                self.accepted.set()
        except OSError:
            return

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def stall() -> Iterator[Stall]:
    s = Stall()
    yield s
    s.close()


def alerts_env(tmp: Path, port: int) -> dict[str, str]:
    out = env(tmp)
    out.update(
        KIOSK_ALERTS__SMTP_HOST="127.0.0.1",
        KIOSK_ALERTS__SMTP_PORT=str(port),
        KIOSK_ALERTS__SENDER="kiosk@office.example",
        KIOSK_ALERTS__RECIPIENTS='["kacho@office.example"]',
        KIOSK_ALERTS__POLL_SECONDS="0.2",
        KIOSK_ALERTS__TIMEOUT_SECONDS="120",
    )
    return out


def kiosk(tmp: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    return warm.run(
        [*KIOSK, *args],
        capture_output=True,
        text=True,
        env=alerts_env(tmp, port),
        cwd=tmp,
        timeout=120,
        check=False,
    )


def open_ledger(tmp: Path) -> Ledger:
    return Ledger(make_engine(env(tmp)["KIOSK_DB_URL"]), pepper=PEPPER.encode())


def kinds(ledger: Ledger, kind: EventKind) -> list[int]:
    with ledger.read() as s:
        return list(s.scalars(select(models.Event.seq).where(models.Event.kind == kind)))


@pytest.mark.timeout(180)
def test_a_queued_alert_survives_a_sigkill_and_is_sent_after_the_restart(
    tmp_path: Path, stall: Stall, relay_down: Relay
) -> None:
    init(tmp_path)
    first = kiosk(tmp_path, stall.port, "alerts", "run-once")  # the sender starts at the head
    assert first.returncode == 0, first.stderr
    ledger = open_ledger(tmp_path)
    ledger.add_staff(name="窓口 一郎", badge="C001", employee_no="E-C001", role=Role.CLERK, pin="3333")
    desk = Desk(ledger, Settings())
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(AuthError):
            desk.sign_in("C001", "0000")

    sender = subprocess.Popen(
        [*KIOSK, "alerts", "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=alerts_env(tmp_path, stall.port),
        cwd=tmp_path,
    )
    try:
        # Queued (committed), and the sender is inside the delivery when it is killed.
        wait_until(lambda: bool(kinds(ledger, EventKind.ALERT_QUEUED)), timeout=60)
        assert stall.accepted.wait(60)
    finally:
        sender.send_signal(signal.SIGKILL)
        sender.wait(30)
    assert kinds(ledger, EventKind.ALERT_SENT) == []
    assert kinds(ledger, EventKind.ALERT_FAILED) == []

    listed = kiosk(tmp_path, stall.port, "alerts", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (line,) = [json.loads(x) for x in listed.stdout.splitlines()]
    assert (line["alert"], line["state"]) == ("lockout", "queued")

    relay_down.start()  # the relay is back: the restarted sender (the killed one's lease is void) sends
    again = kiosk(tmp_path, relay_down.port, "alerts", "run-once")
    assert again.returncode == 0, again.stderr
    assert "sent 1" in again.stdout
    (mail,) = relay_down.inbox.texts()
    assert "職員がロックされました" in mail[0]
    assert "窓口 一郎" in mail[1]
    assert len(kinds(ledger, EventKind.ALERT_QUEUED)) == 1  # queued once, not again after the restart
    listed = kiosk(tmp_path, relay_down.port, "alerts", "list")
    assert "[sent]" in listed.stdout
    ledger.engine.dispose()


def test_run_once_says_when_alerts_are_off(tmp_path: Path) -> None:
    init(tmp_path)
    done = warm.run(
        [*KIOSK, "alerts", "run-once"],
        capture_output=True,
        text=True,
        env=env(tmp_path),
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 1
    assert "alerts are off" in done.stderr


def test_alerts_test_sends_a_test_message_and_says_when_the_relay_is_down(
    tmp_path: Path, relay_down: Relay
) -> None:
    init(tmp_path)
    down = kiosk(tmp_path, relay_down.port, "alerts", "test")
    assert down.returncode == 1
    assert "mail: NOT sent: ConnectionRefusedError" in down.stdout
    relay_down.start()
    up = kiosk(tmp_path, relay_down.port, "alerts", "test")
    assert up.returncode == 0, up.stderr
    assert "mail: sent" in up.stdout
    (mail,) = relay_down.inbox.texts()
    assert mail[0] == "【保管庫通知】送信テスト"
    ledger = open_ledger(tmp_path)
    assert kinds(ledger, EventKind.ALERT_QUEUED) == []  # a test is not an alert
    ledger.engine.dispose()


def test_a_ledger_refused_at_start_alerts_directly_once_not_per_restart(tmp_path: Path, relay: Relay) -> None:
    init(tmp_path)
    with sqlite3.connect(tmp_path / "var" / "ledger.sqlite3") as conn:
        conn.execute("DELETE FROM ledger_meta")  # someone emptied the ledger's identity
    conn.close()
    refused = kiosk(tmp_path, relay.port, "staff", "list")
    assert refused.returncode == 3
    (mail,) = relay.inbox.texts()
    assert "管理簿が起動時の検査で拒否されました" in mail[0]
    assert "identity (ledger_meta) was removed" in mail[1]
    again = kiosk(tmp_path, relay.port, "staff", "list")  # a service restarting in a loop
    assert again.returncode == 3
    assert len(relay.inbox.mails) == 1
