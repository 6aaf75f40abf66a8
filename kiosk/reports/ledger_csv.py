"""The ledger as CSV: one line per event, UTF-8 with BOM so Japanese Excel opens it as intended."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.domain.card_state import OFFICE_TZ
from kiosk.reports.csvfile import csv_writer

if TYPE_CHECKING:
    from kiosk.desk import Desk

HEADER = [
    "連番 seq",
    "日時 (JST)",
    "種別 kind",
    "管理ID card",
    "操作者 actor",
    "立会人 witness",
    "保管庫利用 session",
    "点検 stocktake",
    "端末 device",
    "読取 source",
    "内容 payload",
    "前ハッシュ prev_hash",
    "ハッシュ hash",
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
