"""The kiosk's scan against the least a durable scan can cost, side by side in one process.

The floor is the minimal durable scan of issue 26, on the same disk with the ledger's pragmas (WAL,
synchronous=FULL): BEGIN IMMEDIATE; read the chain's head; SHA-256 over the event; INSERT the event;
UPDATE the card; COMMIT. The kiosk's scan is `Counter.scan` on a seeded ledger in an open session,
take-out and put-back in turn (the verdict is returned only after its commit), without the serial
driver, so the two measure the same thing: a scan from value to committed verdict.

The two alternate scan by scan over several rounds, so a busy moment of the machine weighs on both
alike; the ratios are of p50 over all scans and of the median of the rounds' p99s (one round's p99
alone is a handful of samples and swings with whatever else the machine did then).

Both are measured in their steady state. Before the rounds each side scans as many times as the rounds
will, and then the kiosk is left quiet until its WAL checkpoint has run: from then on a commit writes
into a WAL file that already has its working size, as it does at an office once the kiosk's first
quiet moment of the day has passed (the floor's WAL is reused from its own automatic checkpoint on).
While the WAL file still grows, each commit's fsync also writes the file's new size, about 0.1 ms on
this disk; the first 200 scans of that warm-up are reported apart (`kiosk_scan_p50_growing_wal_ms`,
`floor_scan_p50_growing_wal_ms`), so the start of a day is not hidden.

    .venv/bin/python -m bench.floor_bench [--quick] [--pg]

With `--pg` (KIOSK_BENCH_PG_URL or KIOSK_TEST_PG_URL): the same on PostgreSQL, with 1 and 3 kiosk
processes sharing one chain (`pg_3kiosk_throughput_over_floor`; see `pg_floor_ratio`).
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
    """Kiosk scan and minimal durable scan, alternating, `rounds` × `per_round` each, after a warm-up
    of as many scans and the kiosk's quiet-moment checkpoint."""
    from kiosk.config import Settings
    from kiosk.desk import Desk
    from kiosk.desk.counter import Counter
    from kiosk.domain.safe_session import ScanMode
    from kiosk.ledger.engine import make_engine, upgrade, wal_checkpointer
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

        def both() -> tuple[float, float]:
            nonlocal wrong, i
            lap, k = divmod(i, booked)
            out = lap % 2 == 0
            mode = ScanMode.TAKE_OUT if out else ScanMode.PUT_BACK
            t0 = time.perf_counter()
            verdict = counter.scan(ids[k], actor=clerk, mode=mode, device="bench", source="bench")
            kiosk_ms = (time.perf_counter() - t0) * 1000
            wrong += not verdict.ok
            floor_ms = floor.scan(ids[k], out)
            i += 1
            return kiosk_ms, floor_ms

        try:
            warm = [both() for _ in range(rounds * per_round)]
            checkpointer = wal_checkpointer(engine)
            if checkpointer is not None and checkpointer.due:
                done = checkpointer.checkpoints
                deadline = time.monotonic() + checkpointer.quiet_s + 10
                while checkpointer.checkpoints == done and time.monotonic() < deadline:
                    time.sleep(0.05)
                if checkpointer.checkpoints == done:
                    raise RuntimeError("the kiosk's WAL checkpoint did not run in its quiet moment")
            for _ in range(rounds):
                k_round: list[float] = []
                f_round: list[float] = []
                for _ in range(per_round):
                    kiosk_ms, floor_ms = both()
                    k_round.append(kiosk_ms)
                    f_round.append(floor_ms)
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
        "kiosk_scan_p50_growing_wal_ms": round(statistics.median(k for k, _ in warm[:200]), 3),
        "floor_scan_p50_growing_wal_ms": round(statistics.median(f for _, f in warm[:200]), 3),
    }


# -- PostgreSQL: several kiosks, one chain ----------------------------------------------------------------
#
# The floor on PostgreSQL is the same minimal durable scan in bare psycopg: BEGIN; SELECT the head FOR
# UPDATE; SHA-256; INSERT the event; UPDATE the card; UPDATE the head; COMMIT. (The head must move for
# the next scan to chain on it; it is what the kiosk's `ledger_head` does.) The kiosk's scan is
# `Counter.scan` as above. Each kiosk is a process of its own with its own cards and its own session,
# so the only thing they share is the chain's head: the office's throughput is bounded by how long a scan
# holds it. Rounds alternate kiosk and floor (1 process, then 3), each process starting at the same
# moment; throughput is the scans of all processes over the time from that moment to the last one's end.

PG_KIOSKS = 3


def _pg_url() -> str | None:
    import os

    return os.environ.get("KIOSK_BENCH_PG_URL") or os.environ.get("KIOSK_TEST_PG_URL")


_FLOOR_TABLES = (
    "CREATE TABLE floor_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)",
    "CREATE TABLE floor_events (seq BIGINT PRIMARY KEY, kind TEXT NOT NULL, card_id TEXT,"
    " payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE TABLE floor_cards (management_id TEXT PRIMARY KEY, status TEXT NOT NULL)",
)


class MinimalPgScan:
    """The floor on PostgreSQL: one durable scan in bare psycopg, on one connection of its own."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.con = psycopg.connect(url)

    def scan(self, card: str, out: bool) -> float:
        t0 = time.perf_counter()
        cur = self.con.cursor()
        cur.execute("SELECT seq, hash FROM floor_head WHERE id = 1 FOR UPDATE")
        row = cur.fetchone()
        assert row is not None
        seq, head = row
        kind = "card_taken_out" if out else "card_returned"
        payload = json.dumps({"session_id": 1, "mode": kind}, separators=(",", ":"))
        digest = hashlib.sha256(f"{seq + 1}|{kind}|{card}|{payload}|{head}".encode()).hexdigest()
        cur.execute(
            "INSERT INTO floor_events (seq, kind, card_id, payload, prev_hash, hash)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (seq + 1, kind, card, payload, head, digest),
        )
        cur.execute(
            "UPDATE floor_cards SET status = %s WHERE management_id = %s", ("out" if out else "in_safe", card)
        )
        cur.execute("UPDATE floor_head SET seq = %s, hash = %s WHERE id = 1", (seq + 1, digest))
        self.con.commit()
        return (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        self.con.close()


def _pg_kiosk(url: str, n: int, cards: list[str], orders: Any, answers: Any) -> None:
    """One kiosk process: its own ledger connection, session and cards; scans when told to."""
    from kiosk.config import Settings
    from kiosk.desk import Desk
    from kiosk.desk.counter import Counter
    from kiosk.domain.safe_session import ScanMode
    from kiosk.ledger.engine import make_engine
    from kiosk.ledger.service import Ledger
    from kiosk.runtime import settle_heap

    engine = make_engine(url)
    ledger = Ledger(engine, pepper=b"bench", kiosk=f"bench-pg-{n}")
    settings = Settings()
    desk = Desk(ledger, settings)
    clerk = ledger.staff_by_badge("C001")
    officer = ledger.staff_by_badge("O001")
    assert clerk is not None
    assert officer is not None
    counter = Counter(desk)
    counter.open_safe(officer, clerk, settings.session.opening_checklist)
    floor = MinimalPgScan(url)
    settle_heap()
    done = {"kiosk": 0, "floor": 0}
    wrong = 0
    answers.put(("ready", n))
    while (order := orders.get()) is not None:
        which, count, start_at = order
        while time.time() < start_at:
            pass  # every process starts its part at the same moment
        laps: list[float] = []
        for _ in range(count):
            lap, k = divmod(done[which], len(cards))
            out = lap % 2 == 0
            if which == "kiosk":
                mode = ScanMode.TAKE_OUT if out else ScanMode.PUT_BACK
                t0 = time.perf_counter()
                verdict = counter.scan(cards[k], actor=clerk, mode=mode, device="bench", source="bench")
                laps.append((time.perf_counter() - t0) * 1000)
                wrong += not verdict.ok
            else:
                laps.append(floor.scan(cards[k], out))
            done[which] += 1
        answers.put((which, n, time.time(), laps, wrong))
    floor.close()
    engine.dispose()


def pg_floor_ratio(rounds: int = 6, per_round: int = 150, cards_per_kiosk: int = 50) -> dict[str, Any]:
    """The kiosk's scan against the PostgreSQL floor with 1 and with 3 kiosk processes (see above)."""
    url = _pg_url()
    if not url:
        return {"pg_floor_basis": "skipped: set KIOSK_BENCH_PG_URL or KIOSK_TEST_PG_URL (PostgreSQL)"}
    import multiprocessing as mp
    import secrets

    from sqlalchemy import text

    from drivers.damm import with_check_digit
    from kiosk.config import Settings
    from kiosk.desk import Desk
    from kiosk.domain.delivery import parse_delivery
    from kiosk.domain.staff import Role
    from kiosk.ledger.engine import make_engine, upgrade
    from kiosk.ledger.service import Ledger

    schema = f"bench_floor_{secrets.token_hex(4)}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    there = f"{url}{sep}options=-csearch_path%3D{schema}"
    ctx = mp.get_context("spawn")
    procs: list[Any] = []
    orders = [ctx.Queue() for _ in range(PG_KIOSKS)]
    answers = ctx.Queue()
    try:
        engine = make_engine(there)
        upgrade(engine)
        ledger = Ledger(engine, pepper=b"bench", kiosk="bench-pg")
        officer = ledger.add_staff(
            name="保管 正子", badge="O001", employee_no="E-O001", role=Role.OFFICER, rank=0, pin="1111"
        )
        ledger.add_staff(name="窓口 一郎", badge="C001", employee_no="E-C001", role=Role.CLERK, pin="3333")
        cards = [with_check_digit(f"9{i:08d}") for i in range(1, PG_KIOSKS * cards_per_kiosk + 1)]
        ledger.receive_batch(
            "B-FLOOR", parse_delivery("management_id,kind\n" + "".join(f"{c},mynumber_card\n" for c in cards))
        )
        Desk(ledger, Settings()).book(cards, officer)  # booked by the officer; the clerk takes them out
        with engine.begin() as conn:
            for ddl in _FLOOR_TABLES:
                conn.exec_driver_sql(ddl)
            conn.exec_driver_sql("INSERT INTO floor_head VALUES (1, 0, %(h)s)", {"h": "0" * 64})
            conn.execute(text("INSERT INTO floor_cards VALUES (:m, 'in_safe')"), [{"m": c} for c in cards])
        engine.dispose()
        for n in range(PG_KIOSKS):
            mine = cards[n * cards_per_kiosk : (n + 1) * cards_per_kiosk]
            p = ctx.Process(target=_pg_kiosk, args=(there, n, mine, orders[n], answers), daemon=True)
            p.start()
            procs.append(p)
        for _ in procs:
            got = answers.get(timeout=120)
            assert got[0] == "ready", got

        def part(which: str, kiosks: int) -> tuple[float, list[float], int]:
            start_at = time.time() + 0.2
            for n in range(kiosks):
                orders[n].put((which, per_round, start_at))
            results = [answers.get(timeout=300) for _ in range(kiosks)]
            end = max(r[2] for r in results)
            laps = [x for r in results for x in r[3]]
            return kiosks * per_round / (end - start_at), laps, max(r[4] for r in results)

        rates: dict[tuple[str, int], list[float]] = {}
        laps: dict[tuple[str, int], list[float]] = {}
        wrong = 0
        for _ in range(rounds):
            for kiosks in (1, PG_KIOSKS):
                for which in ("kiosk", "floor"):
                    rate, got, bad = part(which, kiosks)
                    rates.setdefault((which, kiosks), []).append(rate)
                    laps.setdefault((which, kiosks), []).extend(got)
                    wrong = max(wrong, bad)
        with admin.connect() as conn:
            # What the floor's side really wrote (the honest-bench test checks it against the count).
            count = f"SELECT count(*) FROM {schema}.floor_events"  # noqa: S608 - our own schema name
            written = conn.exec_driver_sql(count).scalar_one()
    finally:
        for q in orders[: len(procs)]:
            q.put(None)
        for p in procs:
            p.join(timeout=30)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    def ratio(kiosks: int) -> float:
        # The median of the rounds' ratios: kiosk and floor of one round ran back to back.
        pairs = zip(rates[("kiosk", kiosks)], rates[("floor", kiosks)], strict=True)
        return round(statistics.median(k / f for k, f in pairs), 2)

    out: dict[str, Any] = {
        "pg_floor_rounds": rounds,
        "pg_floor_scans_per_kiosk_per_round": per_round,
        "pg_floor_wrong_verdicts": wrong,
        "pg_floor_events_written": written,
    }
    for kiosks in (1, PG_KIOSKS):
        k_rate = statistics.median(rates[("kiosk", kiosks)])
        f_rate = statistics.median(rates[("floor", kiosks)])
        out[f"pg_{kiosks}kiosk_scans_per_s"] = round(k_rate, 1)
        out[f"pg_{kiosks}kiosk_floor_scans_per_s"] = round(f_rate, 1)
        out[f"pg_{kiosks}kiosk_scan_p50_ms"] = round(statistics.median(laps[("kiosk", kiosks)]), 3)
        out[f"pg_{kiosks}kiosk_floor_p50_ms"] = round(statistics.median(laps[("floor", kiosks)]), 3)
        out[f"pg_{kiosks}kiosk_throughput_over_floor"] = ratio(kiosks)
    return out


def main() -> None:
    quick = "--quick" in sys.argv
    if "--pg" in sys.argv:
        print(json.dumps(pg_floor_ratio(rounds=3 if quick else 6), indent=2))
        return
    print(json.dumps(floor_ratio(rounds=5 if quick else 10), indent=2))


if __name__ == "__main__":
    main()
