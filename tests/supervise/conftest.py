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
from starlette.applications import Starlette

from kiosk.config import DEFAULT_CLOSING_CHECKLIST, DEFAULT_OPENING_CHECKLIST, Settings
from kiosk.desk import Desk
from kiosk.domain.safe_session import Override, ScanMode
from kiosk.domain.staff import Role, StaffMember
from kiosk.domain.verdicts import Verdict
from kiosk.ledger import models
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger
from kiosk.supervise.app import ViewSettings, create_app
from tests.conftest import PINS, Crew, FakeClock, sqlite_url
from tests.ledger.helpers import ids, receive
from tests.ledger_ops import SessionView, add_to_pick_list, close_session, open_session, scan_in_session

ADMIN_PIN = PINS["A001"]
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
        # Booked by the officer: the one who booked a card may not take it out (the clerk does).
        _, problems = add_to_pick_list(self.ledger, cards, self.crew.officer)
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
        assert verdict.ok, verdict
        return verdict


def add(ledger: Ledger, name: str, badge: str, role: Role, pin: str, rank: int | None = None) -> StaffMember:
    """A member of staff (employee number made from the badge: one person, one account)."""
    return ledger.add_staff(name=name, badge=badge, employee_no=f"E-{badge}", role=role, rank=rank, pin=pin)


def make_office(ledger: Ledger, clock: FakeClock) -> Office:
    crew = Crew(
        officer=add(ledger, "保管 正子", "O001", Role.OFFICER, PINS["O001"], rank=0),
        deputy=add(ledger, "保管 副男", "O002", Role.OFFICER, PINS["O002"], rank=1),
        clerk=add(ledger, "窓口 一郎", "C001", Role.CLERK, PINS["C001"]),
        clerk2=add(ledger, "窓口 二郎", "C002", Role.CLERK, PINS["C002"]),
        supervisor=add(ledger, "課長 三子", "S001", Role.SUPERVISOR, PINS["S001"]),
        admin=add(ledger, "情報 管理者", "A001", Role.ADMIN, ADMIN_PIN),
    )
    cards = ids(12)
    receive(ledger, cards)
    return Office(ledger, crew, clock, cards, crew.admin)


def app_for(office: Office, view: ViewSettings) -> Starlette:
    """The app over the application core, on the office's clock, with a per-process cookie key."""
    return create_app(Desk(office.ledger, Settings()), view, clock=office.clock, random_key=True)


@pytest.fixture
def office(ledger: Ledger, clock: FakeClock) -> Office:
    return make_office(ledger, clock)


@pytest.fixture
def sqlite_office(tmp_path: Path, clock: FakeClock) -> Iterator[Office]:
    """The office on SQLite only (the browser tests: one backend is enough for the browser part)."""
    engine = make_engine(sqlite_url(tmp_path))
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"test-pepper", kiosk="kiosk-test", clock=clock)
    yield make_office(ledger, clock)
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
        app = app_for(office, view)
        # The server gets the bound socket itself: a port found free and then closed could be taken by
        # another test worker (or any outgoing connection) before uvicorn binds it.
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1, lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
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
