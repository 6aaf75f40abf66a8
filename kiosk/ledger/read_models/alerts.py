"""The alert outbox as the chain holds it: each queued alert and where each of its channels stands.

An alert is queued as `alert_queued` {alert, source, subject, body, channels}; each delivery is recorded as
`alert_sent` {queued, channel} or `alert_failed` {queued, channel, attempt, error, retry_at}. Folding those
events gives the outbox: what is still to send (and from when), and the history the supervisor reads.
The sender's lease and cursor live beside it in `alert_state` (`AlertStateStore`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from kiosk.domain.events import EventKind
from kiosk.ledger import models
from kiosk.ledger.chain import EventRecord

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kiosk.ledger.service import Ledger

ALERT_EVENTS = (EventKind.ALERT_QUEUED, EventKind.ALERT_SENT, EventKind.ALERT_FAILED)
STATE_ROW = "sender"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One channel of one queued alert: delivered, or how often it failed and when it is tried again."""

    channel: str
    sent_at: datetime | None = None
    attempts: int = 0
    error: str = ""
    retry_at: datetime | None = None

    @property
    def sent(self) -> bool:
        return self.sent_at is not None


@dataclass(frozen=True, slots=True)
class QueuedAlert:
    """An alert on the chain (`seq`: its `alert_queued` event) and its deliveries, one per channel."""

    seq: int
    at: datetime
    alert: str
    source: int | None
    subject: str
    body: str
    device: str | None
    deliveries: tuple[Delivery, ...]

    @property
    def done(self) -> bool:
        return all(d.sent for d in self.deliveries)

    @property
    def state(self) -> str:
        """ "sent" (every channel), "failed" (one failed and waits for its retry), "queued" (not tried)."""
        if self.done:
            return "sent"
        if any(d.attempts for d in self.deliveries if not d.sent):
            return "failed"
        return "queued"


def _parse_iso(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def fold(events: Iterable[models.Event]) -> list[QueuedAlert]:
    """The queued alerts among `events` (in order), each with its deliveries as recorded after it."""
    queued: dict[int, dict[str, Any]] = {}
    for row in events:
        data = json.loads(row.payload)
        if row.kind == EventKind.ALERT_QUEUED:
            queued[row.seq] = {
                "row": row,
                "data": data,
                "channels": {c: Delivery(c) for c in data.get("channels", ())},
            }
            continue
        entry = queued.get(int(data.get("queued", -1)))
        if entry is None:
            continue
        channel = str(data.get("channel"))
        before: Delivery = entry["channels"].get(channel, Delivery(channel))
        if row.kind == EventKind.ALERT_SENT:
            entry["channels"][channel] = Delivery(channel, row.at, before.attempts, before.error, None)
        else:
            entry["channels"][channel] = Delivery(
                channel,
                None,
                int(data.get("attempt", before.attempts + 1)),
                str(data.get("error", "")),
                _parse_iso(data.get("retry_at")),
            )
    out: list[QueuedAlert] = []
    for seq, entry in queued.items():
        row, data = entry["row"], entry["data"]
        out.append(
            QueuedAlert(
                seq=seq,
                at=row.at,
                alert=str(data.get("alert", "")),
                source=data.get("source"),
                subject=str(data.get("subject", "")),
                body=str(data.get("body", "")),
                device=row.device,
                deliveries=tuple(entry["channels"].values()),
            )
        )
    return out


def outbox(s: Session, floor: int) -> list[QueuedAlert]:
    """Every alert queued at or after `floor`, with its deliveries (the sender's work list)."""
    rows = s.scalars(
        select(models.Event)
        .where(models.Event.seq >= floor, models.Event.kind.in_(ALERT_EVENTS))
        .order_by(models.Event.seq)
    ).all()
    return fold(rows)


def alert_history(ledger: Ledger, limit: int = 50) -> list[QueuedAlert]:
    """The newest `limit` alerts (newest first) with where each delivery stands."""
    with ledger.read() as s:
        newest = s.scalars(
            select(models.Event.seq)
            .where(models.Event.kind == EventKind.ALERT_QUEUED)
            .order_by(models.Event.seq.desc())
            .limit(limit)
        ).all()
        if not newest:
            return []
        alerts = outbox(s, min(newest))
    return sorted(alerts, key=lambda a: a.seq, reverse=True)[:limit]


def events_after(s: Session, cursor: int, limit: int) -> list[EventRecord]:
    """The events after `cursor`, oldest first, at most `limit`."""
    from kiosk.ledger.service import to_record

    rows = s.scalars(
        select(models.Event).where(models.Event.seq > cursor).order_by(models.Event.seq).limit(limit)
    ).all()
    return [to_record(r) for r in rows]


def staff_names(s: Session, ids: Iterable[int]) -> dict[int, str]:
    """The names of the given staff IDs (deactivated members keep theirs)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = s.execute(select(models.Staff.id, models.Staff.name).where(models.Staff.id.in_(wanted))).all()
    return {int(i): str(n) for i, n in rows}


def issued_at(s: Session, card_ids: Iterable[str]) -> dict[str, tuple[int, datetime]]:
    """For each of `card_ids` recorded as handed over: the seq and time of that record."""
    wanted = sorted(set(card_ids))
    if not wanted:
        return {}
    rows = s.execute(
        select(models.Event.card_id, models.Event.seq, models.Event.at).where(
            models.Event.kind == EventKind.CARD_ISSUED, models.Event.card_id.in_(wanted)
        )
    ).all()
    return {str(card): (int(seq), at) for card, seq, at in rows}


def state_row(s: Session) -> models.AlertState | None:
    """The sender's row (None until a sender first ran on this ledger)."""
    return s.get(models.AlertState, STATE_ROW)


def new_state_row(s: Session, cursor: int, book: str) -> models.AlertState:
    row = models.AlertState(name=STATE_ROW, holder=None, lease_until=None, cursor=cursor, book=book)
    s.add(row)
    return row


def last_session_opened(s: Session, since: datetime) -> bool:
    """Whether a safe session was opened since `since` (the day's work happened)."""
    found = s.scalar(
        select(models.Event.seq)
        .where(models.Event.kind == EventKind.SESSION_OPENED, models.Event.at >= since)
        .limit(1)
    )
    return found is not None


def last_daily_close(s: Session) -> datetime | None:
    """When the daily close last recorded its verify (`ledger_verified`)."""
    # max(at) over (kind, at) is one index seek; "newest by seq" would walk the chain back to it.
    at: datetime | None = s.scalar(
        select(func.max(models.Event.at)).where(models.Event.kind == EventKind.LEDGER_VERIFIED)
    )
    return at
