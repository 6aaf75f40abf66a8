"""Make the office jobs' screenshots: `notices.svg` (通知・督促 with three reminders recorded and one card
that cannot be), `staff.svg` (職員 with a locked clerk and a training) and `staff-due.svg` (研修が必要な職員).

The demo ledger (`seed_demo`) with a fixed clock; the scans go through the simulated serial scanner
and every change through the application core as at the kiosk.

    .venv/bin/python docs/screenshots/make_office.py [-o DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from drivers.contract import DeviceStatus
from drivers.serial_scanner import SerialScanner
from kiosk.config import Settings
from kiosk.demo.seed import seed_demo
from kiosk.desk import Desk
from kiosk.domain.staff import AuthError
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger
from kiosk.tui.app import KioskApp
from kiosk.tui.screens.notices import NoticesScreen
from kiosk.tui.screens.staff import StaffScreen
from simulator.hub import SimHub


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise RuntimeError("the screen did not get there")


async def shoot(out: Path) -> None:
    clock = Clock()
    with tempfile.TemporaryDirectory(prefix="screenshot-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}")
        upgrade(engine)
        ledger = Ledger(engine, pepper=b"screenshot", kiosk="kiosk-1", clock=clock)
        seed_demo(ledger)
        settings = Settings()
        desk = Desk(ledger, settings)
        lists = desk.due_lists()
        due = [c.management_id for c in lists.reminders_due]
        people = {b: desk.person_by_badge(b) for b in ("A001", "O001", "C001", "C002")}
        admin, officer, clerk = people["A001"], people["O001"], people["C001"]
        assert admin is not None
        assert officer is not None
        assert clerk is not None
        desk.set_applicant(due[0], "R8-00123", clerk)
        desk.record_training(
            admin, officer, "O001", on=clock().date(), kind="着任時研修", trainer="研修 講師"
        )
        for _ in range(5):  # five wrong PINs lock the clerk out
            with contextlib.suppress(AuthError):
                desk.sign_in("C002", "0000")
        hub = SimHub()
        hub.add_serial("scanner")
        scanner = SerialScanner(hub.url("scanner"), name="scanner", dedup_window=0, reconnect_interval=0.05)
        app = KioskApp(devices=[scanner], ledger=ledger, settings=settings, clock=clock)
        out.mkdir(parents=True, exist_ok=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(lambda: all(link.status is DeviceStatus.ONLINE for link in app.links.values()))
            app.sign_in(clerk)
            notices = NoticesScreen()
            await app.push_screen(notices)
            await pilot.press("f3")
            for mid in (*due[:3], lists.notice_unknown[0].management_id):
                hub.scan("scanner", mid)
                await until(lambda mid=mid: mid in notices.cards)
            await pilot.press("f9")
            await until(lambda: len(notices.recorded) == 3)
            await pilot.pause()
            app.save_screenshot("notices.svg", path=str(out))
            app.pop_screen()
            app.sign_in(admin)
            staff = StaffScreen()
            await app.push_screen(staff)
            await until(lambda: staff.loaded > 0)
            hub.scan("scanner", "C002")
            await until(lambda: (r := staff.selected()) is not None and r.member.badge == "C002")
            await pilot.pause()
            app.save_screenshot("staff.svg", path=str(out))
            await pilot.press("f8")
            await pilot.pause()
            app.save_screenshot("staff-due.svg", path=str(out))
        hub.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-o", "--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    asyncio.run(shoot(args.out))
    sys.stdout.write(f"{args.out}/notices.svg {args.out}/staff.svg {args.out}/staff-due.svg\n")


if __name__ == "__main__":
    main()
