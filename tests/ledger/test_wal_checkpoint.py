"""The ledger's WAL checkpoint waits for a quiet moment, never runs beside a stream of scans until the
WAL reaches its bound, and a SIGKILL in the middle of one loses no committed row."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from kiosk.ledger.engine import WalCheckpointer, make_engine, wal_checkpointer


def filler(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)")
    con.commit()
    con.close()


def writes(engine: object, n: int) -> None:
    for i in range(n):
        with engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(text("INSERT INTO filler (body) VALUES (:b)"), {"b": "x" * 200 + str(i)})


def swap(engine: object, checkpointer: WalCheckpointer) -> None:
    from sqlalchemy import event

    old = wal_checkpointer(engine)  # type: ignore[arg-type]
    assert old is not None
    event.remove(engine, "checkin", old.checkin)
    event.listen(engine, "checkin", checkpointer.checkin)


def wait_until(condition: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_no_checkpoint_while_scans_keep_coming_until_the_bound(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    filler(db)
    engine = make_engine(f"sqlite:///{db}")
    # Never quiet (an hour), so only the bound may start a checkpoint.
    checkpointer = WalCheckpointer(db, every_rows=10, quiet_s=3600, bound_rows=60)
    swap(engine, checkpointer)
    writes(engine, 40)  # past every_rows, under the bound: it waits for a quiet moment
    time.sleep(0.3)
    assert checkpointer.checkpoints == 0
    writes(engine, 25)  # past the bound: at once, even though the kiosk is busy
    assert wait_until(lambda: checkpointer.checkpoints == 1)
    assert checkpointer.bounded == 1
    engine.dispose()


def test_a_quiet_moment_checkpoints(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    filler(db)
    engine = make_engine(f"sqlite:///{db}")
    checkpointer = WalCheckpointer(db, every_rows=10, quiet_s=0.05, bound_rows=10_000)
    swap(engine, checkpointer)
    writes(engine, 12)
    assert wait_until(lambda: checkpointer.checkpoints == 1)
    assert checkpointer.bounded == 0
    # The rows reached the main file: a copy of the file alone (no WAL) holds them.
    copy = tmp_path / "file-only.sqlite3"
    copy.write_bytes(db.read_bytes())
    con = sqlite3.connect(copy)
    try:
        assert con.execute("SELECT count(*) FROM filler").fetchone()[0] == 12
    finally:
        con.close()
    engine.dispose()


WRITER = """
import sys, time
from pathlib import Path
from sqlalchemy import event, text
from kiosk.ledger.engine import WalCheckpointer, make_engine, wal_checkpointer
db = Path(sys.argv[1])
engine = make_engine(f"sqlite:///{db}")
old = wal_checkpointer(engine)
event.remove(engine, "checkin", old.checkin)
# A checkpoint after every commit, at once: the kill lands inside one sooner or later.
cp = WalCheckpointer(db, every_rows=1, quiet_s=0, bound_rows=1)
event.listen(engine, "checkin", cp.checkin)
i = 0
while True:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO filler (id, body) VALUES (:i, :b)"), {"i": i, "b": "y" * 3000})
    print(i, cp.checkpoints, flush=True)  # printed only after the commit returned
    i += 1
"""


def test_a_kill_during_checkpoints_loses_no_committed_row(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    filler(db)
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert proc.stdout is not None
    committed: list[int] = []
    checkpoints = 0
    while checkpoints < 20 or len(committed) < 200:
        line = proc.stdout.readline()
        assert line, "the writer died before the kill"
        i, checkpoints = (int(x) for x in line.split())
        committed.append(i)
    proc.send_signal(signal.SIGKILL)
    committed += [int(line.split()[0]) for line in proc.stdout.read().splitlines()]
    proc.wait(timeout=30)
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        present = {row[0] for row in con.execute("SELECT id FROM filler")}
    finally:
        con.close()
    assert set(committed) <= present
