"""The facts of one office day for the daily close (日次締め), counted in SQL and returned as plain data.

The report (`kiosk.reports.daily`) turns them into the 受払 table and its words; nothing here knows
what a column means beyond which event kinds to count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kiosk.domain.card_state import STATUS_EVENTS
from kiosk.ledger import models
from kiosk.ledger.chain import EventRecord
from kiosk.ledger.read_models.events import staff_in
from kiosk.ledger.read_models.rows import HeadMark, SessionRow, StaffRow
from kiosk.ledger.service import Ledger, to_record


@dataclass(frozen=True, slots=True)
class DayFacts:
    """What the ledger holds of the day `start`..`end` (UTC bounds of an office day).

    `opening` and `closing`: {(card kind, kind of the card's last status event before the moment):
    cards}; `moved`: {(card kind, event kind): count} of the day's events of the kinds asked for.
    """

    start: datetime
    end: datetime
    staff: tuple[StaffRow, ...]
    events: int
    opening: Mapping[tuple[str, str], int]
    closing: Mapping[tuple[str, str], int]
    moved: Mapping[tuple[str, str], int]
    sessions: tuple[SessionRow, ...]
    overrides: tuple[EventRecord, ...]  # the day's events approved by an override, in order
    refusal_payloads: tuple[str, ...]  # payloads of the day's refusals
    incidents: tuple[EventRecord, ...]  # the day's events of the incident kinds, in order
    head: HeadMark | None  # the last event before `end`


def _last_status_at(s: Session, moment: datetime) -> dict[tuple[str, str], int]:
    """{(card kind, last status event kind): cards}, from each card's last status event before `moment`."""
    last = (
        select(models.Event.card_id, func.max(models.Event.seq).label("seq"))
        .where(models.Event.kind.in_(list(STATUS_EVENTS)), models.Event.at < moment)
        .group_by(models.Event.card_id)
        .subquery()
    )
    rows = s.execute(
        select(models.Card.kind, models.Event.kind, func.count())
        .join(last, models.Event.seq == last.c.seq)
        .join(models.Card, models.Card.management_id == models.Event.card_id)
        .group_by(models.Card.kind, models.Event.kind)
    )
    return {(str(card_kind), str(kind)): int(n) for card_kind, kind, n in rows}


def day_facts(
    ledger: Ledger,
    start: datetime,
    end: datetime,
    *,
    moved_kinds: Iterable[str],
    refusal_kinds: Iterable[str],
    incident_kinds: Iterable[str],
) -> DayFacts:
    """Collect the day's facts in one read transaction."""
    day = (models.Event.at >= start, models.Event.at < end)
    with ledger.read() as s:
        events = s.scalar(select(func.count()).select_from(models.Event).where(*day)) or 0
        moved = {
            (str(card_kind), str(kind)): int(n)
            for card_kind, kind, n in s.execute(
                select(models.Card.kind, models.Event.kind, func.count())
                .join(models.Card, models.Card.management_id == models.Event.card_id)
                .where(*day, models.Event.kind.in_(list(moved_kinds)))
                .group_by(models.Card.kind, models.Event.kind)
            )
        }
        sessions = tuple(
            SessionRow(
                row.id,
                row.kiosk,
                row.opened_at,
                row.operator_id,
                row.witness_id,
                row.closed_at,
                row.closed_by_id,
                row.closed_witness_id,
            )
            for row in s.scalars(
                select(models.SafeSession)
                .where(
                    models.SafeSession.opened_at < end,
                    or_(models.SafeSession.closed_at.is_(None), models.SafeSession.closed_at >= start),
                )
                .order_by(models.SafeSession.opened_at)
            )
        )
        overrides = tuple(
            to_record(ev)
            for ev in s.scalars(
                select(models.Event)
                .where(*day, models.Event.payload.contains('"override_by"'))
                .order_by(models.Event.seq)
            )
        )
        refusals = tuple(
            str(payload)
            for (payload,) in s.execute(
                select(models.Event.payload).where(*day, models.Event.kind.in_(list(refusal_kinds)))
            )
        )
        incidents = tuple(
            to_record(ev)
            for ev in s.scalars(
                select(models.Event)
                .where(*day, models.Event.kind.in_(list(incident_kinds)))
                .order_by(models.Event.seq)
            )
        )
        head = s.execute(
            select(models.Event.seq, models.Event.hash)
            .where(models.Event.at < end)
            .order_by(models.Event.seq.desc())
            .limit(1)
        ).first()
        return DayFacts(
            start=start,
            end=end,
            staff=staff_in(s),
            events=int(events),
            opening=_last_status_at(s, start),
            closing=_last_status_at(s, end),
            moved=moved,
            sessions=sessions,
            overrides=overrides,
            refusal_payloads=refusals,
            incidents=incidents,
            head=HeadMark(head.seq, head.hash) if head else None,
        )
