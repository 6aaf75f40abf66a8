"""Crash consistency: a busy day run by `kiosk sim run` is SIGKILLed at random points, again and again.

After every kill: `kiosk verify` passes (chain and projection), every verdict the killed process printed
(a line is printed and flushed only after its commit) is in the ledger, and the next run resumes the
safe session or stocktake that was open. The done-criterion is 200 kills in a row:

    KIOSK_CRASH_KILLS=200 .venv/bin/pytest tests/reliability/test_crash.py

The default (20) keeps the normal suite fast. Start-up dominates each round, so the runner's imports
are kept lean (no Textual, no OpenCV for a serial-only scenario).
"""

from __future__ import annotations

import json
import os
import random
import selectors
import signal
import subprocess
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kiosk.ledger import models
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from kiosk.sim.runner import seed
from simulator.scenario import parse_scenario
from tests import ledger_ops as st
from tests.ledger_ops import current_session
from tests.reliability.helpers import KIOSK, PEPPER, env

KILLS = int(os.environ.get("KIOSK_CRASH_KILLS", "12"))  # the suite's share; 200 by hand (above)
CARDS = 24
BOOKED = 6  # the seed's pick list: the first six cards


def busy_day(cycles: int = 25) -> str:
    """A session of take-out / put-back cycles, then a stocktake counted by barcode and finished."""
    steps = ['[[steps]]\naction = "open_session"\noperator = "O001"\nwitness = "C001"\n']
    for i in range(cycles):
        card = i % BOOKED
        steps.append('[[steps]]\naction = "mode"\nmode = "take_out"\n')
        steps.append(f'[[steps]]\naction = "scan"\ndevice = "counter"\ncard = {card}\n')
        steps.append('[[steps]]\naction = "mode"\nmode = "put_back"\n')
        steps.append(f'[[steps]]\naction = "scan"\ndevice = "counter"\ncard = {card}\n')
    steps.append('[[steps]]\naction = "close_session"\noperator = "O002"\nwitness = "C001"\n')
    steps.append('[[steps]]\naction = "start_stocktake"\noperator = "O001"\nwitness = "C002"\n')
    for card in range(CARDS):
        steps.append(f'[[steps]]\naction = "scan"\ndevice = "counter"\ncard = {card}\n')
    steps.append('[[steps]]\naction = "finish_stocktake"\noperator = "O002"\nwitness = "C001"\n')
    head = (
        f'name = "busy-day"\ncabinet = {{ size = {CARDS}, seed = 2017 }}\n'
        '[[devices]]\nname = "counter"\nkind = "serial"\n'
    )
    return head + "\n".join(steps)


def open_ledger(tmp: Path) -> Ledger:
    engine = make_engine(env(tmp)["KIOSK_DB_URL"])
    upgrade(engine)
    return Ledger(engine, pepper=PEPPER.encode())


def run_until_killed(tmp: Path, scenario: Path, lines_before_kill: int, delay: float) -> list[dict[str, Any]]:
    """Start the busy day, read `lines_before_kill` verdict lines, wait `delay` s, SIGKILL it."""
    proc = subprocess.Popen(
        [*KIOSK, "sim", "run", str(scenario), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env(tmp),
        cwd=tmp,
    )
    assert proc.stdout is not None
    printed: list[dict[str, Any]] = []
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    try:
        while len(printed) < lines_before_kill and time.monotonic() < deadline:
            if not sel.select(timeout=1):
                continue
            line = proc.stdout.readline()
            if not line:
                break  # the day ended before the kill point
            obj = json.loads(line)
            if "summary" not in obj:
                printed.append(obj)
        time.sleep(delay)  # land the kill anywhere: mid-transaction, mid-print, between steps
        proc.send_signal(signal.SIGKILL)
        # A line flushed just before the kill is still in the pipe: it was printed, so it counts.
        rest, _ = proc.communicate(timeout=30)
    finally:
        sel.close()
        if proc.poll() is None:
            proc.kill()
    for line in rest.splitlines():
        obj = json.loads(line)
        if "summary" not in obj:
            printed.append(obj)
    return printed


def check_printed_verdicts_are_on_record(ledger: Ledger, printed: list[dict[str, Any]]) -> None:
    seqs = {o["seq"] for o in printed if o["seq"] is not None}
    with ledger.read() as s:
        rows = {
            r.seq: r for r in s.execute(select(models.Event.seq, models.Event.card_id, models.Event.kind))
        }
    for o in printed:
        if o["code"] == "ledger_error":
            raise AssertionError(f"unexpected ledger error in a healthy run: {o}")
        if o["seq"] is None:
            assert o["kind"] in ("device", "step"), o
            continue
        assert o["seq"] in rows, f"printed verdict {o} is not in the ledger"
        if o["kind"] == "scan" and o["ok"] and o["code"] in ("taken_out", "put_back", "issued"):
            assert rows[o["seq"]].card_id == o["card"]
    assert seqs <= set(rows)


@pytest.mark.timeout(120 + 8 * KILLS)  # about 2 s a round; 200 rounds exceed the suite's default
def test_killed_again_and_again_the_ledger_stays_whole_and_resumes(tmp_path: Path) -> None:
    scenario = tmp_path / "busy-day.toml"
    scenario.write_text(busy_day(), encoding="utf-8")
    sc = parse_scenario(tomllib.loads(scenario.read_text(encoding="utf-8")))
    ledger = open_ledger(tmp_path)
    seed(ledger, sc.make_cabinet())  # the office exists before the day starts (seeding is not under test)
    rng = random.Random(int(os.environ.get("KIOSK_CRASH_SEED", "236")))
    resumed = 0
    for kill in range(KILLS):
        open_session = current_session(ledger)
        open_count = st.open_stocktake(ledger)
        printed = run_until_killed(tmp_path, scenario, rng.randint(1, 30), rng.random() * 0.05)
        assert printed, f"kill {kill}: the runner printed nothing"
        # The restart found what was open and resumed it before anything else.
        firsts = [o for o in printed[:2] if o["code"] in ("session_resumed", "stocktake_resumed")]
        if open_session is not None:
            assert any(o["detail"] == f"session {open_session.id}" for o in firsts), (kill, printed[:2])
            resumed += 1
        if open_count is not None:
            assert any(o["detail"] == f"stocktake {open_count.id}" for o in firsts), (kill, printed[:2])
            resumed += 1
        report = verify(ledger)
        assert report.ok, f"kill {kill}: verify broken at {report.first_bad_seq}: {report.problem}"
        check_printed_verdicts_are_on_record(ledger, printed)
    assert resumed > 0 or KILLS < 3
    ledger.engine.dispose()
