"""Ledger at scale: append latency, `kiosk verify` and a card-history query at N events.

    .venv/bin/python -m bench.ledger_bench [--events 1000000] [--db PATH]

Builds (or reuses) a SQLite ledger of 100,000 cards whose events are deliveries and take-out/put-back
cycles, then measures: one more append (p50/p99 over 200 single-event transactions, synchronous=FULL:
one card taken out and put back in turn, so the ledger stays one the kiosk accepts), a streaming
`verify`, and a card's history query. Peak memory is `bench.integrity_bench`'s (a fresh process).

The ledger must verify: a `verify` time on a ledger that fails verification measures the wrong thing
(it may stop early, or skip work), so `run` raises `LedgerDoesNotVerify` instead of returning numbers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from drivers.damm import with_check_digit
from kiosk.domain.delivery import parse_delivery
from kiosk.domain.staff import Role
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import CardEventSpec, Ledger
from kiosk.ledger.verify import verify

CARDS = 100_000


class LedgerDoesNotVerify(RuntimeError):
    """The benchmark's ledger fails `kiosk verify`: its timings would be of the wrong thing."""

    def __init__(self, path: Path, problem: str, seq: int | None = None) -> None:
        at = f" at event {seq}" if seq is not None else ""
        super().__init__(
            f"the benchmark ledger {path} does not verify{at}: {problem}. A ledger the kiosk would refuse "
            f"measures nothing; delete {path} and run the benchmark again to rebuild it"
        )
        self.path = path
        self.problem = problem


def build(ledger: Ledger, events: int, cards: int = CARDS) -> None:
    """Fill an empty ledger to about `events` events."""
    officer = ledger.add_staff(
        name="bench officer", badge="BENCH-O", employee_no="E-BENCH-O", role=Role.OFFICER, rank=0, pin="1111"
    )
    ids = [with_check_digit(f"5{n:08d}") for n in range(cards)]
    for start in range(0, cards, 50_000):
        part = ids[start : start + 50_000]
        text = "management_id,kind\n" + "".join(f"{m},mynumber_card\n" for m in part)
        ledger.receive_batch(f"BENCH-{start}", parse_delivery(text), actor_id=officer.id)
    fields = {"actor_id": officer.id, "session_id": 1}
    n = 0
    while ledger.head()[0] < events - 1:
        left = events - 1 - ledger.head()[0]
        chunk = ids[(n * 25_000) % cards :][: min(25_000, max(1, left // 2))]
        n += 1
        specs = [CardEventSpec("card_taken_out", m, {}, fields) for m in chunk]
        specs += [CardEventSpec("card_put_back", m, {"location": "safe"}, fields) for m in chunk]
        with ledger.unit() as u:
            u.card_events(specs)


def extend(path: Path, events: int) -> None:
    """Grow a ledger `build` made to about `events` events with the same take-out/put-back pairs, fast.

    For the 10M-event verify: `build` appends through the ledger (2-5k events/s here, hours for 10M).
    This writes the very rows `build` would (same kinds, payloads, actor, session, chunks of 25,000
    cards, one time per chunk) with plain sqlite3, each chained by the chain's canonical encoding
    (`chain.body_text`, proven byte for byte `chain.event_hash` by tests/integrity/test_anchors),
    then moves every card's `last_seq` and the head as the writers would. Whether the result is a ledger
    the kiosk accepts is `verify`'s to say: `verify_bench.large` times no ledger that does not verify.
    """
    import hashlib
    import sqlite3
    from datetime import UTC, datetime

    from kiosk.ledger.chain import body_text

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # a bench file: a crash mid-build means rebuilding
        conn.execute("PRAGMA cache_size=-262144")  # 256 MB: the card_id index's inserts land all over
        seq, prev = conn.execute("SELECT seq, hash FROM ledger_head WHERE id = 1").fetchone()
        (actor,) = conn.execute(
            "SELECT actor_id FROM events WHERE kind = 'card_received' LIMIT 1"  # build's officer
        ).fetchone()
        ids = [r[0] for r in conn.execute("SELECT management_id FROM cards ORDER BY management_id")]
        statuses = {r[0] for r in conn.execute("SELECT DISTINCT status FROM cards")}
        if statuses != {"in_safe"}:
            raise RuntimeError(f"{path}: extend needs every card in the safe, found {sorted(statuses)}")
        cards = len(ids)
        last: dict[str, int] = {}
        insert = (
            "INSERT INTO events (seq, at, kind, card_id, actor_id, witness_id, session_id, stocktake_id, "
            "device, source, payload, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, NULL, 1, NULL, NULL, NULL, ?, ?, ?)"
        )
        sha = hashlib.sha256
        n = 0
        while seq < events - 1:
            chunk = ids[(n * 25_000) % cards :][: min(25_000, max(1, (events - 1 - seq) // 2))]
            n += 1
            now = datetime.now(UTC).replace(tzinfo=None)
            stored_at = now.isoformat(sep=" ", timespec="microseconds")
            at_text = now.isoformat(timespec="microseconds") + "Z"
            rows = []
            for kind, payload in (("card_taken_out", "{}"), ("card_put_back", '{"location":"safe"}')):
                for mid in chunk:
                    seq += 1
                    body = body_text(seq, at_text, kind, mid, actor, None, 1, None, None, None, payload, prev)
                    digest = sha(body.encode()).hexdigest()
                    rows.append((seq, stored_at, kind, mid, actor, payload, prev, digest))
                    prev = digest
                    last[mid] = seq
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(insert, rows)
            conn.execute("UPDATE ledger_head SET seq = ?, hash = ? WHERE id = 1", (seq, prev))
            conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "UPDATE cards SET last_seq = ? WHERE management_id = ?", [(s, m) for m, s in last.items()]
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def append_laps(ledger: Ledger, card: str, laps: int = 200) -> list[float]:
    """`laps` single-event transactions (ms each): `card` taken out, then put back, in turn. Real events
    of registered kinds in an order the status machine allows, so the ledger still verifies after."""
    officer = ledger.staff_by_badge("BENCH-O")
    assert officer is not None, "the benchmark ledger has no bench officer (built by another tool?)"
    fields = {"actor_id": officer.id, "session_id": 1}
    took = []
    for lap in range(laps + laps % 2):  # an even count: the card ends where it started, in the safe
        spec = (
            CardEventSpec("card_taken_out", card, {}, fields)
            if lap % 2 == 0
            else CardEventSpec("card_put_back", card, {"location": "safe"}, fields)
        )
        t = time.perf_counter()
        with ledger.unit() as u:
            u.card_events([spec])
        took.append((time.perf_counter() - t) * 1000)
    return sorted(took)


def run(events: int = 1_000_000, db: Path | None = None, cards: int = CARDS) -> dict[str, Any]:
    """Build (or reuse) the ledger at `db`, then time appends, a card's history and `verify`.

    Raises LedgerDoesNotVerify when the ledger fails verification (say a cached ledger from an older
    tool), rather than reporting how fast a failing verify ran."""
    path = db or Path(f"var/bench/ledger-{events}.sqlite3")
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"bench")
    t0 = time.perf_counter()
    if ledger.head()[0] < events - 1:
        build(ledger, events, cards)
    build_s = time.perf_counter() - t0

    card = with_check_digit(f"5{min(42, cards - 1):08d}")
    laps = append_laps(ledger, card)

    t = time.perf_counter()
    history = ledger.history(card)
    history_ms = (time.perf_counter() - t) * 1000

    t = time.perf_counter()
    report = verify(ledger)
    verify_s = time.perf_counter() - t
    engine.dispose()
    if not report.ok:
        raise LedgerDoesNotVerify(path, report.problem, report.first_bad_seq)
    return {
        "events": report.events,
        "build_s": round(build_s, 1),
        "append_p50_ms": round(statistics.median(laps), 2),
        "append_p99_ms": round(laps[int(len(laps) * 0.99) - 1], 2),
        "verify_s": round(verify_s, 2),
        "verify_ok": report.ok,
        "history_ms": round(history_ms, 2),
        "history_events": len(history),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    try:
        print(json.dumps(run(args.events, args.db), indent=2))
    except LedgerDoesNotVerify as exc:
        raise SystemExit(f"ledger_bench: {exc}") from None


if __name__ == "__main__":
    main()
