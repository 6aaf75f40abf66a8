"""Read-only, paged queries for the kiosk screens (管理簿 and カード履歴).

The ledger grows to a million events: the screens never load everything. Every query here is a
keyset page over an index (`events.seq` is the primary key, `events.card_id` is indexed), so a page
costs the same at event 100 and at event 1,000,000.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select

from kiosk.domain.events import EventKind
from kiosk.domain.status import CardStatus
from kiosk.ledger import models
from kiosk.ledger.chain import EventRecord
from kiosk.ledger.service import Ledger, to_record

DEFAULT_PAGE = 100


@dataclass(frozen=True, slots=True)
class EventLine:
    """One event as a screen lists it, with the names of the people involved."""

    event: EventRecord
    actor_name: str | None
    witness_name: str | None
    approver_name: str | None = None  # a take-out without a booking: the supervisor who approved it


@dataclass(frozen=True, slots=True)
class EventPage:
    """A page of events, newest first. `older` is the cursor for the next (older) page, if any."""

    lines: list[EventLine]
    older: int | None


def events_page(
    ledger: Ledger,
    *,
    before_seq: int | None = None,
    card_id: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> EventPage:
    """Events newest first, `limit` at a time, older than `before_seq` (keyset paging on the index)."""
    limit = max(1, min(limit, 1000))
    with ledger.read() as s:
        q = select(models.Event)
        if card_id is not None:
            q = q.where(models.Event.card_id == card_id)
        if before_seq is not None:
            q = q.where(models.Event.seq < before_seq)
        # One row more than asked tells whether an older page exists without a COUNT over the table.
        rows = list(s.scalars(q.order_by(models.Event.seq.desc()).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        approvers = {r.seq: _approver(r.payload) for r in rows if r.kind == EventKind.CARD_TAKEN_OUT}
        ids = {i for r in rows for i in (r.actor_id, r.witness_id) if i is not None}
        ids |= {i for i in approvers.values() if i is not None}
        names: dict[int, str] = {}
        if ids:
            names = {
                int(i): str(n)
                for i, n in s.execute(
                    select(models.Staff.id, models.Staff.name).where(models.Staff.id.in_(ids))
                )
            }
        lines = [
            EventLine(
                to_record(r),
                names.get(r.actor_id) if r.actor_id is not None else None,
                names.get(r.witness_id) if r.witness_id is not None else None,
                names.get(approvers[r.seq] or -1) if approvers.get(r.seq) is not None else None,
            )
            for r in rows
        ]
        return EventPage(lines, rows[-1].seq if more and rows else None)


def _approver(payload: str | None) -> int | None:
    """The supervisor who approved a take-out without a booking (None for a booked take-out)."""
    data = json.loads(payload) if payload else {}
    value = data.get("override_by") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


def status_counts(ledger: Ledger) -> tuple[int, int]:
    """(cards in the safe, cards out now) for the status bar: two indexed counts, not a table scan."""
    with ledger.read() as s:
        in_safe = s.scalar(
            select(func.count())
            .select_from(models.Card)
            .where(models.Card.status == CardStatus.IN_SAFE.value)
        )
        out = s.scalar(
            select(func.count()).select_from(models.Card).where(models.Card.status == CardStatus.OUT.value)
        )
    return int(in_safe or 0), int(out or 0)


def pick_list_status(ledger: Ledger, ids: list[str]) -> dict[str, CardStatus]:
    """The current status of each card on a pick list (one query for the whole list)."""
    if not ids:
        return {}
    with ledger.read() as s:
        rows = s.execute(
            select(models.Card.management_id, models.Card.status).where(models.Card.management_id.in_(ids))
        )
        return {str(mid): CardStatus(status) for mid, status in rows}


def override_reasons(ledger: Ledger, ids: list[str]) -> dict[str, str]:
    """For each of `ids` whose latest take-out was approved without a booking: the approved reason."""
    if not ids:
        return {}
    with ledger.read() as s:
        last = (
            select(func.max(models.Event.seq))
            .where(models.Event.kind == EventKind.CARD_TAKEN_OUT, models.Event.card_id.in_(ids))
            .group_by(models.Event.card_id)
        )
        found: dict[str, str] = {}
        for mid, payload in s.execute(
            select(models.Event.card_id, models.Event.payload).where(models.Event.seq.in_(last))
        ):
            data = json.loads(payload) if payload else {}
            if isinstance(data, dict) and "override_by" in data:
                found[str(mid)] = str(data.get("reason") or "")
        return found


def staff_names(ledger: Ledger, ids: set[int]) -> dict[int, str]:
    """Names of the given staff IDs."""
    if not ids:
        return {}
    with ledger.read() as s:
        rows = s.execute(select(models.Staff.id, models.Staff.name).where(models.Staff.id.in_(ids)))
        return {int(i): str(n) for i, n in rows}
