"""The ledger as CSV: one line per event, UTF-8 with BOM so Japanese Excel opens it as intended."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.domain.card_state import OFFICE_TZ
from kiosk.reports.csvfile import csv_writer
from kiosk.texts.forms import PaperText as W

if TYPE_CHECKING:
    from kiosk.desk import Desk

HEADER = [
    words.ja
    for words in (
        W.CSV_SEQ,
        W.CSV_AT,
        W.CSV_KIND,
        W.CSV_CARD,
        W.CSV_ACTOR,
        W.CSV_WITNESS,
        W.CSV_SESSION,
        W.CSV_STOCKTAKE,
        W.CSV_DEVICE,
        W.CSV_SOURCE,
        W.CSV_PAYLOAD,
        W.CSV_PREV_HASH,
        W.CSV_HASH,
    )
]


def export_events_csv(desk: Desk, path: Path) -> int:
    """Write every event to `path` (read in batches); return how many were written."""
    names = {row.id: row.name for row in desk.staff_rows()}
    written = 0
    with csv_writer(path) as writer:
        writer.writerow(HEADER)
        for ev in desk.event_rows():
            writer.writerow(
                [
                    ev.seq,
                    ev.at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                    ev.kind,
                    ev.card_id or "",
                    names.get(ev.actor_id, "") if ev.actor_id else "",
                    names.get(ev.witness_id, "") if ev.witness_id else "",
                    ev.session_id or "",
                    ev.stocktake_id or "",
                    ev.device or "",
                    ev.source or "",
                    ev.payload,
                    ev.prev_hash,
                    ev.hash,
                ]
            )
            written += 1
    return written
