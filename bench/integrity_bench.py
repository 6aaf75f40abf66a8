"""The ledger proving itself at 1,000,000 events: full `verify`, the start-up check, beside a bare read.

    .venv/bin/python -m bench.integrity_bench [--db PATH]

Uses (and builds once, if missing) the same 1M-event SQLite ledger as `bench.ledger_bench`
(var/bench/ledger-1000000.sqlite3, or --db). Each measurement runs in a fresh, small interpreter
(`python -c`), and its peak RSS is that process's own high-water mark, `VmHWM` in /proc/self/status: a
verify in constant memory has the same peak at any ledger length (it holds one page of events and the
card fold, not the events). Not `ru_maxrss`: Linux carries it over fork and exec (and with vfork the
child even inherits the parent's peak), so a child of a big process, say the test suite, would report
its parent's memory, not verify's.

The ledger must verify (`verify_ok`); if it does not, `run` raises `LedgerDoesNotVerify` with the
problem instead of returning the time of a failing verify.

Times are wall-clock; `*_cpu_s` add the CPU time of the process and its helper (load-independent).

- bare_read_s: `SELECT` every column of every event in seq order with plain sqlite3, nothing else.
- verify_s / verify_peak_rss_mb: `kiosk.ledger.verify.verify` (chain, head, anchors, every projection).
- startup_check_s: `kiosk.ledger.anchors.startup_check` with the checkpoint at the head (every start
  after the first); startup_check_first_s: with no checkpoint yet (the first start verifies the chain).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

DEFAULT_DB = Path("var/bench/ledger-1000000.sqlite3")
MILLION = 1_000_000

_CHILD = r"""
import json, resource, sqlite3, sys, time
from pathlib import Path
what, db, data = sys.argv[1], sys.argv[2], sys.argv[3]

def rss():
    # This process's own peak (VmHWM, kB): the counter starts afresh with the exec'd image, unlike
    # ru_maxrss, which keeps the peak of the process that spawned us.
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    raise SystemExit("no VmHWM in /proc/self/status: peak memory cannot be measured here")

def cpu():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

if what == "bare":
    base = rss()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    t, c = time.perf_counter(), cpu()
    n = 0
    for _ in conn.execute("SELECT seq, at, kind, card_id, actor_id, witness_id, session_id, stocktake_id, "
                          "device, source, payload, prev_hash, hash FROM events ORDER BY seq"):
        n += 1
    print(json.dumps({"events": n, "s": time.perf_counter() - t, "cpu_s": cpu() - c, "rss_mb": rss(),
                      "base_rss_mb": base}))
    sys.exit()

from kiosk.config import Settings
from kiosk.ledger.engine import make_engine
from kiosk.ledger.service import Ledger
settings = Settings(ledger={"url": f"sqlite:///{db}"}, paths={"data_dir": data})
ledger = Ledger(make_engine(settings.ledger.url), pepper=b"bench")
base = rss()
if what == "verify":
    from kiosk.ledger.verify import verify
    t, c = time.perf_counter(), cpu()
    report = verify(ledger)
    took, used = time.perf_counter() - t, cpu() - c
    print(json.dumps({"events": report.events, "s": took, "cpu_s": used, "ok": report.ok,
                      "problem": report.problem, "seq": report.first_bad_seq, "rss_mb": rss(),
                      "base_rss_mb": base}))
else:
    from kiosk.ledger.anchors import startup_check
    checkpoint = Path(data) / "anchors" / "checkpoint"
    if what == "first":
        checkpoint.unlink(missing_ok=True)
    t, c = time.perf_counter(), cpu()
    startup_check(ledger, settings)
    print(json.dumps({"s": time.perf_counter() - t, "cpu_s": cpu() - c, "rss_mb": rss()}))
"""


def in_fresh_process(what: str, db: Path, data: Path) -> dict[str, Any]:
    """One measurement (`bare`, `verify`, `first` or `steady`) in a fresh interpreter; its JSON line.
    `rss_mb` is that process's own peak resident memory, whatever the memory of this one."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, what, str(db), str(data)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{what}: {out.stderr[-800:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def prepare(db: Path, events: int = MILLION, cards: int | None = None) -> None:
    """Build the 1M-event ledger once (bench.ledger_bench), and give it its identity (kiosk init's part)."""
    from bench.ledger_bench import CARDS, build
    from kiosk.ledger.engine import make_engine, upgrade
    from kiosk.ledger.meta import check_identity
    from kiosk.ledger.service import Ledger

    db.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"bench")
    if ledger.head()[0] < events - 1:
        build(ledger, events, CARDS if cards is None else cards)
    check_identity(ledger, "bench pepper")
    engine.dispose()


def _warm(db: Path) -> None:
    """Read the file once, so every measurement starts from the same (warm) page cache."""
    with db.open("rb") as fh:
        while fh.read(1 << 24):
            pass


def run(db: Path = DEFAULT_DB, events: int = MILLION, cards: int | None = None) -> dict[str, Any]:
    """Every measurement on the ledger at `db` (built to `events` first if shorter).

    Raises LedgerDoesNotVerify when the full verify fails: its time would be that of the wrong thing."""
    from bench.ledger_bench import LedgerDoesNotVerify

    prepare(db, events, cards)
    _warm(db)
    with tempfile.TemporaryDirectory(prefix="bench-integrity-") as tmp:
        data = Path(tmp)
        bare = in_fresh_process("bare", db, data)
        full = in_fresh_process("verify", db, data)
        if not full["ok"]:
            raise LedgerDoesNotVerify(db, full["problem"], full.get("seq"))
        first = in_fresh_process("first", db, data)
        steady = min((in_fresh_process("steady", db, data) for _ in range(3)), key=lambda r: float(r["s"]))
    return {
        "integrity_events": bare["events"],
        "bare_read_s": round(bare["s"], 2),
        "bare_read_cpu_s": round(bare["cpu_s"], 2),
        "verify_s": round(full["s"], 2),
        "verify_cpu_s": round(full["cpu_s"], 2),  # this process and the helper together
        "verify_ok": full["ok"],
        "verify_problem": full["problem"],
        "verify_peak_rss_mb": full["rss_mb"],
        "verify_rss_before_mb": full["base_rss_mb"],
        "startup_check_first_s": round(first["s"], 2),
        "startup_check_first_cpu_s": round(first["cpu_s"], 2),
        "startup_check_s": round(steady["s"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    args = parser.parse_args()
    from bench.ledger_bench import LedgerDoesNotVerify

    try:
        print(json.dumps(run(args.db), indent=2))
    except LedgerDoesNotVerify as exc:
        raise SystemExit(f"integrity_bench: {exc}") from None


if __name__ == "__main__":
    main()
