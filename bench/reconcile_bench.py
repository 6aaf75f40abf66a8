"""Benchmark: reconcile a stocktake of a 100,000-card ledger against 100,000 scan reads.

The ledger is seeded through a direct bulk path that still builds a valid hash chain and projection
(`kiosk verify` passes on it): the events are hashed here with the ledger's own `event_hash` and
folded with the same `card_state.apply` the ledger uses, then inserted in one transaction that holds
the chain head. The scans go through the real API (`record_many`, one RFID round per shelf).

Shape: `cards` cards; 1 % cancelled (waiting for disposal in the safe: expected, and scanned like the others);
1 % of the cards in the safe are absent (missing); 0.2 % are on another shelf than recorded
(misplaced); 1 % are read a second time (duplicates). Reads total = cards.

    .venv/bin/python -m bench.reconcile_bench [--cards N] [--db URL] [--verify]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from drivers.damm import with_check_digit
from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.domain import card_state
from kiosk.domain.card_state import CardState
from kiosk.domain.staff import Role
from kiosk.domain.status import Action
from kiosk.domain.stocktake import location_label
from kiosk.ledger import models
from kiosk.ledger.chain import canonical_json, event_hash
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.read_models import stocktakes as st
from kiosk.ledger.service import CARD_FIELDS, Ledger

SHELVES = 4


def _mid(i: int) -> str:
    # Benchmark IDs start with 6: apart from the simulator's (8) and the tests' (7).
    return with_check_digit(f"6{i:08d}")


def _shelf(i: int) -> str:
    return f"shelf-{i % SHELVES + 1}"


def bulk_seed(ledger: Ledger, cards: int, *, cancelled_every: int = 100) -> list[str]:
    """Receive and store `cards` cards (every `cancelled_every`-th then cancelled) in one transaction.

    Returns the management IDs. The chain and the projection are exactly what the ledger would write.
    """
    ids = [_mid(i) for i in range(cards)]
    with ledger.unit() as u:
        seq, prev, at = u.seq, u.hash, u.at
        events: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []

        def add(
            kind: str, mid: str | None, payload: dict[str, Any], state: CardState | None
        ) -> CardState | None:
            nonlocal seq, prev
            seq += 1
            body = canonical_json(payload)
            fields: dict[str, Any] = {
                "seq": seq,
                "at": at,
                "kind": kind,
                "card_id": mid,
                "actor_id": None,
                "witness_id": None,
                "session_id": None,
                "stocktake_id": None,
                "device": None,
                "source": None,
                "payload": body,
                "prev_hash": prev,
            }
            digest = event_hash(**fields)
            events.append({**fields, "hash": digest})
            prev = digest
            if mid is None:
                return None
            return card_state.apply(
                state, kind=kind, card_id=mid, payload=payload, at=at, seq=seq, session_id=None
            )

        for i, mid in enumerate(ids):
            loc = _shelf(i)
            state = add(
                Action.RECEIVE.value, mid, {"kind": "mynumber_card", "batch": "BENCH", "location": loc}, None
            )
            state = add(Action.STORE.value, mid, {"location": loc}, state)
            if i % cancelled_every == cancelled_every - 1:
                state = add(Action.CANCEL.value, mid, {}, state)
            assert state is not None
            rows.append(
                {
                    "management_id": mid,
                    **{
                        name: (v.value if name == "status" else v)
                        for name in CARD_FIELDS
                        for v in [getattr(state, name)]
                    },
                }
            )
        add("batch_received", None, {"batch": "BENCH", "count": cards}, None)
        for part in range(0, len(events), 20_000):
            u.session.execute(insert(models.Event), events[part : part + 20_000])
        for part in range(0, len(rows), 20_000):
            u.session.execute(insert(models.Card), rows[part : part + 20_000])
        u.seq, u.hash = seq, prev
    return ids


def run(
    cards: int = 100_000, *, db_url: str | None = None, repeat: int = 5, verify: bool = False
) -> dict[str, Any]:
    """Seed, start a stocktake, count, and time `reconcile`. Returns the numbers (ms unless named)."""
    tmp = tempfile.TemporaryDirectory(prefix="reconcile-bench-")
    url = db_url or f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        ledger = Ledger(engine, pepper=b"bench", kiosk="bench")
        t0 = time.perf_counter()
        ids = bulk_seed(ledger, cards)
        seed_s = time.perf_counter() - t0
        officer = ledger.add_staff(
            name="保管 正子", badge="B-O1", employee_no="E-B-O1", role=Role.OFFICER, rank=0, pin="1111"
        )
        clerk = ledger.add_staff(
            name="窓口 一郎", badge="B-C1", employee_no="E-B-C1", role=Role.CLERK, pin="3333"
        )

        desk = Desk(ledger, Settings())
        t0 = time.perf_counter()
        view = desk.stocktake_start(officer, clerk)
        start_ms = (time.perf_counter() - t0) * 1000

        # Absent: every 100th card in the safe (not the cancelled ones, which are every 100th from 99).
        absent = set(range(0, cards, 100))
        misplaced = set(range(50, cards, 500))
        by_shelf: dict[str, list[str]] = {}
        for i, mid in enumerate(ids):
            if i in absent:
                continue
            shelf = _shelf(i + 1) if i in misplaced else _shelf(i)
            by_shelf.setdefault(shelf, []).append(mid)
        present = cards - len(absent)
        rereads = [ids[i] for i in range(1, cards, 100)][: cards - present]

        t0 = time.perf_counter()
        for shelf, shelf_ids in sorted(by_shelf.items()):
            desk.stocktake_many(view.id, clerk, [location_label(shelf), *shelf_ids], source=st.SOURCE_TRAY)
        desk.stocktake_many(view.id, clerk, rereads, source=st.SOURCE_BARCODE)
        count_ms = (time.perf_counter() - t0) * 1000

        timings = []
        result = st.reconcile(ledger, view.id)
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = st.reconcile(ledger, view.id)
            timings.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        prog = st.progress(ledger, view.id)
        progress_ms = (time.perf_counter() - t0) * 1000

        out: dict[str, Any] = {
            "backend": engine.dialect.name,
            "cards": cards,
            "reads": result.reads,
            "expected": result.expected,
            "found": result.found,
            "missing": len(result.missing),
            "misplaced": len(result.misplaced),
            "unexpected": len(result.unexpected),
            "unknown": len(result.unknown),
            "duplicates": len(result.duplicates),
            "seed_s": round(seed_s, 2),
            "start_ms": round(start_ms, 1),
            "count_ms": round(count_ms, 1),
            "reconcile_ms": round(statistics.median(timings), 1),
            "reconcile_max_ms": round(max(timings), 1),
            "progress_ms": round(progress_ms, 1),
            "progress_missing": prog.missing,
        }
        if verify:
            from kiosk.ledger.verify import verify as run_verify

            t0 = time.perf_counter()
            report = run_verify(ledger)
            out["verify_ok"] = report.ok
            out["verify_events"] = report.events
            out["verify_s"] = round(time.perf_counter() - t0, 1)
        return out
    finally:
        engine.dispose()
        tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--verify", action="store_true", help="also run `kiosk verify` on the seeded ledger")
    args = parser.parse_args()
    for key, value in run(args.cards, db_url=args.db, verify=args.verify).items():
        print(f"{key:>18}: {value}")


if __name__ == "__main__":
    main()
