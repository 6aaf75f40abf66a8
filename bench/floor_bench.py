"""The kiosk's scan against the least a durable scan can cost, side by side in one process.

The floor is the minimal durable scan of issue 26, on the same disk with the ledger's pragmas (WAL,
synchronous=FULL): BEGIN IMMEDIATE; read the chain's head; SHA-256 over the event; INSERT the event;
UPDATE the card; COMMIT. The kiosk's scan is `Counter.scan` on a seeded ledger in an open session,
take-out and put-back in turn (the verdict is returned only after its commit), without the serial
driver, so the two measure the same thing: a scan from value to committed verdict.

The two alternate scan by scan over several rounds, so a busy moment of the machine weighs on both
alike; the ratios are of p50 over all scans and of the median of the rounds' p99s (one round's p99
alone is a handful of samples and swings with whatever else the machine did then).

    .venv/bin/python -m bench.floor_bench [--quick]
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


class MinimalScan:
    """The floor: one durable scan in five statements, nothing else."""

    def __init__(self, path: Path, cards: list[str]) -> None:
        from kiosk.ledger.engine import SQLITE_PRAGMAS

        self.con = sqlite3.connect(path, isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            self.con.execute(pragma)
        self.con.execute(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, card_id TEXT,"
            " payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)"
        )
        self.con.execute("CREATE TABLE cards (management_id TEXT PRIMARY KEY, status TEXT NOT NULL)")
        self.con.executemany("INSERT INTO cards VALUES (?, 'in_safe')", [(c,) for c in cards])
        self.con.execute(
            "INSERT INTO events (kind, card_id, payload, prev_hash, hash)"
            " VALUES ('genesis', NULL, '{}', '', ?)",
            ("0" * 64,),
        )

    def scan(self, card: str, out: bool) -> float:
        t0 = time.perf_counter()
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        seq, head = con.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        kind = "card_taken_out" if out else "card_returned"
        payload = json.dumps({"session_id": 1, "mode": kind}, separators=(",", ":"))
        digest = hashlib.sha256(f"{seq + 1}|{kind}|{card}|{payload}|{head}".encode()).hexdigest()
        con.execute(
            "INSERT INTO events (kind, card_id, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?)",
            (kind, card, payload, head, digest),
        )
        con.execute(
            "UPDATE cards SET status = ? WHERE management_id = ?", ("out" if out else "in_safe", card)
        )
        con.execute("COMMIT")
        return (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        self.con.close()


def floor_ratio(rounds: int = 10, per_round: int = 200, booked: int = 50) -> dict[str, Any]:
    """Kiosk scan and minimal durable scan, alternating, `rounds` × `per_round` each."""
    from kiosk.config import Settings
    from kiosk.desk import Desk
    from kiosk.desk.counter import Counter
    from kiosk.domain.safe_session import ScanMode
    from kiosk.ledger.engine import make_engine, upgrade
    from kiosk.ledger.service import Ledger
    from kiosk.runtime import settle_heap
    from kiosk.sim.runner import seed
    from simulator.cabinet import Cabinet

    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}")
        upgrade(engine)
        ledger = Ledger(engine, pepper=b"bench", kiosk="bench")
        cabinet = Cabinet.generate(booked, seed=1)
        settings = Settings()
        desk = Desk(ledger, settings)
        seed(ledger, cabinet, settings)
        clerk = ledger.staff_by_badge("C001")
        officer = ledger.staff_by_badge("O001")
        supervisor = ledger.staff_by_badge("S001")
        assert clerk is not None
        assert officer is not None
        assert supervisor is not None
        desk.book(cabinet.ids(), supervisor)
        counter = Counter(desk)
        counter.open_safe(officer, clerk, settings.session.opening_checklist)
        settle_heap()
        ids = cabinet.ids()
        floor = MinimalScan(Path(tmp) / "floor.sqlite3", ids)
        kiosk_laps: list[list[float]] = []
        floor_laps: list[list[float]] = []
        wrong = 0
        i = 0
        try:
            for _ in range(rounds):
                k_round: list[float] = []
                f_round: list[float] = []
                for _ in range(per_round):
                    lap, k = divmod(i, booked)
                    out = lap % 2 == 0
                    mode = ScanMode.TAKE_OUT if out else ScanMode.PUT_BACK
                    t0 = time.perf_counter()
                    verdict = counter.scan(ids[k], actor=clerk, mode=mode, device="bench", source="bench")
                    k_round.append((time.perf_counter() - t0) * 1000)
                    wrong += not verdict.ok
                    f_round.append(floor.scan(ids[k], out))
                    i += 1
                kiosk_laps.append(k_round)
                floor_laps.append(f_round)
        finally:
            floor.close()
            engine.dispose()
    k_all = [x for r in kiosk_laps for x in r]
    f_all = [x for r in floor_laps for x in r]
    k_p99 = statistics.median(_pct(r, 0.99) for r in kiosk_laps)
    f_p99 = statistics.median(_pct(r, 0.99) for r in floor_laps)
    k_p50, f_p50 = statistics.median(k_all), statistics.median(f_all)
    return {
        "floor_rounds": rounds,
        "floor_scans_per_round": per_round,
        "floor_wrong_verdicts": wrong,
        "kiosk_scan_p50_ms": round(k_p50, 3),
        "kiosk_scan_p99_ms": round(k_p99, 3),
        "floor_scan_p50_ms": round(f_p50, 3),
        "floor_scan_p99_ms": round(f_p99, 3),
        "scan_p50_over_floor": round(k_p50 / f_p50, 2),
        "scan_p99_over_floor": round(k_p99 / f_p99, 2),
    }


def main() -> None:
    quick = "--quick" in sys.argv
    print(json.dumps(floor_ratio(rounds=5 if quick else 10), indent=2))


if __name__ == "__main__":
    main()
