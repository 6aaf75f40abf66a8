"""Read models for the reports and the screens: SQL in, frozen dataclasses out, never a live ORM row.

The core (`kiosk.desk`) calls these and hands their values to the front ends; nothing here writes.
"""

from __future__ import annotations

from kiosk.ledger.chain import EventRecord
from kiosk.ledger.read_models.daily import DayFacts, day_facts
from kiosk.ledger.read_models.events import (
    disposal_finished_mark,
    event_batch,
    first_sighting_seq,
    last_before,
    last_status_events,
    recorded_seqs,
    staff_rows,
)
from kiosk.ledger.read_models.rows import HeadMark, SessionRow, StaffRow

__all__ = [
    "DayFacts",
    "EventRecord",
    "HeadMark",
    "SessionRow",
    "StaffRow",
    "day_facts",
    "disposal_finished_mark",
    "event_batch",
    "first_sighting_seq",
    "last_before",
    "last_status_events",
    "recorded_seqs",
    "staff_rows",
]
