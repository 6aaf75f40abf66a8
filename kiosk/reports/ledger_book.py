"""The ledger printout (管理簿): every event of a period, one line each, with Japanese headings, as a
paper 管理簿 would have it. PDF (A4 landscape, Japanese font embedded) and CSV (UTF-8 with BOM).

The first line names the hash before the period and the last the hash at its end, so consecutive
printouts link up like pages of one book.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from kiosk.domain.card_state import OFFICE_TZ
from kiosk.ledger import models
from kiosk.ledger.service import Ledger
from kiosk.reports.daily import day_bounds
from kiosk.reports.terms import describe_payload, kind_ja

HEADINGS = ["連番", "日時", "事象", "管理ID", "操作者", "立会人", "保管庫利用", "内容", "ハッシュ"]
_BATCH = 5000


@dataclass(frozen=True, slots=True)
class BookLine:
    """One line of the 管理簿."""

    seq: int
    at: datetime
    kind: str
    card_id: str | None
    actor: str
    witness: str
    session_id: int | None
    detail: str
    hash: str

    def cells(self, *, short_hash: bool = False) -> list[str]:
        return [
            str(self.seq),
            self.at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            kind_ja(self.kind),
            self.card_id or "",
            self.actor,
            self.witness,
            str(self.session_id) if self.session_id else "",
            self.detail,
            self.hash[:12] if short_hash else self.hash,
        ]


@dataclass(frozen=True, slots=True)
class LedgerBook:
    """A period of the ledger: its lines and the hashes that link it to the rest of the chain."""

    start: date
    end: date
    lines: tuple[BookLine, ...]
    hash_before: str
    hash_after: str


def ledger_book(ledger: Ledger, start: date, end: date) -> LedgerBook:
    """The events of office days `start`..`end` (inclusive), in order."""
    if end < start:
        raise ValueError("the period ends before it starts")
    lo, _ = day_bounds(start)
    _, hi = day_bounds(end)
    with ledger.read() as s:
        names: dict[int, str] = {}
        for person in s.execute(select(models.Staff.id, models.Staff.name)):
            names[person.id] = person.name
        before = s.scalar(
            select(models.Event.hash).where(models.Event.at < lo).order_by(models.Event.seq.desc()).limit(1)
        )
    lines = list(_lines(ledger, lo, hi, names))
    return LedgerBook(
        start=start,
        end=end,
        lines=tuple(lines),
        hash_before=before or "",
        hash_after=lines[-1].hash if lines else (before or ""),
    )


def _lines(ledger: Ledger, lo: datetime, hi: datetime, names: dict[int, str]) -> Iterator[BookLine]:
    last = 0
    while True:
        with ledger.read() as s:
            rows = s.scalars(
                select(models.Event)
                .where(models.Event.seq > last, models.Event.at >= lo, models.Event.at < hi)
                .order_by(models.Event.seq)
                .limit(_BATCH)
            ).all()
            for ev in rows:
                yield BookLine(
                    seq=ev.seq,
                    at=ev.at,
                    kind=ev.kind,
                    card_id=ev.card_id,
                    actor=names.get(ev.actor_id, "") if ev.actor_id else "",
                    witness=names.get(ev.witness_id, "") if ev.witness_id else "",
                    session_id=ev.session_id,
                    detail=describe_payload(ev.payload),
                    hash=ev.hash,
                )
        if not rows:
            return
        last = rows[-1].seq


def write_ledger_book_csv(book: LedgerBook, path: Path) -> int:
    """Write the book as CSV (UTF-8 with BOM); return the number of event lines."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADINGS)
        for line in book.lines:
            w.writerow(line.cells())
    return len(book.lines)


def write_ledger_book_pdf(
    book: LedgerBook, path: Path, *, office: str = "", font_file: Path | None = None
) -> int:
    """Write the book as an A4 landscape PDF; return the number of event lines."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    from kiosk.reports.fonts import japanese_font
    from kiosk.reports.pdf import page_footer, table_style

    font = japanese_font(font_file)
    title = ParagraphStyle("title", fontName=font, fontSize=14, leading=20)
    small = ParagraphStyle("small", fontName=font, fontSize=7.5, leading=9.5)
    cell = ParagraphStyle("cell", fontName=font, fontSize=7, leading=8.5)
    period = f"{book.start:%Y年%m月%d日} ～ {book.end:%Y年%m月%d日}"
    story: list[object] = [
        Paragraph(f"個人番号カード・通知カード 管理簿　{period}", title),
        Paragraph(f"{office + '　' if office else ''}記録 {len(book.lines)} 件", small),
        Paragraph(f"前期末ハッシュ {book.hash_before or '（なし：管理簿の最初）'}", small),
        Spacer(1, 3 * mm),
    ]
    header: list[object] = list(HEADINGS)
    rows: list[list[object]] = [header]
    for line in book.lines:
        cells: list[object] = list(line.cells(short_hash=True))
        cells[7] = Paragraph(line.detail, cell)
        rows.append(cells)
    if len(rows) == 1:
        rows.append(["", "", "この期間の記録なし", "", "", "", "", "", ""])
    widths = [14, 30, 26, 20, 22, 22, 14, 96, 23]
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(table_style(font, size=7))
    story.append(table)
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(f"期末ハッシュ {book.hash_after or '（なし）'}", small))
    doc = SimpleDocTemplate(
        str(path),
        initialFontName=font,  # else reportlab adds an unembedded Helvetica
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=14 * mm,
        title=f"管理簿 {book.start.isoformat()} - {book.end.isoformat()}",
    )
    footer = page_footer(font, f"管理簿 {period}")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return len(book.lines)
