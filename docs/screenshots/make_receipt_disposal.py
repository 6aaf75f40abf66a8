"""Make `docs/screenshots/receipt.svg` and `docs/screenshots/disposal.svg`: the office menu's 受領 and 廃棄.

受領: a delivery of six cards being counted in against a slip of six: four scanned, one of them twice,
and one card that is not on the list. 廃棄: three batches, one disposed (its certificate 令和8年度 第1号),
one approved, one awaiting approval. The clock is fixed, so the pictures change only when the screens do.

    .venv/bin/python docs/screenshots/make_receipt_disposal.py [-o FOLDER]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from drivers.damm import with_check_digit
from drivers.serial_scanner import SerialScanner
from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.domain.card_state import office_date
from kiosk.domain.delivery import parse_delivery
from kiosk.domain.management_id import ManagementId
from kiosk.domain.retention import DatedId
from kiosk.domain.staff import Role
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger
from kiosk.tui.app import KioskApp
from kiosk.tui.screens.disposal import DisposalScreen
from kiosk.tui.screens.receipt import ReceiptScreen
from kiosk.tui.widgets import VerdictPanel
from simulator.hub import SimHub


class Clock:
    """A clock the script moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 4, 6, 0, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def ids(first: int, count: int) -> list[str]:
    return [with_check_digit(f"8{n:08d}") for n in range(first, first + count)]


async def shoot(out: Path) -> None:
    clock = Clock()
    with tempfile.TemporaryDirectory(prefix="screenshot-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}")
        upgrade(engine)
        ledger = Ledger(engine, pepper=b"screenshot", kiosk="kiosk-1", clock=clock)
        officer = ledger.add_staff(
            name="保管 正子", badge="O001", employee_no="E-O001", role=Role.OFFICER, rank=0, pin="1111"
        )
        clerk = ledger.add_staff(
            name="窓口 一郎", badge="C001", employee_no="E-C001", role=Role.CLERK, pin="3333"
        )
        chief = ledger.add_staff(
            name="課長 三子", badge="S001", employee_no="E-S001", role=Role.SUPERVISOR, pin="5555"
        )
        settings = Settings.model_validate({"paths": {"data_dir": tmp}})
        desk = Desk(ledger, settings)

        # Nine cards past their reminder period, for three disposal batches.
        old = ids(100, 9)
        old_lines = parse_delivery("管理ID,種別\n" + "".join(f"{m},個人番号カード\n" for m in old))
        desk.receive("B-2025-11", old_lines, officer, clerk)
        day = office_date(clock())
        dated = [DatedId(n, ManagementId.parse(m), day) for n, m in enumerate(old, start=1)]
        desk.record_sent("notice", dated, officer)
        desk.record_sent("reminder", dated, officer)
        clock.now += timedelta(days=92)
        batches = [desk.disposal_prepare(clerk, old[i : i + 3]) for i in (0, 3, 6)]
        for batch in batches[:2]:
            desk.disposal_approve(batch.id, chief)
        safe = desk.open_safe(officer, clerk, settings.session.opening_checklist)
        for mid in old[:3]:
            desk.disposal_scan(batches[0].id, mid, officer, clerk, session_id=safe.id)
        desk.disposal_finish(batches[0].id, officer, clerk, "裁断")
        desk.close_safe(safe.id, officer, clerk, settings.session.closing_checklist)
        clock.now += timedelta(minutes=20)

        hub = SimHub()
        hub.add_serial("scanner")
        scanner = SerialScanner(hub.url("scanner"), name="scanner", dedup_window=0, reconnect_interval=0.05)
        app = KioskApp(devices=[scanner], ledger=ledger, settings=settings, clock=clock)
        out.mkdir(parents=True, exist_ok=True)
        async with app.run_test(size=(120, 40)) as pilot:
            app.sign_in(officer)
            receipt = ReceiptScreen()
            await app.push_screen(receipt)
            new = ids(500, 6)
            lines = parse_delivery("管理ID,種別\n" + "".join(f"{m},個人番号カード\n" for m in new))
            receipt.start(lines, "B-2026-04", 6, "納品一覧_0406.csv")
            panel = receipt.query_one(VerdictPanel)
            stranger = with_check_digit("899999990")
            for code in (new[0], new[1], new[2], new[1], stranger, new[3]):
                before = len(receipt.check.scans) if receipt.check else 0
                hub.scan("scanner", code)
                while receipt.check is None or len(receipt.check.scans) == before:
                    await asyncio.sleep(0.01)
            await pilot.pause()
            assert panel.code is not None
            app.save_screenshot("receipt.svg", path=str(out))
            app.pop_screen()
            disposal = DisposalScreen()
            await app.push_screen(disposal)
            while disposal.loads < 1:
                await asyncio.sleep(0.01)
            await pilot.pause()
            app.save_screenshot("disposal.svg", path=str(out))
        hub.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-o", "--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    asyncio.run(shoot(args.out))
    sys.stdout.write(f"{args.out / 'receipt.svg'}\n{args.out / 'disposal.svg'}\n")


if __name__ == "__main__":
    main()
