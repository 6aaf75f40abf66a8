"""The ledger printout (管理簿): every event of a period, one line each, in Japanese words, as a paper
管理簿 would have it. PDF (A4 landscape, Japanese font embedded) and CSV (UTF-8 with BOM).

Each line: date and time, what happened (the event kind's Japanese name and its payload as a phrase, no
codes: every payload field by its Japanese name, lists as counts), the card, who did it and who
witnessed (names, officers with their rank 正/副N) and the safe session. A take-out or put-back inside a
safe session names the session's witness (the other of the two who opened it, marked ※). Sign-ins and
lockouts are not the book's: they are in the access log (サインイン記録, kiosk.reports.registers). The
first line names the hash before the period; the last page ends with the 確認 box (作成者・確認者・
保管責任者); every page's footer carries the office, the period, "page x / y" and the hash at the period's
end, so consecutive printouts link up like pages of one book and a rewrite of history shows against the
paper.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.desk.registers import ACCESS_KINDS
from kiosk.desk.views import EventRecord, SessionRow
from kiosk.domain.card_state import OFFICE_TZ
from kiosk.domain.events import EventKind
from kiosk.reports.csvfile import csv_writer
from kiosk.reports.daily import day_bounds, load_people
from kiosk.reports.pdf import para
from kiosk.reports.terms import People, describe_event, kind_ja, office_lead
from kiosk.texts.forms import PaperText as W

if TYPE_CHECKING:
    from kiosk.desk import Desk

HEADINGS = [
    words.ja for words in (W.SEQ, W.AT, W.WHAT, W.DETAIL, W.CARD_ID, W.ACTOR, W.WITNESS, W.SESSION, W.HASH)
]
# Events done alone inside a safe session, witnessed by the session's pair.
SESSION_WITNESSED = frozenset({EventKind.CARD_TAKEN_OUT, EventKind.CARD_PUT_BACK})
SESSION_MARK = "※"
SESSION_NOTE = W.SESSION_NOTE.fill(mark=SESSION_MARK)
SIGNERS = (W.PREPARER.ja, W.CHECKER.ja, W.OFFICER.ja)


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

    @property
    def what(self) -> str:
        """What happened, in words: the kind's Japanese name."""
        return kind_ja(self.kind)

    def cells(self) -> list[str]:
        return [
            str(self.seq),
            self.at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            self.what,
            self.detail,
            self.card_id or "",
            self.actor,
            self.witness,
            W.ORDINAL.fill(n=self.session_id) if self.session_id else "",
            self.hash,
        ]


@dataclass(frozen=True, slots=True)
class LedgerBook:
    """A period of the ledger: its lines and the hashes that link it to the rest of the chain."""

    start: date
    end: date
    lines: tuple[BookLine, ...]
    hash_before: str
    hash_after: str
    seq_after: int = 0


def ledger_book(desk: Desk, start: date, end: date) -> LedgerBook:
    """The events of office days `start`..`end` (inclusive), in order."""
    if end < start:
        raise ValueError("the period ends before it starts")
    lo, _ = day_bounds(start)
    _, hi = day_bounds(end)
    people = load_people(desk)
    before = desk.last_before(lo)
    access = {k.value for k in ACCESS_KINDS}
    events = [ev for ev in desk.event_rows(since=lo, until=hi) if ev.kind not in access]
    sessions = desk.session_rows(ev.session_id for ev in events if ev.session_id is not None)
    lines = [book_line(ev, people, sessions) for ev in events]
    hash_before = before.hash if before else ""
    return LedgerBook(
        start=start,
        end=end,
        lines=tuple(lines),
        hash_before=hash_before,
        hash_after=lines[-1].hash if lines else hash_before,
        seq_after=lines[-1].seq if lines else (before.seq if before else 0),
    )


def session_witness(ev: EventRecord, people: People, sessions: Mapping[int, SessionRow]) -> str:
    """Who witnessed an event: its own witness, else for a take-out or put-back in a safe session the
    other of the two who opened it (both, when a third person who joined did it), marked ※."""
    if ev.witness_id is not None:
        return people(ev.witness_id)
    row = sessions.get(ev.session_id) if ev.session_id is not None else None
    if row is None or ev.kind not in SESSION_WITNESSED:
        return ""
    pair = [p for p in (row.operator_id, row.witness_id) if p is not None and p != ev.actor_id]
    return W.NAME_SEP.ja.join(people(p) for p in pair) + SESSION_MARK if pair else ""


def book_line(ev: EventRecord, people: People, sessions: Mapping[int, SessionRow] | None = None) -> BookLine:
    """One event as a line of the 管理簿, in words."""
    return BookLine(
        seq=ev.seq,
        at=ev.at,
        kind=ev.kind,
        card_id=ev.card_id,
        actor=people(ev.actor_id),
        witness=session_witness(ev, people, sessions or {}),
        session_id=ev.session_id,
        detail=describe_event(ev.payload, people, kind=ev.kind),
        hash=ev.hash,
    )


def write_ledger_book_csv(book: LedgerBook, path: Path) -> int:
    """Write the book as CSV (UTF-8 with BOM); return the number of event lines."""
    with csv_writer(path) as w:
        w.writerow(HEADINGS)
        for line in book.lines:
            w.writerow(line.cells())
    return len(book.lines)


def period_ja(start: date, end: date) -> str:
    return W.DATE.fill(day=start) if start == end else W.PERIOD.fill(start=start, end=end)


def write_ledger_book_pdf(
    book: LedgerBook, path: Path, *, office: str = "", font_file: Path | None = None
) -> int:
    """Write the book as an A4 landscape PDF; return the number of event lines."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table

    from kiosk.reports.fonts import japanese_font
    from kiosk.reports.pdf import footer_canvas, table_style

    font = japanese_font(font_file)
    title = ParagraphStyle("title", fontName=font, fontSize=14, leading=20)
    small = ParagraphStyle("small", fontName=font, fontSize=7.5, leading=9.5)
    cell = ParagraphStyle("cell", fontName=font, fontSize=7, leading=8.5)
    period = period_ja(book.start, book.end)
    story: list[object] = [
        para(W.BOOK_TITLE.fill(period=period), title),
        para(W.RECORDS.fill(lead=office_lead(office), n=len(book.lines)), small),
        para(W.HASH_BEFORE.fill(hash=book.hash_before or W.LEDGER_START.ja), small),
        Spacer(1, 3 * mm),
    ]
    rows: list[list[object]] = [[*HEADINGS[:8]]]  # all but the hash
    for line in book.lines:
        cells: list[object] = list(line.cells()[:8])
        cells[2] = para(line.what, cell)
        cells[3] = para(line.detail, cell)
        cells[5] = para(line.actor, cell)
        cells[6] = para(line.witness, cell)
        rows.append(cells)
    if len(rows) == 1:
        rows.append(["", "", W.NO_RECORDS_IN_PERIOD.ja, "", "", "", "", ""])
    widths = [13, 29, 28, 104, 20, 28, 28, 17]
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(table_style(font, size=7))
    story.append(table)
    story.append(Spacer(1, 3 * mm))
    story.append(para(W.HASH_AFTER.fill(seq=book.seq_after, hash=book.hash_after or W.NONE_PARENS.ja), small))
    if any(line.witness.endswith(SESSION_MARK) for line in book.lines):
        story.append(para(SESSION_NOTE, small))
    story.append(Spacer(1, 4 * mm))
    story.append(confirm_box(font, W.BOOK_CONFIRM.ja))
    doc = SimpleDocTemplate(
        str(path),
        initialFontName=font,  # else reportlab adds an unembedded Helvetica
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=18 * mm,
        title=W.BOOK_DOC.fill(start=book.start.isoformat(), end=book.end.isoformat()),
        author=office,
    )
    footer = [
        W.BOOK_FOOTER.fill(lead=office_lead(office), period=period),
        W.HASH_AFTER_FOOTER.fill(seq=book.seq_after, hash=book.hash_after or W.NONE.ja),
    ]
    doc.build(story, canvasmaker=footer_canvas(font, footer))
    return len(book.lines)


def confirm_box(font: str, heading: str, signers: tuple[str, ...] = SIGNERS) -> object:
    """The 確認 box: a heading, then one signature box per signer (name and seal), kept together."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Table, TableStyle

    title = ParagraphStyle("confirm", fontName=font, fontSize=10, leading=14, spaceAfter=2)
    n = len(signers)
    box = Table(
        [[W.SIGN_NAME.fill(signer=s) for s in signers], [""] * n, [W.SIGN_DATE_SEAL.ja] * n],
        colWidths=[60 * mm] * n,
        rowHeights=[6 * mm, 16 * mm, 6 * mm],
    )
    box.hAlign = "LEFT"
    style = [
        ("FONT", (0, 0), (-1, -1), font, 9),
        ("LINEBELOW", (0, 0), (-1, 0), 0.4, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("ALIGN", (0, 2), (-1, 2), "RIGHT"),
        ("TEXTCOLOR", (0, 2), (-1, 2), colors.HexColor("#808080")),
    ]
    style += [("BOX", (i, 0), (i, -1), 0.8, colors.black) for i in range(n)]
    box.setStyle(TableStyle(style))
    return KeepTogether([para(heading, title), box])
