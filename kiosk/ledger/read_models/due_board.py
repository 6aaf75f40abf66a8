"""The retention work lists in short, kept up to date between renders of the supervisor's page.

The page shows counts and the first few IDs of each work list (督促対象・交付取りやめ対象・
保留中・通知日未登録). Building them from scratch reads and assesses every waiting card: about half a
second at 5,000 cards, on every wake-up of the live view. `DueBoard` is a cache of that answer, not a
projection (nothing rebuilds it; it is never written to the database): it keeps each waiting card's
line and, on each read, re-assesses only the cards named by the events appended since, then re-counts
only if a line changed.

Why that is enough: a card's row changes only through an event that names the card (`Unit.card_event`,
`Unit.card_events`), and so do its holds; a line depends on nothing else but the office date. So the
board starts again from scratch when the office date changes, when many cards moved at once (a
delivery), and when the chain it saw is no longer the chain (a restore rewound or replaced it).
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain.retention import (
    WAITING_STAGES,
    WAITING_STATUSES,
    DueCard,
    DueLists,
    RetentionPolicy,
    Stage,
    due_card,
    list_order,
)
from kiosk.ledger import models
from kiosk.ledger.retention_ops import hold_spans
from kiosk.ledger.service import Ledger, to_card_state

FIRST = 5  # IDs shown per list
# More cards than this named since the last read: start again rather than re-read them one by one.
REBUILD_OVER = 1_000

# The page's lists, by stage, under their keys in `DueSummary.counts`.
LISTED = (
    ("reminders_due", Stage.REMINDER_DUE),
    ("eligible", Stage.ELIGIBLE),
    ("held", Stage.HELD),
    ("notice_unknown", Stage.NOTICE_UNKNOWN),
)

_WAITING = [status.value for status in WAITING_STATUSES]


@dataclass(frozen=True, slots=True)
class DueSummary:
    """The retention work lists in short: counts and the first few IDs of each."""

    reminders_due: tuple[str, ...]
    eligible: tuple[str, ...]
    held: tuple[str, ...]
    notice_unknown: tuple[str, ...]
    counts: dict[str, int]


def summarise(lists: DueLists, first: int = FIRST) -> DueSummary:
    """The short form of full work lists (what the page showed before the board, and its yardstick)."""

    def ids(cards: Iterable[DueCard]) -> tuple[str, ...]:
        return tuple(c.management_id for c in list(cards)[:first])

    return DueSummary(
        reminders_due=ids(lists.reminders_due),
        eligible=ids(lists.eligible),
        held=ids(lists.held),
        notice_unknown=ids(lists.notice_unknown),
        counts={
            "reminders_due": len(lists.reminders_due),
            "eligible": len(lists.eligible),
            "held": len(lists.held),
            "notice_unknown": len(lists.notice_unknown),
            "waiting": lists.waiting,
        },
    )


class DueBoard:
    """Every waiting card's work-list line for one ledger and one policy, brought up to date on read.

    Thread-safe: the live view renders on a thread pool, one render per open page; a read holds the
    board's lock, so reads see the chain in order and the second of two simultaneous reads finds
    nothing new to do.
    """

    def __init__(self, ledger: Ledger, policy: RetentionPolicy, first: int = FIRST) -> None:
        self.ledger = ledger
        self.policy = policy
        self.first = first
        self._lock = threading.Lock()
        self._day: date | None = None
        self._seq = -1  # the head (seq, hash) the lines are up to date with; -1: never read
        self._hash = ""
        self._by_stage: dict[Stage, dict[str, DueCard]] = {stage: {} for stage in Stage}
        self._stage_of: dict[str, Stage] = {}
        self._summary: DueSummary | None = None
        self.rebuilds = 0  # how many times it started from scratch (the tests and the bench read it)

    def summary(self, day: date) -> DueSummary:
        """The work lists in short on the office date `day`, as the ledger stands now."""
        with self._lock:
            with self.ledger.read() as s:
                head = s.get_one(models.LedgerHead, 1)
                seq, hash_ = int(head.seq), str(head.hash)
                if day != self._day or self._seq < 0 or seq < self._seq:
                    self._rebuild(s, day)
                elif seq == self._seq:
                    if hash_ != self._hash:  # the same length, another chain: replaced by a restore
                        self._rebuild(s, day)
                else:
                    self._advance(s, seq)
                self._seq, self._hash = seq, hash_
            if self._summary is None:
                self._summary = self._summarise()
            return self._summary

    def _rebuild(self, s: Session, day: date) -> None:
        self.rebuilds += 1
        self._day = day
        for lines in self._by_stage.values():
            lines.clear()
        self._stage_of.clear()
        rows = s.scalars(select(models.Card).where(models.Card.status.in_(_WAITING)))
        cards = [to_card_state(r) for r in rows]
        holds = hold_spans(s)
        for card in cards:
            self._put(due_card(self.policy, card, holds.get(card.management_id, []), day))
        self._summary = None

    def _advance(self, s: Session, seq: int) -> None:
        """Re-assess the cards named by the events after the last read, up to `seq`; start again if
        the event last seen is no longer there with its hash (a restore rewound or replaced the chain).
        One read for both: each statement is a round trip on PostgreSQL."""
        assert self._day is not None  # set by the first read, which always rebuilds
        named: set[str] = set()
        still_there = False
        for at, hash_, card_id in s.execute(
            select(models.Event.seq, models.Event.hash, models.Event.card_id).where(
                models.Event.seq >= self._seq, models.Event.seq <= seq
            )
        ):
            if at == self._seq:
                still_there = hash_ == self._hash
            elif card_id is not None:
                named.add(card_id)
        if not still_there or len(named) > REBUILD_OVER:
            self._rebuild(s, self._day)
            return
        if not named:
            return
        rows = s.scalars(
            select(models.Card).where(
                models.Card.management_id.in_(sorted(named)), models.Card.status.in_(_WAITING)
            )
        )
        cards = {r.management_id: to_card_state(r) for r in rows}
        holds = hold_spans(s, list(cards)) if cards else {}
        for mid in sorted(named):
            card = cards.get(mid)
            line = due_card(self.policy, card, holds.get(mid, []), self._day) if card is not None else None
            old_stage = self._stage_of.get(mid)
            old = self._by_stage[old_stage].get(mid) if old_stage is not None else None
            if line == old:
                continue
            if old_stage is not None:
                del self._by_stage[old_stage][mid]
                del self._stage_of[mid]
            if line is not None:
                self._put(line)
            self._summary = None

    def _put(self, line: DueCard) -> None:
        self._by_stage[line.stage][line.management_id] = line
        self._stage_of[line.management_id] = line.stage

    def _summarise(self) -> DueSummary:
        def ids(stage: Stage) -> tuple[str, ...]:
            firsts = heapq.nsmallest(self.first, self._by_stage[stage].values(), key=list_order)
            return tuple(c.management_id for c in firsts)

        counts = {key: len(self._by_stage[stage]) for key, stage in LISTED}
        counts["waiting"] = sum(len(self._by_stage[stage]) for stage in WAITING_STAGES)
        return DueSummary(
            reminders_due=ids(Stage.REMINDER_DUE),
            eligible=ids(Stage.ELIGIBLE),
            held=ids(Stage.HELD),
            notice_unknown=ids(Stage.NOTICE_UNKNOWN),
            counts=counts,
        )
