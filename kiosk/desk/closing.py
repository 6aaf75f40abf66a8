"""日次締め (the daily close): one command for the kiosk's screen and `kiosk report daily` alike.

A responsible officer answers for the close. The core checks that first (a refusal is on the chain
before the long verify starts), then runs the day's integrity steps — a full verify against every
anchor, a backup, the day's printed head appended to the anchor log — and records `daily_closed`
with the day, that head and who closed. `last_close()` answers when the last close ran, for the home
screen's line and its warning when the previous office day was never closed.

The front end collects the day's paper first (its head is the one anchored here), runs the close on
its worker thread, and files the paper afterwards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from kiosk.desk.base import DeskBase
from kiosk.domain.authz import Act
from kiosk.domain.card_state import office_date
from kiosk.domain.events import DailyClosed, EventKind
from kiosk.domain.staff import StaffMember
from kiosk.ledger import models
from kiosk.ledger.read_models import HeadMark
from kiosk.ledger.read_models.supervision import day_bounds


class CloseRefused(ValueError):
    """The close cannot be run as asked (an empty ledger, a head the chain does not hold)."""


@dataclass(frozen=True, slots=True)
class DayClosed:
    """What a daily close did: the head it anchored, the events verified, the backup and the record."""

    day: date
    head_seq: int
    head_hash: str
    verified_events: int
    backup: Path
    anchor: str  # SEQ:HASH, as appended to the anchor log
    seq: int  # the daily_closed event
    closed_by: str


@dataclass(frozen=True, slots=True)
class LastClose:
    """The newest daily close on the chain."""

    day: date
    at: datetime
    closed_by: str
    head_seq: int


class ClosingDesk(DeskBase):
    """The daily close and when it last ran."""

    def close_day(self, day: date, officer: StaffMember, head: HeadMark | None = None) -> DayClosed:
        """Close office day `day`: verify, back up, anchor `head` (default: the day's last event), record.

        Raises `NotAllowed` (not a responsible officer; recorded before any work), `CloseRefused`,
        `BackupError` (the ledger does not verify, or the backup could not be made: the result of the
        verify is on the chain, the close is not) or `StorageError`.
        """
        from kiosk.desk import integrity
        from kiosk.ledger.verify import stored_hashes

        with self.act(Act.DAILY_CLOSE, officer):
            pass  # authorised now, so a refusal never waits for the verify; re-checked when recorded
        if head is None:
            head = self.read(lambda: _last_before(self, day_bounds(day)[1]))
            if head is None:
                raise CloseRefused("the ledger holds no event up to that day: there is nothing to close")
        elif self.read(lambda: stored_hashes(self.ledger, [head.seq])).get(head.seq) != head.hash:
            raise CloseRefused(f"the chain does not hold the head {head.seq}:{head.hash[:16]}…")
        try:
            closed = integrity.close_of_day(self.ledger, self.settings, (head.seq, head.hash))
        except (integrity.IntegrityRefused, integrity.AnchorError) as exc:
            # A ledger without its identity, an anchor log that cannot be read: not closed, and why.
            raise CloseRefused(str(exc)) from exc
        payload = DailyClosed(day.isoformat(), head.seq, head.hash, closed.verified_events)
        with self.act(Act.DAILY_CLOSE, officer) as u:
            rec = u.append(EventKind.DAILY_CLOSED, actor_id=officer.id, device=self.kiosk, payload=payload)
        return DayClosed(
            day=day,
            head_seq=head.seq,
            head_hash=head.hash,
            verified_events=closed.verified_events,
            backup=closed.backup.path,
            anchor=closed.anchor.text,
            seq=rec.seq,
            closed_by=officer.display,
        )

    def last_close(self) -> LastClose | None:
        """The newest `daily_closed` on the chain (None: no close was ever run on this ledger)."""

        def work() -> LastClose | None:
            with self.ledger.read() as s:
                row = s.execute(
                    select(models.Event.at, models.Event.payload, models.Staff.name)
                    .outerjoin(models.Staff, models.Staff.id == models.Event.actor_id)
                    .where(models.Event.kind == EventKind.DAILY_CLOSED)
                    .order_by(models.Event.seq.desc())
                    .limit(1)
                ).first()
            if row is None:
                return None
            data = json.loads(row.payload)
            return LastClose(date.fromisoformat(data["day"]), row.at, row.name or "", int(data["head_seq"]))

        return self.read(work)

    def previous_office_day(self, day: date) -> date:
        """The office day before `day` (weekends are not office days)."""
        before = day - timedelta(days=1)
        while before.weekday() >= 5:
            before -= timedelta(days=1)
        return before

    def close_missing(self, now: datetime) -> date | None:
        """The previous office day, when it was never closed (the home screen's warning), else None.

        A close of a later day does not stand in for it; a ledger that began after that day has
        nothing to close for it.
        """
        wanted = self.previous_office_day(office_date(now))
        if wanted in self.read(lambda: _closed_days(self)):
            return None
        first = self.read(lambda: _first_at(self))
        if first is None or office_date(first) > wanted:
            return None
        return wanted


_RECENT_CLOSES = 60  # the closes looked at for the warning (two months of office days)


def _closed_days(desk: DeskBase) -> set[date]:
    with desk.ledger.read() as s:
        payloads = s.scalars(
            select(models.Event.payload)
            .where(models.Event.kind == EventKind.DAILY_CLOSED)
            .order_by(models.Event.seq.desc())
            .limit(_RECENT_CLOSES)
        ).all()
    return {date.fromisoformat(json.loads(p)["day"]) for p in payloads}


def _last_before(desk: DeskBase, moment: datetime) -> HeadMark | None:
    from kiosk.ledger.read_models.events import last_before

    return last_before(desk.ledger, moment)


def _first_at(desk: DeskBase) -> datetime | None:
    with desk.ledger.read() as s:
        return s.scalar(select(models.Event.at).order_by(models.Event.seq).limit(1))
