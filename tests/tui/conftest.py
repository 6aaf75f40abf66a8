"""The kiosk under test: simulator devices (a sim:// serial scanner and the terminal wedge), a
temporary SQLite ledger with a small office, and a frozen clock."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from drivers.serial_scanner import SerialScanner
from drivers.wedge_device import KeyboardWedge
from kiosk.config import Settings
from kiosk.domain.staff import Role
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger
from kiosk.tui.app import KioskApp
from kiosk.tui.widgets import VerdictPanel
from simulator.hub import SimHub
from tests.conftest import PINS, FakeClock
from tests.ledger.helpers import ids, receive
from tests.ledger_ops import add_to_pick_list

SCANNER = "scanner"
CARDS = ids(10)
BOOKED = CARDS[:4]  # today's pick list


@dataclass
class Office:
    """Everything a UI test holds: the ledger, the hub, the devices and a way to build the app."""

    ledger: Ledger
    clock: FakeClock
    hub: SimHub
    settings: Settings
    make: Callable[..., KioskApp]

    def scan(self, code: str) -> None:
        self.hub.scan(SCANNER, code)


def make_ledger(path: Path, clock: FakeClock) -> Ledger:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return Ledger(engine, pepper=b"test-pepper", kiosk="kiosk-test", clock=clock)


def seed_office(ledger: Ledger) -> None:
    ledger.add_staff(
        name="保管 正子", badge="O001", employee_no="E-O001", role=Role.OFFICER, rank=0, pin=PINS["O001"]
    )
    ledger.add_staff(
        name="保管 副男", badge="O002", employee_no="E-O002", role=Role.OFFICER, rank=1, pin=PINS["O002"]
    )
    ledger.add_staff(name="窓口 一郎", badge="C001", employee_no="E-C001", role=Role.CLERK, pin=PINS["C001"])
    ledger.add_staff(name="窓口 二郎", badge="C002", employee_no="E-C002", role=Role.CLERK, pin=PINS["C002"])
    supervisor = ledger.add_staff(
        name="課長 三子", badge="S001", employee_no="E-S001", role=Role.SUPERVISOR, pin=PINS["S001"]
    )
    ledger.add_staff(
        name="情報 管理子", badge="A001", employee_no="E-A001", role=Role.ADMIN, pin=PINS["A001"]
    )
    receive(ledger, CARDS)
    # The supervisor books: the booker may not take a card out alone.
    add_to_pick_list(ledger, BOOKED, supervisor)


@pytest.fixture
def office(tmp_path: Path, clock: FakeClock) -> Iterator[Office]:
    ledger = make_ledger(tmp_path / "ledger.sqlite3", clock)
    seed_office(ledger)
    settings = Settings()
    hub = SimHub()
    hub.add_serial(SCANNER)

    def make(**kwargs: Any) -> KioskApp:
        devices = [
            # The drivers' own double-read window is off here: tests scan one card twice on purpose
            # (take out, then hand over) and check the kiosk's duplicate verdict separately.
            SerialScanner(hub.url(SCANNER), name=SCANNER, reconnect_interval=0.05, dedup_window=0),
            KeyboardWedge("keyboard", dedup_window=0),
        ]
        options: dict[str, Any] = {"devices": devices, "ledger": ledger, "settings": settings, "clock": clock}
        options.update(kwargs)
        return KioskApp(**options)

    yield Office(ledger, clock, hub, settings, make)
    hub.close()
    ledger.engine.dispose()


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds (a deadline, not a sleep)."""
    from textual.css.query import NoMatches

    def met() -> bool:
        try:
            return condition()
        except NoMatches:
            return False  # a screen just pushed is composed a moment later, sooner or later under load

    deadline = time.monotonic() + timeout
    while not met():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        await pilot.pause(0.02)
    await pilot.pause()


def verdict(app: KioskApp) -> VerdictPanel:
    """The verdict panel of the top-most screen that has one."""
    for screen in reversed(app.screen_stack):
        panels = screen.query(VerdictPanel)
        if panels:
            return panels.first()
    raise AssertionError("no verdict panel on screen")


def screen_text(app: KioskApp) -> str:
    """The text of every Static on the current screens (modals included)."""
    from textual.widgets import Static

    parts = []
    for screen in app.screen_stack:
        for widget in screen.query(Static):
            if widget.display:
                parts.append(str(widget.content))
    return "\n".join(parts)


async def devices_online(pilot: Pilot[Any], app: KioskApp) -> None:
    from drivers.contract import DeviceStatus

    await wait_for(pilot, lambda: all(link.status is DeviceStatus.ONLINE for link in app.links.values()))


async def sign_in(pilot: Pilot[Any], office: Office, badge: str) -> None:
    """Scan a badge at whatever sign-in dialog is open (or the home screen) and type the PIN."""
    from textual.widgets import Input

    from kiosk.tui.screens.signin import SignInModal

    app = pilot.app
    office.scan(badge)
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, SignInModal) and app.screen.query_one("#badge", Input).value == badge,
    )
    modal = app.screen
    await pilot.press(*PINS[badge], "enter")
    await wait_for(pilot, lambda: app.screen is not modal)


async def open_safe(pilot: Pilot[Any], office: Office, first: str = "O001", second: str = "C001") -> None:
    from kiosk.tui.screens.dialogs import ChecklistModal
    from kiosk.tui.screens.session import SessionScreen
    from kiosk.tui.screens.signin import SignInModal

    app: Any = pilot.app
    await devices_online(pilot, app)
    if app.user is None:
        await sign_in(pilot, office, first)
    await pilot.press("f2")
    await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
    await sign_in(pilot, office, second)
    await wait_for(pilot, lambda: isinstance(app.screen, ChecklistModal))
    await pilot.press("1", "2", "3", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
