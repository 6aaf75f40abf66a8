"""Input-to-screen latency of the real Textual app while a 100,000-card stocktake reconciles non-stop.

The stocktake screen of a headless `KioskApp` (Pilot) is open over a bulk-seeded ledger; a background
loop keeps asking it to re-read the reconciliation, so the reader thread is always busy with a full
reconcile. Meanwhile we measure, each many times:

- key → screen: F5 pressed until the typed-ID dialog is on screen (pure UI; must never wait for SQL);
- scan → verdict: a simulated serial scan until the verdict panel shows that card (driver thread, the
  ledger thread's commit, the callback on the UI thread).

Run: `python -m bench.ui_bench [--cards N]`; `kiosk bench` includes it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def _measure(cards: int, presses: int, scans: int, *, busy: bool = True) -> dict[str, Any]:
    from bench.reconcile_bench import bulk_seed
    from drivers.serial_scanner import SerialScanner
    from kiosk.config import Settings
    from kiosk.domain.staff import Role
    from kiosk.ledger import stocktake_ops as st
    from kiosk.ledger.engine import make_engine, upgrade
    from kiosk.ledger.service import Ledger
    from kiosk.tui.app import KioskApp
    from kiosk.tui.screens.dialogs import EntryModal
    from kiosk.tui.screens.stocktake import StocktakeScreen
    from kiosk.tui.widgets import VerdictPanel
    from simulator.hub import SimHub

    with tempfile.TemporaryDirectory(prefix="ui-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}")
        upgrade(engine)
        ledger = Ledger(engine, pepper=b"bench", kiosk="bench")
        ids = bulk_seed(ledger, cards)
        officer = ledger.add_staff(
            name="保管 正子", badge="U-O1", employee_no="E-U-O1", role=Role.OFFICER, rank=0, pin="1111"
        )
        clerk = ledger.add_staff(
            name="窓口 一郎", badge="U-C1", employee_no="E-U-C1", role=Role.CLERK, pin="3333"
        )
        view = st.start(ledger, officer, clerk)
        hub = SimHub()
        hub.add_serial("gun")
        scanner = SerialScanner(hub.url("gun"), name="gun", dedup_window=0, reconnect_interval=0.05)
        app = KioskApp(devices=[scanner], ledger=ledger, settings=Settings())
        key_ms: list[float] = []
        scan_ms: list[float] = []
        reconciles = 0
        async with app.run_test(size=(140, 45)) as pilot:
            app.user = officer
            screen = StocktakeScreen(view)
            await app.push_screen(screen)

            async def keep_reconciling() -> None:
                # What a flood of scans does to the screen: its own debounced refresh (a full reconcile
                # on the reader thread, drawn when it arrives) as often as it allows, without pause.
                nonlocal reconciles
                while True:
                    before = screen.result
                    screen.schedule_refresh()
                    while screen.result is before:
                        await asyncio.sleep(0.005)
                    reconciles += 1

            loop_task = asyncio.create_task(keep_reconciling() if busy else asyncio.sleep(3600))
            try:
                for _ in range(presses):
                    t0 = time.perf_counter()
                    await pilot.press("f5")
                    while not isinstance(app.screen, EntryModal):
                        await asyncio.sleep(0.001)
                    key_ms.append((time.perf_counter() - t0) * 1000)
                    await pilot.press("escape")
                    while isinstance(app.screen, EntryModal):
                        await asyncio.sleep(0.001)
                for mid in ids[:scans]:
                    panel = screen.query_one(VerdictPanel)
                    t0 = time.perf_counter()
                    hub.scan("gun", mid)
                    deadline = t0 + 10
                    while mid not in panel.text_shown and time.perf_counter() < deadline:
                        await asyncio.sleep(0.001)
                    scan_ms.append((time.perf_counter() - t0) * 1000)
            finally:
                loop_task.cancel()
        hub.close()
        engine.dispose()
    return {
        "ui_key_to_screen_p50_ms": _pct(key_ms, 0.5),
        "ui_key_to_screen_p99_ms": _pct(key_ms, 0.99),
        "ui_scan_to_verdict_p50_ms": _pct(scan_ms, 0.5),
        "ui_scan_to_verdict_p99_ms": _pct(scan_ms, 0.99),
        "ui_reconcile_cards": cards,
        "ui_reconciles_done": reconciles,
    }


def run(cards: int = 100_000, presses: int = 40, scans: int = 100, *, busy: bool = True) -> dict[str, Any]:
    """Measure with the reconcile running (`busy`), or idle for the baseline beside it."""
    return asyncio.run(_measure(cards, presses, scans, busy=busy))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--idle", action="store_true", help="no reconcile running (the baseline)")
    args = parser.parse_args()
    print(json.dumps(run(args.cards, busy=not args.idle), indent=1))


if __name__ == "__main__":
    main()
