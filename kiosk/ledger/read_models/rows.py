"""The plain rows the read models return: an event, a member of staff, a safe session, a chain mark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.ledger import models


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event as stored: ids of the people, the payload as its canonical JSON text, the hashes."""

    seq: int
    at: datetime
    kind: str
    card_id: str | None
    actor_id: int | None
    witness_id: int | None
    session_id: int | None
    stocktake_id: int | None
    device: str | None
    source: str | None
    payload: str
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, ev: models.Event) -> EventRow:
        return cls(
            seq=ev.seq,
            at=ev.at,
            kind=ev.kind,
            card_id=ev.card_id,
            actor_id=ev.actor_id,
            witness_id=ev.witness_id,
            session_id=ev.session_id,
            stocktake_id=ev.stocktake_id,
            device=ev.device,
            source=ev.source,
            payload=ev.payload,
            prev_hash=ev.prev_hash,
            hash=ev.hash,
        )


@dataclass(frozen=True, slots=True)
class StaffRow:
    """A member of staff as paper names them (active or not: paper keeps the names of people who left)."""

    id: int
    name: str
    rank: int | None


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A safe session (保管庫利用) with the ids of the two who opened it and the two who closed it."""

    id: int
    kiosk: str
    opened_at: datetime
    operator_id: int | None
    witness_id: int | None
    closed_at: datetime | None
    closed_by_id: int | None
    closed_witness_id: int | None


@dataclass(frozen=True, slots=True)
class HeadMark:
    """A point of the chain: an event's sequence number and hash."""

    seq: int
    hash: str
