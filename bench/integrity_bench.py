"""The ledger proving itself at 1,000,000 events: full `verify`, the start-up check, beside a bare read.

    .venv/bin/python -m bench.integrity_bench [--db PATH]

Uses (and builds once, if missing) the same 1M-event SQLite ledger as `bench.ledger_bench`
(var/bench/ledger-1000000.sqlite3, or --db). Each measurement runs in a fresh process, so its peak RSS
is its own: a verify in constant memory has the same peak at any ledger length (it holds one page of
events and the card fold, not the events).

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
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

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
                      "problem": report.problem, "rss_mb": rss(), "base_rss_mb": base}))
else:
    from kiosk.ledger.anchors import startup_check
    checkpoint = Path(data) / "anchors" / "checkpoint"
    if what == "first":
        checkpoint.unlink(missing_ok=True)
    t, c = time.perf_counter(), cpu()
    startup_check(ledger, settings)
    print(json.dumps({"s": time.perf_counter() - t, "cpu_s": cpu() - c, "rss_mb": rss()}))
"""


def _child(what: str, db: Path, data: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, what, str(db), str(data)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{what}: {out.stderr[-800:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def prepare(db: Path) -> None:
    """Build the 1M-event ledger once (bench.ledger_bench), and give it its identity (kiosk init's part)."""
    from bench.ledger_bench import build
    from kiosk.ledger.engine import make_engine, upgrade
    from kiosk.ledger.meta import check_identity
    from kiosk.ledger.service import Ledger

    db.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"bench")
    if ledger.head()[0] < MILLION - 1:
        build(ledger, MILLION)
    check_identity(ledger, "bench pepper")
    engine.dispose()


def _warm(db: Path) -> None:
    """Read the file once, so every measurement starts from the same (warm) page cache."""
    with db.open("rb") as fh:
        while fh.read(1 << 24):
            pass


def run(db: Path = DEFAULT_DB) -> dict[str, Any]:
    prepare(db)
    _warm(db)
    with tempfile.TemporaryDirectory(prefix="bench-integrity-") as tmp:
        data = Path(tmp)
        bare = _child("bare", db, data)
        full = _child("verify", db, data)
        first = _child("first", db, data)
        steady = min((_child("steady", db, data) for _ in range(3)), key=lambda r: float(r["s"]))
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
    print(json.dumps(run(args.db), indent=2))


if __name__ == "__main__":
    main()
