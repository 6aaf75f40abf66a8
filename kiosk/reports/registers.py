"""The cabinet's card register (カード台帳) and the access log (サインイン記録). PDF (A4 landscape,
Japanese font embedded) and CSV (UTF-8 with BOM).

The card register is one line per card of the ledger with its state now and the dates of its life
(received, notice and reminder sent, last taken out, handed over, cancelled, disposed), a count per state
on top and the 確認 box at the end. The access log is who signed in at the kiosk, failed to, was locked out
or unlocked, for a period: the 管理簿 leaves these out so that the book is the cards' record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.desk.registers import ACCESS_KINDS, CardRegisterRow
from kiosk.domain.card_state import OFFICE_TZ
from kiosk.reports.csvfile import csv_writer
from kiosk.reports.daily import day_bounds, load_people
from kiosk.reports.ledger_book import confirm_box, period_ja
from kiosk.reports.pdf import para
from kiosk.reports.terms import describe_event, kind_ja, office_lead, value_ja
from kiosk.texts import CARD_STATUSES
from kiosk.texts.forms import PaperText as W

if TYPE_CHECKING:
    from kiosk.desk import Desk

STATUS_JA = {status.value: name.ja for status, name in CARD_STATUSES.items()}
REGISTER_HEADINGS = [
    words.ja
    for words in (
        W.CARD_ID,
        W.KIND,
        W.STATUS,
        W.LOCATION,
        W.DELIVERY,
        W.RECEIVED_ON,
        W.NOTICE_SENT,
        W.REMINDER_SENT,
        W.LAST_TAKEN_OUT,
        W.ISSUE,
        W.CANCEL,
        W.DISPOSE,
        W.HOLD,
    )
]
ACCESS_HEADINGS = [words.ja for words in (W.SEQ, W.AT, W.WHAT, W.STAFF, W.DETAIL, W.KIOSK)]


def _d(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value.astimezone(OFFICE_TZ):%Y-%m-%d}"
    return f"{value:%Y-%m-%d}"


@dataclass(frozen=True, slots=True)
class CabinetRegister:
    """Every card of the ledger, with its state and dates, as of `at` (the head `head_seq`)."""

    rows: tuple[CardRegisterRow, ...]
    at: datetime
    head_seq: int
    head_hash: str

    def counts(self) -> list[tuple[str, int]]:
        """(state in words, cards) in the status machine's order, states with cards only."""
        tally: dict[str, int] = {}
        for row in self.rows:
            tally[row.status] = tally.get(row.status, 0) + 1
        order = [s for s in STATUS_JA if s in tally] + sorted(set(tally) - set(STATUS_JA))
        return [(STATUS_JA.get(s, value_ja(s)), tally[s]) for s in order]


def register_cells(row: CardRegisterRow) -> list[str]:
    """One card as the register's cells, in words."""
    return [
        row.management_id,
        value_ja(row.kind),
        STATUS_JA.get(row.status, value_ja(row.status)),
        value_ja(row.location) if row.location else "",
        row.batch or "",
        _d(row.received_on),
        _d(row.notice_sent_on),
        _d(row.reminder_sent_on),
        _d(row.taken_out_at),
        _d(row.issued_at),
        _d(row.cancelled_at),
        _d(row.disposed_at),
        row.hold_reason or "",
    ]


def cabinet_register(desk: Desk) -> CabinetRegister:
    """The card register of the whole cabinet (every card the ledger holds), read through the core."""
    head = desk.head()
    return CabinetRegister(desk.card_register_rows(), desk.now(), head.seq, head.hash)


def write_cabinet_register_csv(register: CabinetRegister, path: Path) -> int:
    with csv_writer(path) as w:
        w.writerow(REGISTER_HEADINGS)
        for row in register.rows:
            w.writerow(register_cells(row))
    return len(register.rows)


def _doc(path: Path, font: str, title: str, office: str) -> Any:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    return SimpleDocTemplate(
        str(path),
        initialFontName=font,  # else reportlab adds an unembedded Helvetica
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=office,
    )


def write_cabinet_register_pdf(
    register: CabinetRegister, path: Path, *, office: str = "", font_file: Path | None = None
) -> int:
    """The card register as an A4 landscape PDF; returns the number of cards."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer, Table

    from kiosk.reports.fonts import japanese_font
    from kiosk.reports.pdf import footer_canvas, table_style

    font = japanese_font(font_file)
    title = ParagraphStyle("title", fontName=font, fontSize=14, leading=20)
    small = ParagraphStyle("small", fontName=font, fontSize=8, leading=10)
    cell = ParagraphStyle("cell", fontName=font, fontSize=7, leading=8.5)
    made = W.AS_OF.fill(at=register.at.astimezone(OFFICE_TZ))
    counts = W.LIST_SEP.ja.join(W.STATE_COUNT.fill(name=name, n=n) for name, n in register.counts())
    counts = counts or W.NO_CARDS.ja
    story: list[object] = [
        para(W.CABINET_TITLE.ja, title),
        para(
            W.CABINET_LEAD.fill(lead=office_lead(office), made=made, n=len(register.rows), counts=counts),
            small,
        ),
        para(W.CABINET_HEAD.fill(seq=register.head_seq, hash=register.head_hash), small),
        Spacer(1, 3 * mm),
    ]
    rows: list[list[object]] = [list(REGISTER_HEADINGS)]
    for row in register.rows:
        cells: list[object] = list(register_cells(row))
        cells[12] = para(str(cells[12]), cell)
        rows.append(cells)
    if len(rows) == 1:
        rows.append(["", "", W.NO_CARDS.ja, *([""] * 10)])
    widths = [20, 22, 18, 16, 22, 19, 19, 19, 19, 19, 19, 19, 46]
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(table_style(font, size=7))
    story += [table, Spacer(1, 4 * mm), confirm_box(font, W.CABINET_CONFIRM.ja)]
    doc = _doc(path, font, W.CABINET.ja, office)
    footer = [
        W.CABINET_FOOTER.fill(lead=office_lead(office), made=made),
        W.LAST_HASH_FOOTER.fill(seq=register.head_seq, hash=register.head_hash or W.NONE.ja),
    ]
    doc.build(story, canvasmaker=footer_canvas(font, footer))
    return len(register.rows)


# -- サインイン記録 ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccessLine:
    seq: int
    at: datetime
    kind: str
    person: str
    detail: str
    device: str

    def cells(self) -> list[str]:
        at = f"{self.at.astimezone(OFFICE_TZ):%Y-%m-%d %H:%M:%S}"
        return [str(self.seq), at, kind_ja(self.kind), self.person, self.detail, self.device]


@dataclass(frozen=True, slots=True)
class AccessLog:
    start: date
    end: date
    lines: tuple[AccessLine, ...]


def access_log(desk: Desk, start: date, end: date) -> AccessLog:
    """Sign-ins, failed sign-ins, lockouts and unlocks of office days `start`..`end`."""
    if end < start:
        raise ValueError("the period ends before it starts")
    lo, _ = day_bounds(start)
    _, hi = day_bounds(end)
    people = load_people(desk)
    kinds = {k.value for k in ACCESS_KINDS}
    lines = []
    for ev in desk.event_rows(since=lo, until=hi):
        if ev.kind not in kinds:
            continue
        detail = describe_event(ev.payload, people, kind=ev.kind)
        lines.append(AccessLine(ev.seq, ev.at, ev.kind, people(ev.actor_id), detail, ev.device or ""))
    return AccessLog(start, end, tuple(lines))


def write_access_log_csv(log: AccessLog, path: Path) -> int:
    with csv_writer(path) as w:
        w.writerow(ACCESS_HEADINGS)
        for line in log.lines:
            w.writerow(line.cells())
    return len(log.lines)


def write_access_log_pdf(
    log: AccessLog, path: Path, *, office: str = "", font_file: Path | None = None
) -> int:
    """The access log as an A4 landscape PDF; returns the number of lines."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer, Table

    from kiosk.reports.fonts import japanese_font
    from kiosk.reports.pdf import footer_canvas, table_style

    font = japanese_font(font_file)
    title = ParagraphStyle("title", fontName=font, fontSize=14, leading=20)
    small = ParagraphStyle("small", fontName=font, fontSize=8, leading=10)
    cell = ParagraphStyle("cell", fontName=font, fontSize=7, leading=8.5)
    period = period_ja(log.start, log.end)
    story: list[object] = [
        para(W.ACCESS_TITLE.fill(period=period), title),
        para(W.RECORDS.fill(lead=office_lead(office), n=len(log.lines)), small),
        Spacer(1, 3 * mm),
    ]
    rows: list[list[object]] = [list(ACCESS_HEADINGS)]
    for line in log.lines:
        cells: list[object] = list(line.cells())
        cells[3] = para(line.person, cell)
        cells[4] = para(line.detail, cell)
        rows.append(cells)
    if len(rows) == 1:
        rows.append(["", "", W.NO_RECORDS_IN_PERIOD.ja, "", "", ""])
    table = Table(rows, colWidths=[w * mm for w in (16, 34, 34, 50, 100, 40)], repeatRows=1)
    table.setStyle(table_style(font, size=7))
    story += [table, Spacer(1, 4 * mm), confirm_box(font, W.CONFIRM.ja)]
    doc = _doc(path, font, W.ACCESS_DOC.fill(start=log.start.isoformat(), end=log.end.isoformat()), office)
    footer = [W.ACCESS_FOOTER.fill(lead=office_lead(office), period=period)]
    doc.build(story, canvasmaker=footer_canvas(font, footer))
    return len(log.lines)
