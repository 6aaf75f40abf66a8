"""Issue 22, item 4 on the real screen: a ledger file replaced under a running kiosk (a restore or a
copy put back) is never written to again, and every later scan is red, never a green take-out that
lands in a file that is no longer the ledger."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from drivers.serial_scanner import SerialScanner
from drivers.wedge_device import KeyboardWedge
from kiosk.config import Settings
from kiosk.ledger.watch import LedgerWatch
from kiosk.texts import JA
from kiosk.tui.app import KioskApp
from simulator.hub import SimHub
from tests.conftest import FakeClock
from tests.tui.conftest import (
    BOOKED,
    Office,
    make_ledger,
    open_safe,
    screen_text,
    seed_office,
    verdict,
    wait_for,
)


async def test_a_replaced_ledger_file_turns_every_scan_red(tmp_path: Path) -> None:
    clock = FakeClock()
    db = tmp_path / "ui.sqlite3"
    ledger = make_ledger(db, clock)
    seed_office(ledger)
    # As `open_ledger` watches a running kiosk's ledger.
    ledger.watch = LedgerWatch(
        database=db,
        checkpoint=tmp_path / "anchors" / "checkpoint",
        pepper=ledger.pepper,
        ledger_id="a" * 64,
        head_seq=ledger.head()[0],
    )
    hub = SimHub()
    hub.add_serial("scanner")

    def make(**kwargs: Any) -> KioskApp:
        devices = [
            SerialScanner(hub.url("scanner"), name="scanner", reconnect_interval=0.05, dedup_window=0),
            KeyboardWedge("keyboard", dedup_window=0),
        ]
        return KioskApp(devices=devices, ledger=ledger, settings=Settings(), clock=clock)

    office = Office(ledger, clock, hub, Settings(), make)
    app = make()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await open_safe(pilot, office)
            session = app.session
            assert session is not None
            office.scan(BOOKED[0])
            await wait_for(pilot, lambda: verdict(app).code == "taken_out")
            # Someone puts an older copy in place of the file (another inode), the kiosk running.
            older = tmp_path / "older.sqlite3"
            src = sqlite3.connect(db)
            dst = sqlite3.connect(older)
            src.backup(dst)
            src.close()
            dst.close()
            older.replace(db)
            office.scan(BOOKED[1])
            await wait_for(pilot, lambda: verdict(app).code == "ledger_error")
            assert "-ok" not in verdict(app).classes
            assert JA["error.ledger_replaced"][:20] in screen_text(app)
            assert ledger.watch.stopped is not None
    finally:
        ledger.engine.dispose()
        hub.close()
    plain = sqlite3.connect(db)
    out = {r[0] for r in plain.execute("SELECT management_id FROM cards WHERE status = 'out'")}
    plain.close()
    assert out == {BOOKED[0]}  # nothing of the stopped kiosk landed in the file now in place
