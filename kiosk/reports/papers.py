"""More paper people ask for: a card's own register (カード別履歴), the 督促 list (PDF, and CSV for a mail
merge), the 廃棄 list of a disposal batch and its 廃棄証明書 (certificate of destruction).

All of them read the ledger only, print Japanese words (kiosk.reports.terms), names with their rank, and
"page x / y" with the ledger's head hash in every footer. CSVs go through `kiosk.reports.csvfile`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.desk.views import DisposalBatch
from kiosk.domain.card_state import OFFICE_TZ, CardState
from kiosk.domain.retention import DueCard, RetentionPolicy
from kiosk.reports.csvfile import csv_writer
from kiosk.reports.daily import load_people
from kiosk.reports.ledger_book import BookLine, book_line
from kiosk.reports.pdf import para
from kiosk.reports.terms import People, value_ja
from kiosk.texts import CARD_STATUSES
from kiosk.texts.forms import PaperText as W

if TYPE_CHECKING:
    from kiosk.desk import Desk

STATUS_JA = {status.value: name.ja for status, name in CARD_STATUSES.items()}
BATCH_STATE_JA = {
    "prepared": W.BATCH_PREPARED.ja,
    "approved": W.BATCH_APPROVED.ja,
    "disposed": W.BATCH_DISPOSED.ja,
}


class PaperRefused(ValueError):
    """The paper cannot be made (no such card or batch, or a certificate of a batch not disposed)."""


def _jst(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return at.astimezone(OFFICE_TZ).strftime(fmt) if at else ""


def _day(value: date | None) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def _kind(kind: str) -> str:
    return value_ja(kind)


# -- カード別履歴 ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardRegister:
    """One card's state and every event of its history, oldest first."""

    card: CardState
    lines: tuple[BookLine, ...]
    head_seq: int
    head_hash: str


def card_register(desk: Desk, management_id: str) -> CardRegister:
    """The register of one card; `PaperRefused` when the ledger has no such card."""
    card = desk.card(management_id)
    if card is None:
        raise PaperRefused(f"{management_id} is not in the ledger")
    people = load_people(desk)
    events = list(desk.event_rows(card_id=management_id))
    # As in the 管理簿: a take-out or put-back names its safe session's witness.
    sessions = desk.session_rows(ev.session_id for ev in events if ev.session_id is not None)
    lines = tuple(book_line(ev, people, sessions) for ev in events)
    head = desk.head()
    return CardRegister(card, lines, head.seq, head.hash)


def card_facts(card: CardState) -> list[tuple[str, str]]:
    """The card's header block, in print order."""
    return [
        (W.CARD_ID.ja, card.management_id),
        (W.KIND.ja, _kind(card.kind)),
        (W.STATUS.ja, STATUS_JA.get(card.status.value, card.status.value)),
        (W.LOCATION.ja, value_ja(card.location) if card.location else ""),
        (W.DELIVERY.ja, card.batch or ""),
        (W.RECEIVED_ON.ja, _day(card.received_on)),
        (W.NOTICE_SENT_ON.ja, _day(card.notice_sent_on)),
        (W.REMINDER_SENT_ON.ja, _day(card.reminder_sent_on)),
        (W.CLOSED_ON.ja, _day(card.closed_on)),
        (W.HOLD.ja, card.hold_reason or W.NONE.ja),
        (W.RFID_TAG.ja, card.rfid_tag or ""),
    ]


REGISTER_HEADER = [words.ja for words in (W.SEQ, W.AT, W.WHAT, W.DETAIL, W.ACTOR, W.WITNESS, W.SESSION)]


def write_card_register_csv(register: CardRegister, path: Path) -> None:
    with csv_writer(path) as w:
        w.writerow([W.CARD_REGISTER.ja, register.card.management_id])
        w.writerows(card_facts(register.card))
        w.writerow([])
        w.writerow(REGISTER_HEADER)
        for line in register.lines:
            cells = line.cells()
            w.writerow([cells[0], cells[1], cells[2], cells[3], cells[5], cells[6], cells[7]])
        w.writerow([])
        w.writerow([W.HEAD_RECORD.ja, register.head_seq, register.head_hash])


def write_card_register_pdf(
    register: CardRegister, path: Path, *, office: str = "", font_file: Path | None = None
) -> None:
    from reportlab.platypus import Spacer, Table

    from kiosk.reports.pdf import table_style

    card = register.card.management_id
    doc = _Doc(path, W.CARD_REGISTER_DOC.fill(card=card), office, font_file)
    story: list[Any] = [
        para(W.CARD_REGISTER_TITLE.fill(card=card), doc.title),
        para(office, doc.body),
        Spacer(1, 8),
    ]
    facts = Table([[k, para(v, doc.body)] for k, v in card_facts(register.card)], colWidths=doc.mm(40, 120))
    facts.hAlign = "LEFT"
    facts.setStyle(table_style(doc.font, size=8.5))
    story += [facts, para(W.HISTORY.fill(n=len(register.lines)), doc.h2)]
    rows: list[list[Any]] = [list(REGISTER_HEADER)]
    for line in register.lines:
        cells = line.cells()
        rows.append(
            [cells[0], cells[1], para(cells[2], doc.cell), para(cells[3], doc.cell),
             para(cells[5], doc.cell), para(cells[6], doc.cell), cells[7]]
        )  # fmt: skip
    table = Table(rows, colWidths=doc.mm(11, 27, 24, 62, 25, 22, 15), repeatRows=1)
    table.setStyle(table_style(doc.font, size=7.5))
    story.append(table)
    doc.build(
        story,
        [
            W.CARD_REGISTER_FOOTER.fill(office=office, card=card),
            _head(register.head_seq, register.head_hash),
        ],
    )


# -- 督促 list ------------------------------------------------------------------------------------

REMINDER_HEADER = [
    words.ja
    for words in (
        W.CARD_ID,
        W.KIND,
        W.APPLICANT_REF,
        W.NOTICE_SENT_ON,
        W.DUE_ON,
        W.LOCATION,
        W.DELIVERY,
    )
]


@dataclass(frozen=True, slots=True)
class ReminderList:
    """The cards due a reminder (督促) on `today`, with what a mail merge joins on."""

    today: date
    policy: RetentionPolicy
    cards: tuple[tuple[DueCard, CardState | None], ...]
    head_seq: int
    head_hash: str


def reminder_list(desk: Desk, policy: RetentionPolicy, day: date | None = None) -> ReminderList:
    lists = desk.due_lists(day, policy=policy)
    cards = tuple((due, desk.card(due.management_id)) for due in lists.reminders_due)
    head = desk.head()
    return ReminderList(lists.today, policy, cards, head.seq, head.hash)


def _reminder_cells(due: DueCard, card: CardState | None) -> list[str]:
    return [
        due.management_id,
        _kind(due.kind),
        (card.applicant_ref if card else None) or "",
        _day(due.notice_sent_on),
        _day(due.due_on),
        value_ja(due.location) if due.location else "",
        (card.batch if card else None) or "",
    ]


def write_reminder_csv(reminders: ReminderList, path: Path) -> int:
    """One header line and one line per card: the shape a mail merge (差し込み印刷) reads."""
    with csv_writer(path) as w:
        w.writerow(REMINDER_HEADER)
        for due, card in reminders.cards:
            w.writerow(_reminder_cells(due, card))
    return len(reminders.cards)


def write_reminder_pdf(
    reminders: ReminderList, path: Path, *, office: str = "", font_file: Path | None = None
) -> int:
    from reportlab.platypus import Spacer, Table

    from kiosk.reports.pdf import table_style

    doc = _Doc(path, W.REMINDERS_DOC.fill(day=reminders.today.isoformat()), office, font_file)
    story: list[Any] = [
        para(W.REMINDERS_TITLE.fill(day=reminders.today), doc.title),
        para(
            W.REMINDERS_LEAD.fill(
                office=office, policy=value_ja(reminders.policy.preset.value), n=len(reminders.cards)
            ),
            doc.body,
        ),
        Spacer(1, 8),
    ]
    rows: list[list[Any]] = [list(REMINDER_HEADER)]
    rows += [[para(c, doc.cell) for c in _reminder_cells(due, card)] for due, card in reminders.cards]
    if len(rows) == 1:
        rows.append([W.NO_REMINDERS.ja, "", "", "", "", "", ""])
    table = Table(rows, colWidths=doc.mm(22, 24, 30, 24, 24, 24, 32), repeatRows=1)
    table.setStyle(table_style(doc.font, size=7.5))
    story += [table, Spacer(1, 12), _signatures(doc, (W.PREPARER.ja, W.CHECKER.ja))]
    doc.build(
        story,
        [
            W.REMINDERS_FOOTER.fill(office=office, day=reminders.today),
            _head(reminders.head_seq, reminders.head_hash),
        ],
    )
    return len(reminders.cards)


# -- 廃棄 list and 廃棄証明書 ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DisposalPaper:
    """A disposal batch with its cards' kinds and dates, and the people by name."""

    batch: DisposalBatch
    cards: tuple[CardState, ...]
    people: People
    head_seq: int
    head_hash: str
    finished_seq: int | None = None
    finished_hash: str | None = None


def disposal_paper(desk: Desk, batch_id: int) -> DisposalPaper:
    batch = desk.disposal_batch(batch_id)
    if batch is None:
        raise PaperRefused(f"there is no disposal batch {batch_id}")
    cards = tuple(c for c in (desk.card(m) for m in batch.cards) if c is not None)
    people = load_people(desk)
    finished = desk.disposal_finished_mark(batch_id)
    head = desk.head()
    return DisposalPaper(
        batch,
        cards,
        people,
        head.seq,
        head.hash,
        finished.seq if finished else None,
        finished.hash if finished else None,
    )


DISPOSAL_HEADER = [
    words.ja for words in (W.CARD_ID, W.KIND, W.NOTICE_SENT_ON, W.REMINDER_SENT_ON, W.STATUS, W.DISPOSAL_SCAN)
]


def _disposal_rows(paper: DisposalPaper) -> list[list[str]]:
    scanned = set(paper.batch.scanned) | set(paper.batch.disposed)
    return [
        [
            c.management_id,
            _kind(c.kind),
            _day(c.notice_sent_on),
            _day(c.reminder_sent_on),
            STATUS_JA.get(c.status.value, c.status.value),
            W.SCANNED.ja if c.management_id in scanned else W.NOT_SCANNED.ja,
        ]
        for c in paper.cards
    ]


def _batch_facts(paper: DisposalPaper) -> list[tuple[str, str]]:
    b, who = paper.batch, paper.people
    return [
        (W.BATCH_NO.ja, str(b.id)),
        (W.CERTIFICATE.ja, b.certificate.ja if b.certificate else W.NOT_ISSUED.ja),
        (W.STATUS.ja, BATCH_STATE_JA.get(b.state, b.state)),
        (W.PREPARED.ja, W.AT_BY.fill(at=_jst(b.prepared_at), who=who(b.prepared_by))),
        (
            W.APPROVED.ja,
            W.AT_BY.fill(at=_jst(b.approved_at), who=who(b.approved_by))
            if b.approved_at
            else W.NOT_APPROVED.ja,
        ),
        (
            W.DISPOSAL_DONE.ja,
            W.DONE_BY.fill(at=_jst(b.finished_at), operator=who(b.operator_id), witness=who(b.witness_id))
            if b.finished_at
            else W.NOT_DONE.ja,
        ),
        (W.METHOD.ja, b.method or ""),
        (
            W.CARDS.ja,
            W.CARDS_DISPOSED.fill(n=len(b.cards), disposed=len(b.disposed))
            if b.finished_at
            else W.COUNT_CARDS.fill(n=len(b.cards)),
        ),
    ]


def write_disposal_list_csv(paper: DisposalPaper, path: Path) -> int:
    with csv_writer(path) as w:
        w.writerow([W.DISPOSAL_LIST.ja, paper.batch.id])
        w.writerows(_batch_facts(paper))
        w.writerow([])
        w.writerow(DISPOSAL_HEADER)
        w.writerows(_disposal_rows(paper))
    return len(paper.cards)


def write_disposal_list_pdf(
    paper: DisposalPaper, path: Path, *, office: str = "", font_file: Path | None = None
) -> int:
    from reportlab.platypus import Spacer, Table

    from kiosk.reports.pdf import table_style

    doc = _Doc(path, W.DISPOSAL_LIST_DOC.fill(batch=paper.batch.id), office, font_file)
    facts = Table([[k, para(v, doc.body)] for k, v in _batch_facts(paper)], colWidths=doc.mm(35, 140))
    facts.hAlign = "LEFT"
    facts.setStyle(table_style(doc.font, size=8.5))
    rows: list[list[Any]] = [list(DISPOSAL_HEADER), *_disposal_rows(paper)]
    table = Table(rows, colWidths=doc.mm(26, 30, 30, 30, 26, 22), repeatRows=1)
    table.setStyle(table_style(doc.font, size=8))
    story: list[Any] = [
        para(W.DISPOSAL_LIST_TITLE.fill(batch=paper.batch.id), doc.title),
        para(office, doc.body),
        Spacer(1, 8),
        facts,
        Spacer(1, 8),
        table,
    ]
    footer = [
        W.DISPOSAL_LIST_FOOTER.fill(office=office, batch=paper.batch.id),
        _head(paper.head_seq, paper.head_hash),
    ]
    doc.build(story, footer)
    return len(paper.cards)


def certificate_title(batch: DisposalBatch) -> str:
    """`廃棄証明書　令和8年度 第12号` (the yearly serial from the chain), or the list's number before."""
    if batch.certificate is None:
        return W.CERTIFICATE_OF_BATCH.fill(batch=batch.id)
    return W.CERTIFICATE_NUMBERED.fill(number=batch.certificate.ja)


def write_disposal_certificate_pdf(
    paper: DisposalPaper,
    path: Path,
    *,
    office: str = "",
    font_file: Path | None = None,
    certifying_post: str = "",
) -> int:
    """The 廃棄証明書 of a disposed batch: its yearly number, the cards, the method, the date, both
    people, and the office and post that certify it."""
    from reportlab.lib import colors
    from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

    from kiosk.reports.pdf import table_style

    b, who = paper.batch, paper.people
    if b.finished_at is None:
        raise PaperRefused(f"disposal batch {b.id} is not disposed yet ({b.state}); no certificate")
    title = certificate_title(b)
    doc = _Doc(path, title, office, font_file)
    disposed = [c for c in paper.cards if c.management_id in set(b.disposed)]
    when = b.finished_at.astimezone(OFFICE_TZ)
    how = W.CERTIFICATE_HOW.fill(method=b.method or "", when=when)
    statement = W.CERTIFICATE_STATEMENT.fill(n=len(disposed), when=when, method=b.method or W.NO_METHOD.ja)
    people = Table(
        [
            [W.DISPOSED_BY.ja, who(b.operator_id), W.SEAL.ja],
            [W.WITNESS.ja, who(b.witness_id), W.SEAL.ja],
            [W.APPROVER.ja, who(b.approved_by), W.SEAL.ja],
        ],
        colWidths=doc.mm(35, 100, 20),
        rowHeights=doc.mm(12, 12, 12),
    )
    people.hAlign = "LEFT"
    people.setStyle(table_style(doc.font, size=10))
    people.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.white)]))  # no heading row here
    rows: list[list[Any]] = [
        [words.ja for words in (W.NUMBER, W.CARD_ID, W.KIND, W.NOTICE_SENT_ON, W.REMINDER_SENT_ON)]
    ]
    rows += [
        [str(n), c.management_id, _kind(c.kind), _day(c.notice_sent_on), _day(c.reminder_sent_on)]
        for n, c in enumerate(disposed, start=1)
    ]
    table = Table(rows, colWidths=doc.mm(14, 30, 36, 34, 34), repeatRows=1)
    table.hAlign = "LEFT"
    table.setStyle(table_style(doc.font, size=8.5))
    record = (
        W.CERTIFICATE_RECORD.fill(seq=paper.finished_seq, hash=paper.finished_hash)
        if paper.finished_seq
        else ""
    )
    certifier = W.SPACE.ja.join(part for part in (office, certifying_post) if part)
    story: list[Any] = [
        para(title, doc.title),
        para(W.CERTIFICATE_LEAD.fill(office=office, batch=b.id).strip(W.SPACE.ja), doc.body),
        Spacer(1, 10),
        KeepTogether(
            [
                para(statement, doc.h2),
                para(how, doc.body),
                para(record, doc.small),
                Spacer(1, 8),
                people,
                Spacer(1, 12),
                para(W.DATE.fill(day=when), doc.body),
                para(W.CERTIFIER.fill(certifier=certifier) if certifier else W.CERTIFIER_BLANK.ja, doc.h2),
            ]
        ),
        Spacer(1, 10),
        para(W.DISPOSED_CARDS.ja, doc.h2),
        table,
    ]
    doc.build(
        story, [W.OFFICE_TITLE.fill(office=office, title=title), _head(paper.head_seq, paper.head_hash)]
    )
    return len(disposed)


# -- shared PDF pieces -------------------------------------------------------------------------------


def _head(seq: int, digest: str) -> str:
    return W.HEAD_FOOTER.fill(seq=seq, hash=digest or W.NONE.ja)


class _Doc:
    """An A4 portrait document with the Japanese font, the usual styles and the numbered footer."""

    def __init__(self, path: Path, title: str, author: str, font_file: Path | None) -> None:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm
        from reportlab.platypus import SimpleDocTemplate

        from kiosk.reports.fonts import japanese_font

        self.font = font = japanese_font(font_file)
        self.title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
        self.h2 = ParagraphStyle("h2", fontName=font, fontSize=11, leading=16, spaceBefore=6, spaceAfter=3)
        self.body = ParagraphStyle("body", fontName=font, fontSize=8.5, leading=11)
        self.cell = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5)
        self.small = ParagraphStyle("small", fontName=font, fontSize=7, leading=9)
        self._mm = mm
        self.doc = SimpleDocTemplate(
            str(path),
            initialFontName=font,  # else reportlab adds an unembedded Helvetica
            pagesize=A4,
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            topMargin=15 * mm,
            bottomMargin=18 * mm,
            title=title,
            author=author,
        )

    def mm(self, *widths: float) -> list[float]:
        return [w * self._mm for w in widths]

    def build(self, story: list[Any], footer: list[str]) -> None:
        from kiosk.reports.pdf import footer_canvas

        lines = [line.strip(W.SPACE.ja) for line in footer]
        self.doc.build(story, canvasmaker=footer_canvas(self.font, lines))


def _signatures(doc: _Doc, signers: tuple[str, ...]) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(
        [list(signers), [""] * len(signers)], colWidths=doc.mm(*[60] * len(signers)), rowHeights=doc.mm(6, 18)
    )
    table.hAlign = "LEFT"
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), doc.font, 9),
                ("GRID", (0, 0), (-1, -1), 0.8, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ]
        )
    )
    return table
