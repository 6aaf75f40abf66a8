"""Benchmark: the safe's door forced → the red alarm on the kiosk's screen.

The real `KioskApp` runs headless (Textual's `run_test`) over a temporary SQLite ledger, with the
real driver (`drivers.safe_io.device.SafeIo`, the site default of one poll every 100 ms) reading the
simulator's I/O module (pymodbus's own server on loopback TCP). With no safe session open, the
simulated door is forced open `changes` times at irregular moments; each time we measure from the
moment the module's input changes to the moment the alarm banner is displayed and drawn: the
driver's poll, its thread posting the report, the core deciding and committing
(`safe_door_opened`, `safe_door_forced`, `incident_opened`, SQLite `synchronous=FULL`), and the UI
thread showing it. Between changes a supervisor acknowledges the alarm through the core and the door
is shut again (not measured). Goal: p99 ≤ 300 ms (issue 23).

    .venv/bin/python -m bench.door_alarm_bench [--changes 50] [--poll-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import tempfile
import time
from pathlib import Path
from typing import Any

GOAL_MS = 300.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))], 1)


async def _measure(changes: int, poll_ms: int, seed: int) -> dict[str, Any]:
    from drivers.safe_io.device import SafeIo, quiet_stack_logs
    from kiosk.config import Settings
    from kiosk.domain.safe_door import Door
    from kiosk.domain.staff import Role
    from kiosk.ledger.engine import make_engine, upgrade
    from kiosk.ledger.service import Ledger
    from kiosk.tui.app import KioskApp
    from kiosk.tui.widgets import DoorAlarmBanner
    from simulator.safe_io import SimSafeModule

    quiet_stack_logs()
    rng = random.Random(seed)
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="door-bench-") as tmp, SimSafeModule("bench") as module:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}")
        upgrade(engine)
        ledger = Ledger(engine, pepper=b"bench", kiosk="bench")
        supervisor = ledger.add_staff(
            name="課長 三子", badge="D-S1", employee_no="E-D-S1", role=Role.SUPERVISOR, pin="5555"
        )
        driver = SafeIo(module.url, name="safe-io", poll_ms=poll_ms)
        app = KioskApp(devices=[], ledger=ledger, settings=Settings(), safe_io=driver)
        async with app.run_test(size=(140, 45)):
            deadline = time.monotonic() + 20
            while not (app.safe.online and app.safe.door is Door.CLOSED):
                if time.monotonic() > deadline:
                    raise RuntimeError("the kiosk never read the simulated module")
                await asyncio.sleep(0.01)
            for _ in range(changes):
                # Irregular moments, so the changes do not line up with the driver's polls.
                await asyncio.sleep(rng.uniform(0.05, 0.05 + poll_ms / 1000))
                banner = app.screen.query_one(DoorAlarmBanner)
                # The simulated module's input changes on its own loop; the app's loop keeps running.
                t0 = time.perf_counter()
                await asyncio.to_thread(module.force_door)
                limit = t0 + 10
                while not banner.display and time.perf_counter() < limit:
                    await asyncio.sleep(0.001)
                await banner.wait_for_refresh()
                latencies.append((time.perf_counter() - t0) * 1000)
                # Reset (not measured): a supervisor acknowledges, the door is shut again.
                state = await app.call(lambda: app.desk.acknowledge_door_alarm(supervisor, "bench"))
                app.show_safe(state)
                await asyncio.to_thread(module.close_door)
                while app.safe.door is not Door.CLOSED:
                    await asyncio.sleep(0.005)
        engine.dispose()
    p99 = _pct(latencies, 0.99)
    return {
        "door_alarm_changes": changes,
        "door_alarm_poll_ms": poll_ms,
        "door_alarm_p50_ms": _pct(latencies, 0.5),
        "door_alarm_p99_ms": p99,
        "door_alarm_max_ms": round(max(latencies), 1),
        "door_alarm_goal_ms": GOAL_MS,
        "door_alarm_meets_goal": p99 <= GOAL_MS,
    }


def run(changes: int = 50, poll_ms: int = 100, seed: int = 23) -> dict[str, Any]:
    """Force the simulated door `changes` times; the door-change → alarm-on-screen numbers."""
    # The kiosk logs each forced door as a warning: one per change here, not news in a benchmark.
    kiosk_log = logging.getLogger("kiosk")
    level = kiosk_log.level
    kiosk_log.setLevel(logging.ERROR)
    try:
        return asyncio.run(_measure(changes, poll_ms, seed))
    finally:
        kiosk_log.setLevel(level)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--poll-ms", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(run(args.changes, args.poll_ms), indent=1))


if __name__ == "__main__":
    main()
