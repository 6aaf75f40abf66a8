"""`kiosk verify`: recompute the hash chain and the card projection, streaming, and name the first bad event.

Catches an edited event (its hash no longer matches), a deleted one (a gap in the sequence, or a broken
link), an inserted one (a broken link or an event past the recorded head), a reordering (broken links),
a projection that disagrees with what the events say, and an event of a kind the event-kind registry
(`kiosk.domain.event_kinds`) does not name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, fields

from sqlalchemy import select

from kiosk.domain import card_state
from kiosk.domain.card_state import CARD_EVENTS, CardState
from kiosk.domain.event_kinds import is_registered
from kiosk.domain.status import CardStatus, TransitionRefused
from kiosk.ledger import models
from kiosk.ledger.chain import GENESIS_HASH, EventRecord, recompute
from kiosk.ledger.service import Ledger

_BATCH = 5000
_EVENT_COLUMNS = [models.Event.__table__.c[name] for name in EventRecord.__slots__]
_seq_column = models.Event.__table__.c.seq
_CARD_COLUMNS = [models.Card.__table__.c[f.name] for f in fields(CardState)]
_card_id_column = models.Card.__table__.c.management_id


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Result of a verification. `first_bad_seq` is None when the ledger is intact."""

    events: int
    head_seq: int
    head_hash: str
    cards: int
    first_bad_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None and not self.problem


def _stream(ledger: Ledger) -> Iterator[EventRecord]:
    # Keyset pagination: constant memory at a million events, and no long-lived server cursor.
    last = 0
    while True:
        with ledger.read() as s:
            # Core rows, not ORM objects: at a million events the identity map costs more than the hashing.
            rows = s.execute(
                select(*_EVENT_COLUMNS).where(_seq_column > last).order_by(_seq_column).limit(_BATCH)
            ).all()
            records = [EventRecord(*row) for row in rows]
        if not records:
            return
        yield from records
        last = records[-1].seq


def verify(ledger: Ledger) -> VerifyReport:
    """Recompute everything from the events and compare with the stored hashes, head and projection."""
    with ledger.read() as s:
        head = s.get_one(models.LedgerHead, 1)
        head_seq, head_hash = head.seq, head.hash

    expected_seq = 1
    prev = GENESIS_HASH
    count = 0
    cards: dict[str, CardState] = {}
    unnamed: tuple[int, str] | None = None  # the first event of a kind without names

    def bad(seq: int, problem: str) -> VerifyReport:
        return VerifyReport(count, head_seq, head_hash, len(cards), seq, problem)

    for ev in _stream(ledger):
        if ev.seq != expected_seq:
            return bad(expected_seq, f"event {expected_seq} is missing (next stored is {ev.seq})")
        if ev.prev_hash != prev:
            return bad(ev.seq, "link to the previous event is broken (deleted, inserted or reordered)")
        if recompute(ev) != ev.hash:
            return bad(ev.seq, "content does not match its hash (edited)")
        if ev.card_id is not None and ev.kind in CARD_EVENTS:
            try:
                cards[ev.card_id] = card_state.apply(
                    cards.get(ev.card_id),
                    kind=ev.kind,
                    card_id=ev.card_id,
                    payload=json.loads(ev.payload),
                    at=ev.at,
                    seq=ev.seq,
                    session_id=ev.session_id,
                )
            except (TransitionRefused, KeyError, ValueError) as exc:
                return bad(ev.seq, f"event breaks the card status machine: {exc}")
        if unnamed is None and not is_registered(ev.kind):
            unnamed = (ev.seq, ev.kind)
        prev = ev.hash
        expected_seq += 1
        count += 1

    if count != head_seq or prev != head_hash:
        # Events after the head were inserted, or the tail was removed and the head left behind.
        return bad(min(count, head_seq) + 1, "the recorded head does not match the last event")
    if unnamed is not None:
        return bad(unnamed[0], f"event kind {unnamed[1]!r} is not in the event-kind registry")

    problem = _compare_projection(ledger, cards)
    if problem is not None:
        seq, text = problem
        return VerifyReport(count, head_seq, head_hash, len(cards), seq, text)
    return VerifyReport(count, head_seq, head_hash, len(cards))


def _compare_projection(ledger: Ledger, replayed: dict[str, CardState]) -> tuple[int, str] | None:
    names = [f.name for f in fields(CardState)]
    seen: set[str] = set()
    first: tuple[int, str] | None = None
    last = ""
    while True:
        with ledger.read() as s:
            rows = s.execute(
                select(*_CARD_COLUMNS).where(_card_id_column > last).order_by(_card_id_column).limit(_BATCH)
            ).all()
            stored = [CardState(row[0], row[1], CardStatus(row[2]), *row[3:]) for row in rows]
        if not stored:
            break
        for card in stored:
            seen.add(card.management_id)
            want = replayed.get(card.management_id)
            if want is None:
                candidate = (
                    card.last_seq,
                    f"card {card.management_id} is in the projection but has no events",
                )
            elif want != card:
                diff = [n for n in names if getattr(want, n) != getattr(card, n)]
                candidate = (
                    want.last_seq,
                    f"card {card.management_id} disagrees with its events ({', '.join(diff)})",
                )
            else:
                continue
            if first is None or candidate[0] < first[0]:
                first = candidate
        last = stored[-1].management_id
    for mid, want in replayed.items():
        if mid not in seen:
            candidate = (want.last_seq, f"card {mid} has events but no projection row")
            if first is None or candidate[0] < first[0]:
                first = candidate
    return first
