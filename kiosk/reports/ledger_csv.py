"""The ledger as CSV: one line per event, UTF-8 with BOM so Japanese Excel opens it as intended."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from kiosk.domain.card_state import OFFICE_TZ
from kiosk.ledger import models
from kiosk.ledger.service import Ledger
from kiosk.reports.csvfile import csv_writer

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

_BATCH = 5000


def export_events_csv(ledger: Ledger, path: Path) -> int:
    """Write every event to `path` (streamed in batches); return how many were written."""
    with ledger.read() as s:
        # Not dict(result): a Result has .keys() (its column names), so dict() would treat it as a mapping.
        names: dict[int, str] = {i: n for i, n in s.execute(select(models.Staff.id, models.Staff.name))}  # noqa: C416
    written = 0
    last = 0
    with csv_writer(path) as writer:
        writer.writerow(HEADER)
        while True:
            with ledger.read() as s:
                rows = s.scalars(
                    select(models.Event)
                    .where(models.Event.seq > last)
                    .order_by(models.Event.seq)
                    .limit(_BATCH)
                ).all()
                for ev in rows:
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
                if not rows:
                    break
                written += len(rows)
                last = rows[-1].seq
    return written
