"""Issue 26, start-up: the home screen is up before the ledger is opened and checked behind it. Until the
start-up check has passed nothing reaches the ledger (a scan or a key is refused, with the reason, and
is not recorded later either); a check that refuses the ledger stays red and blocks every act."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from drivers.serial_scanner import SerialScanner
from drivers.wedge_device import KeyboardWedge
from kiosk.app_factory import kiosk_opener
from kiosk.config import Settings
from kiosk.ledger.service import open_ledger
from kiosk.texts import JA
from kiosk.tui.app import KioskApp, Opened
from kiosk.tui.screens.home import HomeScreen
from kiosk.tui.screens.session import SessionScreen
from kiosk.tui.screens.signin import SignInModal
from simulator.hub import SimHub
from tests.conftest import FakeClock
from tests.ledger_ops import open_session
from tests.tui.conftest import BOOKED, SCANNER, devices_online, screen_text, seed_office, verdict, wait_for


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        ledger={"url": f"sqlite:///{tmp_path / 'ledger.sqlite3'}"},  # type: ignore[arg-type]
        paths={"data_dir": tmp_path / "var"},  # type: ignore[arg-type]
    )


def _events(tmp_path: Path) -> int:
    db = sqlite3.connect(tmp_path / "ledger.sqlite3")
    try:
        return int(db.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        db.close()


def _app(hub: SimHub, settings: Settings, clock: FakeClock, opener: Any) -> KioskApp:
    devices = [
        SerialScanner(hub.url(SCANNER), name=SCANNER, reconnect_interval=0.05, dedup_window=0),
        KeyboardWedge("keyboard", dedup_window=0),
    ]
    return KioskApp(devices=devices, opener=opener, settings=settings, clock=clock)


async def _refused_while(pilot: Pilot[Any], app: KioskApp, hub: SimHub, code: str) -> None:
    """A card, a badge and F2 (open the safe) each get `code` on the home screen and nothing else."""
    for scanned in (BOOKED[0], "O001"):
        verdict(app).reset()
        hub.scan(SCANNER, scanned)
        await wait_for(pilot, lambda: verdict(app).code == code)
        assert isinstance(app.screen, HomeScreen)  # no sign-in dialog for the badge
    verdict(app).reset()
    await pilot.press("f2")
    await wait_for(pilot, lambda: verdict(app).code == code)
    assert isinstance(app.screen, HomeScreen)


async def test_scans_during_the_start_up_check_are_refused_and_never_recorded(tmp_path: Path) -> None:
    clock = FakeClock()
    settings = _settings(tmp_path)
    ledger = open_ledger(settings, create=True, clock=clock)  # `kiosk init`, then the office's staff
    seed_office(ledger)
    # The kiosk restarts with the safe open: once checked, a scan there would take a card out.
    officer, clerk = ledger.staff_by_badge("O001"), ledger.staff_by_badge("C001")
    assert officer is not None
    assert clerk is not None
    checklist = settings.session.opening_checklist
    session = open_session(ledger, officer, clerk, required=checklist, confirmed=checklist)
    ledger.engine.dispose()
    before = _events(tmp_path)
    hub = SimHub()
    hub.add_serial(SCANNER)
    check_may_run = threading.Event()
    real_opener = kiosk_opener(settings, clock)

    def opener() -> Opened:
        # The real opening (imports, migrations, the start-up check), held until the test lets it run.
        assert check_may_run.wait(30)
        return real_opener()

    app = _app(hub, settings, clock, opener)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            assert isinstance(app.screen, HomeScreen)
            assert app.checking
            assert verdict(app).code == "starting"
            assert JA["start.checking"] in screen_text(app)
            # The scanner reads during the check: its scans reach the app and are refused, with why.
            await devices_online(pilot, app)
            await _refused_while(pilot, app, hub, "start_wait")
            assert "-warn" in verdict(app).classes
            assert app.bells_rung[-1] == 2
            check_may_run.set()
            await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
            assert not app.checking
            assert app.refusal is None
            assert app.session is not None
            assert app.session.id == session.id
            # Nothing scanned during the check was recorded, then or later (refused, not queued): no
            # sign-in dialog for the badge, no event.
            assert isinstance(app.screen, SessionScreen)
            assert _events(tmp_path) == before
            # Once checked, the kiosk grows its WAL ahead of the day's scans (nothing committed).
            wal = tmp_path / "ledger.sqlite3-wal"
            await wait_for(pilot, lambda: wal.exists() and wal.stat().st_size >= 32 * 1024 * 1024, timeout=30)
            assert _events(tmp_path) == before
            # Now the session's scans are taken as after any restart: a badge first.
            hub.scan(SCANNER, BOOKED[0])
            await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
    finally:
        check_may_run.set()
        hub.close()
        if getattr(app, "ledger", None) is not None:
            app.ledger.engine.dispose()


async def test_a_refused_start_up_check_stays_red_and_blocks_everything(tmp_path: Path) -> None:
    clock = FakeClock()
    settings = _settings(tmp_path)  # no `kiosk init` here: the start-up check refuses a missing ledger
    hub = SimHub()
    hub.add_serial(SCANNER)
    app = _app(hub, settings, clock, kiosk_opener(settings, clock))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.refusal is not None)
            assert verdict(app).code == "start_refused"
            assert "-error" in verdict(app).classes
            assert app.refusal is not None
            assert app.refusal.startswith("REFUSED: there is no ledger")
            assert app.refusal_code == 3  # `kiosk run` ends as it always has: the line, exit 3
            assert JA["start.refused"] in screen_text(app)
            assert "REFUSED:" in screen_text(app)
            await devices_online(pilot, app)
            await _refused_while(pilot, app, hub, "start_refused")
            await pilot.press("f11")  # the alarm key of every screen reaches no ledger either
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
            assert verdict(app).code == "start_refused"
    finally:
        hub.close()
    assert not (tmp_path / "ledger.sqlite3").exists() or _events(tmp_path) == 0


def test_the_first_screen_and_the_command_line_load_without_the_ledgers_libraries(tmp_path: Path) -> None:
    """What runs before the home screen (the CLI, the settings, the app and its home screen, the
    factories) imports neither SQLAlchemy nor the core: those load behind the screen. In a fresh
    interpreter, since this test process has long imported them."""
    heavy = (
        "sqlalchemy",
        "alembic",
        "kiosk.desk",
        "kiosk.ledger",
        "reportlab",
        "cv2",
        "pymodbus",
        "starlette",
    )
    script = (
        "import sys\n"
        "import kiosk.cli\n"
        "kiosk.cli._register()\n"
        "from kiosk.config import load_settings\n"
        f"settings = load_settings(None, db_url='sqlite:///{tmp_path / 'l.sqlite3'}')\n"
        "from kiosk.app_factory import make_app, make_demo_app\n"
        "import kiosk.tui.screens.home\n"
        "make_app(settings); make_demo_app(settings)\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]", done.stdout
