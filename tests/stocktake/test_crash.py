"""A stocktake survives the kiosk process being killed: every scan that printed a verdict is counted.

The scans go through the real CLI (`kiosk stocktake scan`, one verdict line per committed scan) in a
subprocess that is SIGKILLed mid-way; a new process then resumes the same stocktake.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiosk.demo.seed import seed_demo
from kiosk.ledger import models
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger
from tests import ledger_ops as st
from tests import warm

KIOSK = (
    [sys.executable, "-m", "kiosk"]
    if not Path(sys.executable).with_name("kiosk").exists()
    else [str(Path(sys.executable).with_name("kiosk"))]
)
PEPPER = "crash-test-pepper"


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KIOSK_DB_URL=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        KIOSK_PEPPER=PEPPER,
        KIOSK_PATHS__LOGS=str(tmp_path / "log"),
    )
    # The defaults (config/kiosk.toml does not exist in tmp_path), whatever the caller's shell set.
    env.pop("KIOSK_CONFIG_FILE", None)
    return env


def _kiosk(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return warm.run(
        [*KIOSK, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=120,
    )


def _read_verdicts(proc: subprocess.Popen[str], count: int, deadline_s: float) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + deadline_s
    while len(lines) < count:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"only {len(lines)} verdicts before the deadline"
        if sel.select(timeout=remaining):
            line = proc.stdout.readline()
            assert line, "the scanner process ended early"
            lines.append(line.rstrip("\n"))
    return lines


def test_killed_mid_stocktake_loses_no_counted_scan(tmp_path: Path) -> None:
    engine = make_engine(_env(tmp_path)["KIOSK_DB_URL"])
    upgrade(engine)
    ledger = Ledger(engine, pepper=PEPPER.encode())
    cabinet = seed_demo(ledger)
    ids = cabinet.ids()

    started = _kiosk(
        tmp_path, "stocktake", "start", "--operator", "O001", "--witness", "C001", stdin="1111\n3333\n"
    )
    assert started.returncode == 0, started.stderr
    view = st.open_stocktake(ledger)
    assert view is not None

    proc = subprocess.Popen(
        [*KIOSK, "stocktake", "scan", "--device", "gun-1", "--operator", "O001"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    assert proc.stdin is not None
    # Everything is queued at once; the process is killed while it is still counting.
    # The counter's PIN first, then the codes.
    proc.stdin.write("1111\n" + "".join(f"{m}\n" for m in ids))
    proc.stdin.flush()
    try:
        printed = _read_verdicts(proc, 40, deadline_s=120)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    confirmed = [line.split()[1] for line in printed]
    assert all(line.startswith("found ") for line in printed)
    assert confirmed == ids[: len(confirmed)]

    # After the restart: the same stocktake is open, and every scan that printed a verdict is counted.
    engine.dispose()
    engine = make_engine(_env(tmp_path)["KIOSK_DB_URL"])
    ledger = Ledger(engine, pepper=PEPPER.encode())
    resumed = st.open_stocktake(ledger)
    assert resumed is not None
    assert resumed.id == view.id
    with ledger.read() as s:
        for mid in confirmed:
            assert s.get(models.StocktakeScan, (view.id, mid)) is not None, mid
    counted_before = st.progress(ledger, view.id).found
    assert counted_before >= len(confirmed)

    # Resume: the rest are scanned by a new process; scans that were already counted say so.
    rest = _kiosk(
        tmp_path,
        "stocktake",
        "scan",
        "--device",
        "gun-1",
        "--operator",
        "O001",
        stdin="1111\n" + "".join(f"{m}\n" for m in ids[len(confirmed) :]),
    )
    assert rest.returncode == 0, rest.stderr
    verdicts = [line.split()[0] for line in rest.stdout.splitlines()]
    assert verdicts.count("duplicate") == counted_before - len(confirmed)
    assert verdicts.count("found") == len(ids) - counted_before
    status = _kiosk(tmp_path, "stocktake", "status", "--no-lists")
    assert f"expected {len(ids)} found {len(ids)} missing 0" in status.stdout
    verified = _kiosk(tmp_path, "verify")
    assert verified.returncode == 0, verified.stderr
    engine.dispose()
