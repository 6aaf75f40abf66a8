"""Ledger at scale: append latency, `kiosk verify` and a card-history query at N events.

    .venv/bin/python -m bench.ledger_bench [--events 1000000] [--db PATH]

Builds (or reuses) a SQLite ledger of 100,000 cards whose events are deliveries and take-out/put-back
cycles, then measures: one more append (p50/p99 over 200 single-event transactions, synchronous=FULL),
a streaming `verify` (time and peak memory), and a card's history query.
"""

from __future__ import annotations

import argparse
import json
import resource
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


def run(events: int = 1_000_000, db: Path | None = None) -> dict[str, Any]:
    path = db or Path(f"var/bench/ledger-{events}.sqlite3")
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"bench")
    t0 = time.perf_counter()
    if ledger.head()[0] < events - 1:
        build(ledger, events)
    build_s = time.perf_counter() - t0

    card = with_check_digit("500000042")
    laps = []
    for _ in range(200):
        t = time.perf_counter()
        with ledger.unit() as u:
            u.append("bench_note", payload={"n": 1})
        laps.append((time.perf_counter() - t) * 1000)
    laps.sort()

    t = time.perf_counter()
    history = ledger.history(card)
    history_ms = (time.perf_counter() - t) * 1000

    t = time.perf_counter()
    report = verify(ledger)
    verify_s = time.perf_counter() - t
    engine.dispose()
    return {
        "events": report.events,
        "build_s": round(build_s, 1),
        "append_p50_ms": round(statistics.median(laps), 2),
        "append_p99_ms": round(laps[int(len(laps) * 0.99) - 1], 2),
        "verify_s": round(verify_s, 2),
        "verify_ok": report.ok,
        "history_ms": round(history_ms, 2),
        "history_events": len(history),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    print(json.dumps(run(args.events, args.db), indent=2))


if __name__ == "__main__":
    main()
