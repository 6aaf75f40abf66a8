"""Make `docs/screenshots/daily-close.svg` and `papers.svg`: the daily close (日次締め) of an office day
with its 受払, closed by a responsible officer, and the papers menu (帳票の印刷).

A small ledger (staff, a delivery, a safe session with take-outs, a hand-over and a put-back) on a fixed
clock, the kiosk on the simulator, no printer configured (the PDFs go to a temporary folder).

    .venv/bin/python docs/screenshots/make_daily_close.py [-o FOLDER]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from drivers.serial_scanner import SerialScanner
from kiosk.config import DEFAULT_CLOSING_CHECKLIST, DEFAULT_OPENING_CHECKLIST, Settings
from kiosk.desk import Desk
from kiosk.domain.delivery import parse_delivery
from kiosk.domain.management_id import ManagementId
from kiosk.domain.safe_session import ScanMode
from kiosk.domain.staff import Role
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.meta import initialise
from kiosk.ledger.service import Ledger
from kiosk.tui.app import KioskApp
from kiosk.tui.screens.daily_close import DailyCloseScreen
from kiosk.tui.screens.papers import PapersScreen
from kiosk.tui.screens.signin import SignInModal
from simulator.hub import SimHub


class Clock:
    """A clock the script moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)  # 09:30 in Tokyo, a Wednesday

    def __call__(self) -> datetime:
        return self.now


def office_day(ledger: Ledger, clock: Clock, settings: Settings) -> None:
    from drivers.damm import with_check_digit

    desk = Desk(ledger, settings)
    officer = ledger.add_staff(
        name="保管 正子", badge="O001", employee_no="E-O001", role=Role.OFFICER, rank=0, pin="1111"
    )
    clerk = ledger.add_staff(
        name="窓口 一郎", badge="C001", employee_no="E-C001", role=Role.CLERK, pin="3333"
    )
    clerk2 = ledger.add_staff(
        name="窓口 二郎", badge="C002", employee_no="E-C002", role=Role.CLERK, pin="4444"
    )
    boss = ledger.add_staff(
        name="課長 三子", badge="S001", employee_no="E-S001", role=Role.SUPERVISOR, pin="5555"
    )
    cards = [with_check_digit(f"{800000000 + n:09d}") for n in range(12)]
    desk.receive(
        "J-LIS-2026-12",
        parse_delivery("management_id,kind\n" + "".join(f"{c},mynumber_card\n" for c in cards)),
        officer,
        clerk2,
    )
    desk.book(cards[:3], boss)
    clock.now += timedelta(hours=1)
    session = desk.open_safe(officer, clerk, DEFAULT_OPENING_CHECKLIST)
    for card in cards[:3]:
        desk.scan(session.id, ManagementId.parse(card), ScanMode.TAKE_OUT, clerk)
    clock.now += timedelta(minutes=20)
    for card in cards[:2]:
        desk.scan(session.id, ManagementId.parse(card), ScanMode.HAND_OVER, clerk, witness=clerk2)
    desk.scan(session.id, ManagementId.parse(cards[2]), ScanMode.PUT_BACK, clerk)
    desk.close_safe(session.id, officer, clerk, DEFAULT_CLOSING_CHECKLIST)
    clock.now += timedelta(hours=6)


async def shoot(out: Path) -> None:
    clock = Clock()
    with tempfile.TemporaryDirectory(prefix="screenshot-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        ledger = Ledger(engine, pepper=b"screenshot", kiosk="kiosk-1", clock=clock)
        initialise(ledger)
        settings = Settings.model_validate(
            {
                "ledger": {"url": url},
                "paths": {"data_dir": str(Path(tmp) / "var")},
                "reports": {"office_name": "見本市 市民課"},
            }
        )
        office_day(ledger, clock, settings)
        with SimHub() as hub:
            hub.add_serial("scanner")
            scanner = SerialScanner(hub.url("scanner"), name="scanner", reconnect_interval=0.05)
            app = KioskApp(devices=[scanner], ledger=ledger, settings=settings, clock=clock)
            async with app.run_test(size=(120, 40)) as pilot:

                async def until(condition: object, timeout: float = 30) -> None:
                    deadline = asyncio.get_running_loop().time() + timeout
                    while not condition():  # type: ignore[operator]
                        if asyncio.get_running_loop().time() > deadline:
                            raise SystemExit("the screen did not get there")
                        await pilot.pause(0.05)
                    await pilot.pause(0.2)

                await pilot.pause(0.5)
                hub.scan("scanner", "O001")
                await until(lambda: isinstance(app.screen, SignInModal))
                await pilot.press(*"1111", "enter")
                await until(lambda: app.user is not None)
                await pilot.press("f8")
                await pilot.pause(0.3)
                await pilot.press("f6")
                await until(lambda: isinstance(app.screen, DailyCloseScreen) and app.screen.data is not None)
                await pilot.press("f5")
                await until(lambda: isinstance(app.screen, SignInModal))
                hub.scan("scanner", "O001")
                await pilot.pause(0.3)
                await pilot.press(*"1111", "enter")
                await until(lambda: isinstance(app.screen, DailyCloseScreen) and app.screen.filed is not None)
                app.save_screenshot("daily-close.svg", str(out))
                await pilot.press("escape")
                await pilot.pause(0.3)
                await pilot.press("f9")
                await until(lambda: isinstance(app.screen, PapersScreen))
                await pilot.press("f3")
                await until(lambda: isinstance(app.screen, PapersScreen) and bool(app.screen.filed))
                app.save_screenshot("papers.svg", str(out))
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-o", "--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    asyncio.run(shoot(args.out))


if __name__ == "__main__":
    main()
