"""Events and people for paper: keyset batches over the event log, the chain before a moment."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain.card_state import STATUS_EVENTS
from kiosk.domain.events import EventKind
from kiosk.ledger import models
from kiosk.ledger.chain import EventRecord
from kiosk.ledger.read_models.rows import HeadMark, StaffRow
from kiosk.ledger.service import Ledger, to_record

BATCH = 5000
_CHUNK = 500  # IN-list size: below SQLite's and PostgreSQL's parameter limits


def staff_rows(ledger: Ledger) -> tuple[StaffRow, ...]:
    """Every member of staff, active or not."""
    with ledger.read() as s:
        return staff_in(s)


def staff_in(s: Session) -> tuple[StaffRow, ...]:
    """Every member of staff, read in the transaction `s`."""
    return tuple(
        StaffRow(int(i), str(name), rank)
        for i, name, rank in s.execute(select(models.Staff.id, models.Staff.name, models.Staff.rank))
    )


def event_batch(
    ledger: Ledger,
    after: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    card_id: str | None = None,
    limit: int = BATCH,
) -> list[EventRecord]:
    """Up to `limit` events after seq `after`, oldest first, at or after `since` and before `until`."""
    q = select(models.Event).where(models.Event.seq > after)
    if since is not None:
        q = q.where(models.Event.at >= since)
    if until is not None:
        q = q.where(models.Event.at < until)
    if card_id is not None:
        q = q.where(models.Event.card_id == card_id)
    with ledger.read() as s:
        return [to_record(ev) for ev in s.scalars(q.order_by(models.Event.seq).limit(limit))]


def last_before(ledger: Ledger, moment: datetime) -> HeadMark | None:
    """The last event recorded before `moment` (None on a ledger that had none then)."""
    with ledger.read() as s:
        row = s.execute(
            select(models.Event.seq, models.Event.hash)
            .where(models.Event.at < moment)
            .order_by(models.Event.seq.desc())
            .limit(1)
        ).first()
    return HeadMark(row.seq, row.hash) if row else None


def last_status_events(ledger: Ledger, ids: Sequence[str]) -> list[EventRecord]:
    """Each card's last status event (cards with none are left out)."""
    out: list[EventRecord] = []
    with ledger.read() as s:
        for i in range(0, len(ids), _CHUNK):
            chunk = list(ids[i : i + _CHUNK])
            last = (
                select(func.max(models.Event.seq))
                .where(models.Event.card_id.in_(chunk), models.Event.kind.in_(list(STATUS_EVENTS)))
                .group_by(models.Event.card_id)
            )
            out += [to_record(ev) for ev in s.scalars(select(models.Event).where(models.Event.seq.in_(last)))]
    return out


def disposal_finished_mark(ledger: Ledger, batch_id: int) -> HeadMark | None:
    """The event that finished disposal batch `batch_id`, if it is finished."""
    with ledger.read() as s:
        for ev in s.scalars(
            select(models.Event)
            .where(models.Event.kind == EventKind.DISPOSAL_FINISHED)
            .order_by(models.Event.seq.desc())
        ):
            if json.loads(ev.payload).get("batch") == batch_id:
                return HeadMark(ev.seq, ev.hash)
    return None


def recorded_seqs(ledger: Ledger, seqs: Iterable[int]) -> set[int]:
    """Which of these sequence numbers are events in the ledger."""
    wanted = sorted(set(seqs))
    found: set[int] = set()
    with ledger.read() as s:
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i : i + _CHUNK]
            found |= set(s.scalars(select(models.Event.seq).where(models.Event.seq.in_(chunk))))
    return found


def first_sighting_seq(ledger: Ledger, stocktake_id: int, management_id: str) -> int | None:
    """The event that first counted a card in a stocktake (a repeat sighting has no event of its own)."""
    with ledger.read() as s:
        row = s.get(models.StocktakeScan, (stocktake_id, management_id))
        return row.first_seq if row is not None else None
