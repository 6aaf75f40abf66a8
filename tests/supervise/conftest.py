"""Fixtures for the supervisor's view: a small office day on the ledger, and the app served for real."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import func, select

from kiosk.config import DEFAULT_CLOSING_CHECKLIST, DEFAULT_OPENING_CHECKLIST
from kiosk.domain.safe_session import Override, ScanMode
from kiosk.domain.staff import Role, StaffMember
from kiosk.ledger import models
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.safe import SessionView, add_to_pick_list, close_session, open_session, scan_in_session
from kiosk.ledger.service import Ledger, Verdict
from kiosk.supervise.app import ViewSettings, create_app
from tests.conftest import PINS, Crew, FakeClock, sqlite_url
from tests.ledger.helpers import ids, receive

ADMIN_PIN = "6666"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def event_count(ledger: Ledger) -> int:
    with ledger.read() as s:
        return int(s.scalar(select(func.count()).select_from(models.Event)) or 0)


def kinds_since(ledger: Ledger, seq: int) -> list[str]:
    return [e.kind for e in ledger.events() if e.seq > seq]


@dataclass
class Office:
    """A ledger with people and cards in the safe, and the steps of a day at the safe."""

    ledger: Ledger
    crew: Crew
    clock: FakeClock
    cards: list[str]
    admin: StaffMember

    def open_safe(self, ledger: Ledger | None = None) -> SessionView:
        return open_session(
            ledger or self.ledger,
            self.crew.officer,
            self.crew.clerk,
            required=DEFAULT_OPENING_CHECKLIST,
            confirmed=DEFAULT_OPENING_CHECKLIST,
        )

    def close_safe(self, session: SessionView) -> SessionView:
        return close_session(
            self.ledger,
            session.id,
            self.crew.officer,
            self.crew.clerk,
            required=DEFAULT_CLOSING_CHECKLIST,
            confirmed=DEFAULT_CLOSING_CHECKLIST,
        )

    def book(self, *cards: str) -> None:
        _, problems = add_to_pick_list(self.ledger, cards, self.crew.clerk)
        assert not problems

    def take_out(
        self,
        session: SessionView,
        card: str,
        *,
        ledger: Ledger | None = None,
        override: Override | None = None,
    ) -> Verdict:
        verdict = scan_in_session(
            ledger or self.ledger, session.id, card, ScanMode.TAKE_OUT, self.crew.clerk, override=override
        )
        assert verdict.ok or override is None, verdict
        return verdict


def make_office(ledger: Ledger, clock: FakeClock, crew: Crew) -> Office:
    cards = ids(12)
    receive(ledger, cards)
    admin = ledger.add_staff(name="情報 管理者", badge="A001", role=Role.ADMIN, pin=ADMIN_PIN)
    return Office(ledger, crew, clock, cards, admin)


@pytest.fixture
def office(ledger: Ledger, clock: FakeClock, crew: Crew) -> Office:
    return make_office(ledger, clock, crew)


@pytest.fixture
def sqlite_office(tmp_path: Path, clock: FakeClock) -> Iterator[Office]:
    """The office on SQLite only (the browser tests: one backend is enough for the browser part)."""
    engine = make_engine(sqlite_url(tmp_path))
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"test-pepper", kiosk="kiosk-test", clock=clock)
    crew = Crew(
        officer=ledger.add_staff(name="保管 正子", badge="O001", role=Role.OFFICER, rank=0, pin=PINS["O001"]),
        deputy=ledger.add_staff(name="保管 副男", badge="O002", role=Role.OFFICER, rank=1, pin=PINS["O002"]),
        clerk=ledger.add_staff(name="窓口 一郎", badge="C001", role=Role.CLERK, pin=PINS["C001"]),
        clerk2=ledger.add_staff(name="窓口 二郎", badge="C002", role=Role.CLERK, pin=PINS["C002"]),
        supervisor=ledger.add_staff(name="課長 三子", badge="S001", role=Role.SUPERVISOR, pin=PINS["S001"]),
    )
    yield make_office(ledger, clock, crew)
    engine.dispose()


FAST = ViewSettings(max_open_minutes=30, poll_seconds=0.1, refresh_seconds=0.5)


@dataclass
class Served:
    """The app on a real uvicorn server in a thread."""

    url: str
    server: uvicorn.Server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def serve() -> Iterator[Callable[[Office], Served]]:
    started: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(office: Office, view: ViewSettings = FAST) -> Served:
        app = create_app(office.ledger, view, clock=office.clock, random_key=True)
        port = _free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1, lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        started.append((server, thread))
        return Served(f"http://127.0.0.1:{port}", server)

    yield start
    for server, thread in started:
        server.should_exit = True
        thread.join(timeout=5)


@pytest.fixture
def browser_page() -> Iterator[object]:
    """A Playwright page in Debian's chromium (skipped with the reason when chromium is absent)."""
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("chromium is not installed at /usr/bin/chromium (apt-get install chromium; .ci/run does)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (requirements.lock)"
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
