"""Input-to-screen latency of the real Textual app during a stocktake of 100,000 cards.

The stocktake screen of a headless `KioskApp` (Pilot) is open over a bulk-seeded ledger (the
reconcile benchmark's `bulk_seed`: one transaction, a valid chain). Three phases, one app:

- idle: nothing else runs (the baseline);
- screen: the screen's own refresh runs without pause (what a flood of scans makes it do: read its
  glance of the reconciliation on the reader thread, redraw what changed);
- full: besides, a full 100,000-card `reconcile()` runs back to back on the reader thread (what F8,
  the report and `kiosk stocktake` do), the worst a reader can do to the UI thread through the GIL.

In each we measure, many times:

- key → screen: F5 posted to the app as the terminal driver posts it (`App.simulate_key`) until the
  typed-ID dialog is the screen and has been drawn (`wait_for_refresh`): pure UI, never waits for SQL;
- scan → verdict: a simulated serial scan until the verdict panel shows that card and has been drawn
  (driver thread, the ledger thread's commit, the callback on the UI thread).

Not `Pilot.press`: it waits until the whole process is idle (`wait_for_idle`, up to 1 s per key), so
any busy thread — a reconcile on the reader thread — shows up as up to 2 s "per key" that the app
itself never spends.

Run: `python -m bench.ui_bench [--cards N]`; `kiosk bench` includes it (100,000 cards; --quick 20,000).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PHASES = ("idle", "screen", "full")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def _measure(cards: int, presses: int, scans: int) -> dict[str, Any]:
    from bench.reconcile_bench import bulk_seed
    from drivers.serial_scanner import SerialScanner
    from kiosk.config import Settings
    from kiosk.desk import Desk
    from kiosk.domain.staff import Role
    from kiosk.ledger.engine import make_engine, upgrade
    from kiosk.ledger.service import Ledger
    from kiosk.tui.app import KioskApp
    from kiosk.tui.screens.dialogs import EntryModal
    from kiosk.tui.screens.stocktake import StocktakeScreen
    from kiosk.tui.widgets import VerdictPanel
    from simulator.hub import SimHub

    out: dict[str, Any] = {"ui_reconcile_cards": cards}
    with tempfile.TemporaryDirectory(prefix="ui-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}")
        upgrade(engine)
        ledger = Ledger(engine, pepper=b"bench", kiosk="bench")
        t0 = time.perf_counter()
        ids = bulk_seed(ledger, cards)
        out["ui_seed_s"] = round(time.perf_counter() - t0, 1)
        officer = ledger.add_staff(
            name="保管 正子", badge="U-O1", employee_no="E-U-O1", role=Role.OFFICER, rank=0, pin="1111"
        )
        clerk = ledger.add_staff(
            name="窓口 一郎", badge="U-C1", employee_no="E-U-C1", role=Role.CLERK, pin="3333"
        )
        view = Desk(ledger, Settings()).stocktake_start(officer, clerk)
        hub = SimHub()
        hub.add_serial("gun")
        scanner = SerialScanner(hub.url("gun"), name="gun", dedup_window=0, reconnect_interval=0.05)
        app = KioskApp(devices=[scanner], ledger=ledger, settings=Settings())
        to_scan = iter(ids)
        async with app.run_test(size=(140, 45)):
            app.user = officer
            screen = StocktakeScreen(view)
            await app.push_screen(screen)
            while screen.glance is None:
                await asyncio.sleep(0.01)
            glances = 0
            glance_s: list[float] = []
            full_s: list[float] = []

            async def keep_glancing() -> None:
                # The screen's own debounced refresh as often as it allows, without pause.
                nonlocal glances
                while True:
                    before = screen.glance
                    screen.schedule_refresh()
                    while screen.glance is before:
                        await asyncio.sleep(0.005)
                    glances += 1
                    glance_s.append(screen.last_read_s)

            async def keep_reconciling() -> None:
                # A full reconcile on the reader thread, back to back (F8's, the report's).
                def one() -> None:
                    t = time.perf_counter()
                    app.desk.reconcile(view.id)
                    full_s.append(time.perf_counter() - t)

                while True:
                    await asyncio.wrap_future(app.submit(one, read=True))

            for phase in PHASES:
                loads: list[Callable[[], Any]] = []
                if phase in ("screen", "full"):
                    loads.append(keep_glancing)
                if phase == "full":
                    loads.append(keep_reconciling)
                tasks = [asyncio.create_task(load()) for load in loads]
                key_ms: list[float] = []
                scan_ms: list[float] = []
                try:
                    await asyncio.sleep(0.5 if tasks else 0)  # let the load get going
                    for _ in range(presses):
                        t0 = time.perf_counter()
                        app.simulate_key("f5")
                        while not isinstance(app.screen, EntryModal):
                            await asyncio.sleep(0.001)
                        await app.screen.wait_for_refresh()
                        key_ms.append((time.perf_counter() - t0) * 1000)
                        app.simulate_key("escape")
                        while isinstance(app.screen, EntryModal):
                            await asyncio.sleep(0.001)
                        await app.screen.wait_for_refresh()
                    panel = screen.query_one(VerdictPanel)
                    for _ in range(scans):
                        mid = next(to_scan)
                        t0 = time.perf_counter()
                        hub.scan("gun", mid)
                        deadline = t0 + 10
                        while mid not in panel.text_shown and time.perf_counter() < deadline:
                            await asyncio.sleep(0.001)
                        await panel.wait_for_refresh()
                        scan_ms.append((time.perf_counter() - t0) * 1000)
                finally:
                    for task in tasks:
                        task.cancel()
                    # Let a reconcile in flight finish before the next phase starts.
                    await asyncio.wrap_future(app.submit(lambda: None, read=True))
                prefix = "ui" if phase == "screen" else f"ui_{phase}"
                out[f"{prefix}_key_to_screen_p50_ms"] = _pct(key_ms, 0.5)
                out[f"{prefix}_key_to_screen_p99_ms"] = _pct(key_ms, 0.99)
                out[f"{prefix}_scan_to_verdict_p50_ms"] = _pct(scan_ms, 0.5)
                out[f"{prefix}_scan_to_verdict_p99_ms"] = _pct(scan_ms, 0.99)
            out["ui_glances_done"] = glances
            out["ui_glance_ms"] = round(statistics.median(glance_s) * 1000, 1) if glance_s else None
            out["ui_full_reconciles_done"] = len(full_s)
            out["ui_full_reconcile_ms"] = round(statistics.median(full_s) * 1000, 1) if full_s else None
        hub.close()
        engine.dispose()
    return out


def run(cards: int = 100_000, presses: int = 100, scans: int = 200) -> dict[str, Any]:
    """Measure each phase (idle, the screen refreshing, a full reconcile besides) over one seeded ledger."""
    return asyncio.run(_measure(cards, presses, scans))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--presses", type=int, default=100)
    parser.add_argument("--scans", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(run(args.cards, args.presses, args.scans), indent=1))


if __name__ == "__main__":
    main()
