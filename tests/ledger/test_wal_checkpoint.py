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


# -- the WAL grown ahead of a day's scans (presize_wal) --------------------------------------------------


def _kiosk_ledger(db: Path) -> object:
    from kiosk.config import Settings
    from kiosk.ledger.engine import upgrade
    from kiosk.ledger.service import Ledger
    from kiosk.sim.runner import seed
    from simulator.cabinet import Cabinet

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"p", kiosk="kiosk-wal")
    seed(ledger, Cabinet.generate(20, seed=5), Settings())
    return ledger


def test_the_wal_is_grown_ahead_with_nothing_committed_and_the_scans_overwrite_it(tmp_path: Path) -> None:
    from kiosk.ledger.engine import WAL_PRESIZE_BYTES, presize_wal
    from kiosk.ledger.service import Ledger
    from kiosk.ledger.verify import verify

    db = tmp_path / "l.sqlite3"
    ledger = _kiosk_ledger(db)
    assert isinstance(ledger, Ledger)
    wal = Path(f"{db}-wal")
    head = ledger.head()
    assert wal.stat().st_size < WAL_PRESIZE_BYTES
    assert presize_wal(ledger.engine)
    grown = wal.stat().st_size
    assert grown >= WAL_PRESIZE_BYTES
    assert ledger.head() == head  # nothing committed
    assert not presize_wal(ledger.engine)  # already that size: nothing to do
    for i in range(100):
        ledger.record_refusal("not_digits", attempted=f"after-{i}", source="test")
    assert wal.stat().st_size == grown  # written over, not grown
    assert ledger.head()[0] == head[0] + 100
    with ledger.engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
    assert "kiosk_wal_presize" not in tables
    assert verify(ledger).ok
    ledger.engine.dispose()


KILLED_AFTER_PRESIZE = """
import os, signal, sys
from kiosk.ledger.engine import make_engine, presize_wal
from kiosk.ledger.service import Ledger
ledger = Ledger(make_engine("sqlite:///" + sys.argv[1]), pepper=b"p", kiosk="kiosk-wal")
assert presize_wal(ledger.engine)
seq = ledger.record_refusal("not_digits", attempted="before-the-kill", source="test").seq
print(seq, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_kill_after_growing_the_wal_keeps_every_commit_and_nothing_else(tmp_path: Path) -> None:
    """The zero blobs' frames (a transaction rolled back) sit in the WAL beside a committed event when the
    process is killed: recovery takes the event, leaves the blobs out, and the ledger verifies."""
    from kiosk.ledger.service import Ledger
    from kiosk.ledger.verify import verify

    db = tmp_path / "l.sqlite3"
    ledger = _kiosk_ledger(db)
    assert isinstance(ledger, Ledger)
    ledger.engine.dispose()  # the WAL is checkpointed and deleted: the child grows it anew
    done = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_PRESIZE, str(db)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
        timeout=120,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    seq = int(done.stdout.split()[0])
    assert Path(f"{db}-wal").stat().st_size >= 32 * 1024 * 1024  # left as the kill found it
    reopened = Ledger(make_engine(f"sqlite:///{db}"), pepper=b"p", kiosk="kiosk-wal")
    try:
        assert reopened.head()[0] == seq
        assert [e.kind for e in reopened.events()][-1] == "refused"
        with reopened.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
            tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
        assert "kiosk_wal_presize" not in tables
        assert verify(reopened).ok
    finally:
        reopened.engine.dispose()
