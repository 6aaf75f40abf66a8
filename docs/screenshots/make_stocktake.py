"""Make `docs/screenshots/stocktake.svg`: the stocktake screen (点検) in the middle of a 100,000-card count.

A bulk-seeded ledger (the benchmarks' `bulk_seed`), a stocktake by two people, an RFID run that has
counted most of two shelves, then a shelf label and a few scans on the simulated serial scanner (one from
the wrong shelf, one read twice, one unknown ID) while the screen's own refresh keeps re-reading its
glance of the reconciliation. The clock is fixed, so the picture changes only when the screen does.

    .venv/bin/python docs/screenshots/make_stocktake.py [--cards N] [-o FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.reconcile_bench import bulk_seed
from drivers.damm import with_check_digit
from drivers.serial_scanner import SerialScanner
from kiosk.config import Settings
from kiosk.domain.staff import Role
from kiosk.ledger import stocktake_ops as st
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger
from kiosk.tui.app import KioskApp
from kiosk.tui.screens.stocktake import StocktakeScreen
from kiosk.tui.widgets import VerdictPanel
from simulator.hub import SimHub


class Clock:
    """A clock the script moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def shoot(cards: int, out: Path) -> None:
    clock = Clock()
    with tempfile.TemporaryDirectory(prefix="screenshot-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}")
        upgrade(engine)
        ledger = Ledger(engine, pepper=b"screenshot", kiosk="kiosk-1", clock=clock)
        ids = bulk_seed(ledger, cards)
        officer = ledger.add_staff(
            name="保管 正子", badge="O001", employee_no="E-O001", role=Role.OFFICER, rank=0, pin="1111"
        )
        clerk = ledger.add_staff(
            name="窓口 一郎", badge="C001", employee_no="E-C001", role=Role.CLERK, pin="3333"
        )
        view = st.start(ledger, officer, clerk)
        # bulk_seed puts card i on shelf-(i % 4 + 1): an RFID run over shelves 1 and 2, a few tags missed.
        rfid = [mid for i, mid in enumerate(ids) if i % 4 in (0, 1) and i % 97 != 5]
        for part in range(0, len(rfid), 5_000):
            st.record_many(ledger, view.id, rfid[part : part + 5_000], source="rfid", device="uhf")
        clock.now += timedelta(minutes=24)
        hub = SimHub()
        hub.add_serial("scanner")
        scanner = SerialScanner(hub.url("scanner"), name="scanner", dedup_window=0, reconnect_interval=0.05)
        app = KioskApp(devices=[scanner], ledger=ledger, settings=Settings(), clock=clock)
        async with app.run_test(size=(120, 40)):
            app.sign_in(officer)  # as after badge and PIN (the status bar shows who)
            screen = StocktakeScreen(view)
            await app.push_screen(screen)
            panel = screen.query_one(VerdictPanel)
            shelf3 = [mid for i, mid in enumerate(ids) if i % 4 == 2]
            stranger = with_check_digit("799999990")
            for code in ("L:shelf-3", shelf3[0], shelf3[1], ids[3], shelf3[0], stranger, shelf3[2]):
                before = panel.text_shown
                hub.scan("scanner", code)
                while panel.text_shown == before:
                    await asyncio.sleep(0.01)
            # Every scan is committed once its verdict shows: wait until the screen's glance has them all
            # (it re-reads on its own after each scan), while it keeps refreshing as under a flood.
            final = st.reconcile(ledger, view.id).progress
            while screen.glance is None or screen.glance.progress != final:
                screen.schedule_refresh()
                await asyncio.sleep(0.05)
            await screen.wait_for_refresh()
            out.parent.mkdir(parents=True, exist_ok=True)
            app.save_screenshot(out.name, path=str(out.parent))
        hub.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("-o", "--out", type=Path, default=Path(__file__).with_name("stocktake.svg"))
    args = parser.parse_args()
    asyncio.run(shoot(args.cards, args.out))
    sys.stdout.write(f"{args.out}\n")


if __name__ == "__main__":
    main()
