"""Faults the kiosk must survive without ever showing green for a scan it did not record.

Device faults (unplug/replug, garbage and split frames, a frozen camera, an RFID reader that drops out
mid-round) are played by the shipped `device-faults` scenario (tests/reliability/test_shipped_scenarios).
Here: a disk that fills up and a database that turns read-only, at the station (headless) and on the
Textual screen through Pilot.

Read-only: CI runs as root, and root ignores file modes, so `chmod 0400` would not stop a write;
`PRAGMA query_only` makes SQLite refuse writes with SQLITE_READONLY, as for a read-only file. Disk full:
`PRAGMA max_page_count` pinned to the file's size makes the next write that needs a page fail with
SQLITE_FULL; the test first fills the last free space with ordinary refusals, so the fault is certain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.domain.safe_session import ScanMode
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from kiosk.sim.runner import seed
from kiosk.sim.station import LEDGER_ERROR, Outcome, Station
from simulator.cabinet import Cabinet
from tests.ledger_ops import outstanding

CABINET = Cabinet.generate(12, seed=2017)
BOOKED = CABINET.ids()[:6]


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"p", kiosk="kiosk-fault")
    seed(ledger, CABINET)
    officer, clerk = ledger.staff_by_badge("O001"), ledger.staff_by_badge("C001")
    assert officer is not None
    assert clerk is not None
    settings = Settings()
    st = Station(Desk(ledger, settings), lambda o: None)
    st.open_safe(officer, clerk, settings.session.opening_checklist)
    yield st
    st.close()
    engine.dispose()


def fill_until_full(ledger: Ledger) -> int:
    """Write ordinary refusals until the pinned size is reached; returns how many went in."""
    for n in range(5000):
        try:
            ledger.record_refusal("not_digits", attempted="fill", source="test")
        except OperationalError as exc:
            if "full" not in str(exc).lower():
                raise
            return n
    raise AssertionError("the database never filled up")


@pytest.mark.parametrize("fault", ["full", "readonly"])
def test_a_refused_write_is_never_green_and_the_kiosk_carries_on(station: Station, fault: str) -> None:
    ledger = station.desk.ledger
    before = station.handle_text(BOOKED[0], device="counter", source="code128")
    assert (before.code, before.ok) == ("taken_out", True)
    station.set_db_fault(fault)
    if fault == "full":
        fill_until_full(ledger)
    head = ledger.head()
    tried = BOOKED[1:4]
    outcomes: list[Outcome] = [station.handle_text(mid, device="counter", source="code128") for mid in tried]
    # A full disk still takes a write that fits in pages already allocated (where a scan's index entries
    # land decides it: a scan after the filling refusals may fit); whatever it refuses is never green.
    taken = [mid for mid, outcome in zip(tried, outcomes, strict=True) if outcome.ok]
    refused = [mid for mid, outcome in zip(tried, outcomes, strict=True) if not outcome.ok]
    for outcome in outcomes:
        if outcome.ok:
            assert fault == "full"
            assert outcome.code == "taken_out"
            assert outcome.seq is not None
        else:
            assert outcome.code == LEDGER_ERROR
            assert outcome.seq is None
    assert refused  # the fault is real: a write that needs what is not there is refused
    assert ledger.head()[0] == head[0] + len(taken)  # nothing about the refused scans is in the ledger
    assert sorted(outstanding(ledger, station.counter.session.id)) == sorted([BOOKED[0], *taken])  # type: ignore[union-attr]
    rejected = station.handle_rejected("garbage", device="counter")
    assert (rejected.code, rejected.ok, rejected.seq) == (LEDGER_ERROR, False, None)

    station.clear_db_fault()
    after = station.handle_text(refused[0], device="counter", source="code128")
    assert (after.code, after.ok) == ("taken_out", True)
    station.mode = ScanMode.PUT_BACK
    assert station.handle_text(BOOKED[0], device="counter", source="code128").code == "put_back"
    assert verify(ledger).ok


async def test_the_screen_shows_a_full_disk_in_red_and_records_nothing(tmp_path: Path) -> None:
    # Through the real UI: the session screen's scan path with a full disk under it.
    from drivers.serial_scanner import SerialScanner
    from drivers.wedge_device import KeyboardWedge
    from kiosk.config import Settings
    from kiosk.tui.app import KioskApp
    from simulator.hub import SimHub
    from tests.conftest import FakeClock
    from tests.tui.conftest import BOOKED as UI_BOOKED
    from tests.tui.conftest import Office, make_ledger, open_safe, seed_office, verdict, wait_for

    clock = FakeClock()
    ledger = make_ledger(tmp_path / "ui.sqlite3", clock)
    seed_office(ledger)
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
    pinned: list[Callable[..., None]] = []
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await open_safe(pilot, office)
            session = app.session
            assert session is not None

            def full(dbapi_connection: Any, _record: Any) -> None:
                pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
                dbapi_connection.execute(f"PRAGMA max_page_count={int(pages)}")

            ledger.engine.dispose()
            event.listen(ledger.engine, "connect", full)
            pinned.append(full)
            fill_until_full(ledger)
            head = ledger.head()
            office.scan(UI_BOOKED[0])
            await wait_for(pilot, lambda: verdict(app).code == "ledger_error")
            assert "-ok" not in verdict(app).classes
            assert ledger.head() == head
            assert outstanding(ledger, session.id) == []
    finally:
        for listener in pinned:
            event.remove(ledger.engine, "connect", listener)
        ledger.engine.dispose()
        hub.close()
    assert verify(ledger).ok
