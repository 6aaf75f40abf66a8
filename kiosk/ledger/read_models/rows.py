"""The plain rows the read models return: a member of staff, a safe session, a chain mark.

An event is `kiosk.ledger.chain.EventRecord` (the one frozen view of an `events` row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
