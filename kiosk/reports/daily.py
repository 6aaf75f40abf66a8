"""Daily close report (日次締め): the 受払 table per card kind with its check, the day's safe sessions,
overrides and refusals, the ledger head hash (in full and as a QR code) and the 作成者・確認者・責任者
signature boxes on the same page as the totals. PDF (Japanese font embedded) and CSV (UTF-8 with BOM).

The two ends of the 受払 table are counted independently of its movements: 前日残 and 当日残 are the cards
held (received, in the safe, taken out, or cancelled and awaiting disposal) at the start and the end of
the office day, from each card's last status event before that moment; 受入, 交付, 廃棄 and 所在不明 are the
day's events. So 前日残 + 受入 − 交付 − 廃棄 − 所在不明 = 当日残 is a real check of the ledger, printed as
passed or failed. A card found again the same day is netted out of 所在不明 (and said so under the table).

The head printed is the last event of the office day, so a later rewrite of that day's history shows
against the signed paper.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.desk.views import DayFacts, StaffRow
from kiosk.domain.card_state import OFFICE_TZ
from kiosk.domain.events import EventKind
from kiosk.domain.status import TRANSITIONS, Action, CardKind, CardStatus
from kiosk.reports.csvfile import csv_writer
from kiosk.reports.pdf import para
from kiosk.reports.terms import People, describe_event, kind_ja, office_lead, value_ja
from kiosk.texts.forms import PaperText as W
from kiosk.texts.paper import VALUE_JA

if TYPE_CHECKING:
    from kiosk.desk import Desk
    from kiosk.desk.restores import RestoreAlert

KIND_JA = {kind.value: VALUE_JA[kind.value] for kind in CardKind}
# The columns of the 受払 table, in print order; a row's values are keyed by the columns' printed words.
OPENING, RECEIVE, ISSUE, DISPOSE, MISSING, CLOSING = (
    W.OPENING.ja,
    W.RECEIVE.ja,
    W.ISSUE.ja,
    W.DISPOSE.ja,
    W.MISSING.ja,
    W.CLOSING.ja,
)
COLUMNS = (OPENING, RECEIVE, W.TAKE_OUT.ja, W.PUT_BACK.ja, ISSUE, W.CANCEL.ja, DISPOSE, MISSING, CLOSING)
# The day's events counted in each movement column.
MOVEMENTS = {
    RECEIVE: Action.RECEIVE.value,
    W.TAKE_OUT.ja: Action.TAKE_OUT.value,
    W.PUT_BACK.ja: Action.PUT_BACK.value,
    ISSUE: Action.ISSUE.value,
    W.CANCEL.ja: Action.CANCEL.value,
    DISPOSE: Action.DISPOSE.value,
    MISSING: Action.MARK_MISSING.value,
}
# Statuses in which the office still holds the card (the 残 of the 受払 table).
HELD = frozenset({CardStatus.RECEIVED, CardStatus.IN_SAFE, CardStatus.OUT, CardStatus.CANCELLED})
CHECK_FORMULA = W.CHECK_FORMULA.ja
# Events a person must look at on the day besides refusals: missing cards and stocktake findings.
INCIDENT_KINDS = (
    EventKind.CARD_MISSING,
    EventKind.CARD_FOUND,
    EventKind.INCIDENT_OPENED,
    EventKind.STAFF_LOCKED,
    EventKind.INTEGRITY_ALERT,
)
REFUSAL_KINDS = (EventKind.REFUSED, EventKind.AUTH_FAILED)

# Each status action leads to exactly one status, so a card's status at a moment is the target of its
# last status event before it.
_TARGET: dict[str, CardStatus] = {action.value: to for (_, action), to in TRANSITIONS.items()}


@dataclass(frozen=True, slots=True)
class Balance:
    """One row of the 受払 table (one card kind, or the total)."""

    label: str
    values: dict[str, int]
    found_again: int = 0  # cards found the same day, netted out of 所在不明

    @property
    def expected_close(self) -> int:
        v = self.values
        return v[OPENING] + v[RECEIVE] - v[ISSUE] - v[DISPOSE] - v[MISSING]

    @property
    def passed(self) -> bool:
        return self.expected_close == self.values[CLOSING]


@dataclass(frozen=True, slots=True)
class SessionLine:
    """A safe session on the report with both pairs of names and both times."""

    id: int
    kiosk: str
    opened_at: datetime
    opened_by: str
    opened_witness: str
    closed_at: datetime | None
    closed_by: str
    closed_witness: str


@dataclass(frozen=True, slots=True)
class OverrideLine:
    """A take-out of a card not booked for the day, approved by a supervisor."""

    seq: int
    at: datetime
    card_id: str
    taken_by: str
    approver: str
    reason: str


@dataclass(frozen=True, slots=True)
class IncidentLine:
    """A discrepancy of the day (a missing card, a card found, an incident, a lockout)."""

    seq: int
    at: datetime
    kind: str
    card_id: str | None
    actor: str
    detail: str


@dataclass(frozen=True, slots=True)
class DailyClose:
    """Everything the daily close report shows."""

    day: date
    office: str
    kiosk: str
    balances: tuple[Balance, ...]  # one per card kind, then the total
    sessions: tuple[SessionLine, ...]
    overrides: tuple[OverrideLine, ...]
    refusals: tuple[tuple[str, int], ...]  # (reason in words, count), most frequent first
    incidents: tuple[IncidentLine, ...]
    head_seq: int
    head_hash: str
    events_today: int
    generated_at: datetime
    # Restores of the ledger no supervisor has acknowledged yet: an alert on every close until then.
    restores: tuple[RestoreAlert, ...] = ()

    @property
    def total(self) -> Balance:
        return self.balances[-1]

    @property
    def passed(self) -> bool:
        return all(b.passed for b in self.balances)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of an office calendar day (Asia/Tokyo)."""
    start = datetime.combine(day, time(0), tzinfo=OFFICE_TZ)
    return start, start + timedelta(days=1)


def load_people(desk: Desk) -> People:
    """Every member of staff (active or not: paper keeps the names of people who left)."""
    return people_of(desk.staff_rows())


def people_of(rows: Iterable[StaffRow]) -> People:
    """Paper's names for these members of staff."""
    return People.from_rows((row.id, row.name, row.rank) for row in rows)


def _held(last: Mapping[tuple[str, str], int]) -> dict[str, int]:
    """Cards held by the office, per card kind, from {(card kind, last status event kind): cards}."""
    held: dict[str, int] = {}
    for (card_kind, kind), n in last.items():
        if _TARGET[kind] in HELD:
            held[card_kind] = held.get(card_kind, 0) + n
    return held


def _balances(facts: DayFacts) -> tuple[Balance, ...]:
    opening, closing = _held(facts.opening), _held(facts.closing)
    moved = facts.moved
    kinds = [k.value for k in CardKind]
    kinds += sorted(({k for k, _ in moved} | set(opening) | set(closing)) - set(kinds))
    rows = []
    for card_kind in kinds:
        values = {OPENING: opening.get(card_kind, 0), CLOSING: closing.get(card_kind, 0)}
        for column, kind in MOVEMENTS.items():
            values[column] = moved.get((card_kind, kind), 0)
        found = moved.get((card_kind, Action.FOUND.value), 0)
        values[MISSING] -= found
        rows.append(Balance(KIND_JA.get(card_kind, card_kind), values, found))
    total = {c: sum(r.values[c] for r in rows) for c in COLUMNS}
    rows.append(Balance(W.TOTAL.ja, total, sum(r.found_again for r in rows)))
    return tuple(rows)


def daily_close(desk: Desk, day: date, *, office: str = "") -> DailyClose:
    """Collect the daily close of office day `day` through the core (read only)."""
    start, end = day_bounds(day)
    facts = desk.day_facts(
        start,
        end,
        moved_kinds=[*MOVEMENTS.values(), Action.FOUND.value],
        refusal_kinds=REFUSAL_KINDS,
        incident_kinds=INCIDENT_KINDS,
    )
    people = people_of(facts.staff)
    sessions = [
        SessionLine(
            row.id,
            row.kiosk,
            row.opened_at,
            people(row.operator_id),
            people(row.witness_id),
            row.closed_at,
            people(row.closed_by_id),
            people(row.closed_witness_id),
        )
        for row in facts.sessions
    ]
    overrides = []
    for ev in facts.overrides:
        data = json.loads(ev.payload)
        approver = data.get("override_by")
        overrides.append(
            OverrideLine(
                ev.seq,
                ev.at,
                ev.card_id or "",
                people(ev.actor_id),
                people(approver if isinstance(approver, int) else None),
                str(data.get("reason", "")),
            )
        )
    refusals: dict[str, int] = {}
    for payload in facts.refusal_payloads:
        data = json.loads(payload)
        words = value_ja(data.get("reason"))
        if data.get("attempted"):
            words += W.IN_PARENS.fill(text=value_ja(data["attempted"]))
        refusals[words] = refusals.get(words, 0) + 1
    incidents = [
        IncidentLine(
            ev.seq,
            ev.at,
            ev.kind,
            ev.card_id,
            people(ev.actor_id),
            describe_event(ev.payload, people, kind=ev.kind),
        )
        for ev in facts.incidents
    ]
    head = facts.head
    return DailyClose(
        day=day,
        office=office,
        kiosk=desk.kiosk,
        balances=_balances(facts),
        sessions=tuple(sessions),
        overrides=tuple(overrides),
        refusals=tuple(sorted(refusals.items(), key=lambda item: (-item[1], item[0]))),
        incidents=tuple(incidents),
        head_seq=head.seq if head else 0,
        head_hash=head.hash if head else "",
        events_today=facts.events,
        generated_at=desk.now(),
        restores=tuple(desk.unacknowledged_restores()),
    )


RESTORE_HEADER = [
    words.ja
    for words in (W.SEQ, W.TIME, W.OFFICER, W.SUPERVISOR, W.LOST_SEQS, W.RESTORED_SEQ, W.RESTORED_FROM)
]


def restore_row(r: RestoreAlert) -> list[str]:
    """One unacknowledged restore for paper: who confirmed it and what it dropped."""
    lost = (
        W.LOST_RANGE.fill(first=r.dropped_first_seq, last=r.dropped_last_seq, n=r.dropped)
        if r.dropped_first_seq is not None
        else W.NONE.ja
    )
    return [
        str(r.seq),
        _jst(r.at, "%Y-%m-%d %H:%M:%S"),
        r.officer or W.NOT_CONFIRMED.ja,
        r.supervisor or W.NOT_CONFIRMED.ja,
        lost,
        str(r.restored_head_seq),
        r.source,
    ]


def _jst(at: datetime | None, fmt: str = "%H:%M:%S") -> str:
    return at.astimezone(OFFICE_TZ).strftime(fmt) if at else ""


def _agrees(balance: Balance) -> str:
    return W.AGREES.ja if balance.passed else W.DISAGREES.ja


def check_line(report: DailyClose) -> str:
    """The check under the 受払 table, in words: the formula with the totals, and passed or failed."""
    t = report.total.values
    moved = f"{t[OPENING]} + {t[RECEIVE]} − {t[ISSUE]} − {t[DISPOSE]} − {t[MISSING]}"
    sums = f"{moved} = {report.total.expected_close}"
    if report.passed:
        return W.CHECK_PASSED.fill(formula=CHECK_FORMULA, sums=sums, closing=t[CLOSING])
    failed = W.LIST_SEP.ja.join(b.label for b in report.balances if not b.passed)
    return W.CHECK_FAILED.fill(formula=CHECK_FORMULA, sums=sums, closing=t[CLOSING], failed=failed)


SESSION_HEADER = [
    words.ja
    for words in (
        W.NUMBER,
        W.KIOSK,
        W.UNLOCKED_AT,
        W.UNLOCKED_BY,
        W.WITNESS,
        W.LOCKED_AT,
        W.LOCKED_BY,
        W.WITNESS,
    )
]
SIGNERS = (W.PREPARER.ja, W.CHECKER.ja, W.SUPERVISOR.ja)
OVERRIDE_HEADER = [words.ja for words in (W.SEQ, W.TIME, W.CARD_ID, W.TAKEN_BY, W.APPROVER, W.REASON)]
INCIDENT_HEADER = [words.ja for words in (W.SEQ, W.TIME, W.WHAT, W.CARD_ID, W.ACTOR, W.DETAIL)]


# -- CSV --------------------------------------------------------------------------------------


def write_daily_csv(report: DailyClose, path: Path) -> None:
    """The report as CSV (UTF-8 with BOM), one section after another."""
    with csv_writer(path) as w:
        w.writerow([W.DAILY.ja, report.day.isoformat(), report.office, report.kiosk])
        w.writerow([W.GENERATED_AT.ja, _jst(report.generated_at, "%Y-%m-%d %H:%M:%S")])
        w.writerow([])
        w.writerow([W.BALANCES.ja, *COLUMNS, W.CHECK.ja])
        for b in report.balances:
            w.writerow([b.label, *(b.values[c] for c in COLUMNS), _agrees(b)])
        w.writerow([check_line(report)])
        w.writerow([])
        w.writerow([W.SESSION.ja])
        w.writerow(SESSION_HEADER)
        for ses in report.sessions:
            w.writerow(
                [
                    ses.id,
                    ses.kiosk,
                    _jst(ses.opened_at, "%Y-%m-%d %H:%M:%S"),
                    ses.opened_by,
                    ses.opened_witness,
                    _jst(ses.closed_at, "%Y-%m-%d %H:%M:%S") or W.NOT_LOCKED.ja,
                    ses.closed_by,
                    ses.closed_witness,
                ]
            )
        w.writerow([])
        w.writerow([W.OVERRIDES.ja])
        w.writerow(OVERRIDE_HEADER)
        for o in report.overrides:
            w.writerow([o.seq, _jst(o.at), o.card_id, o.taken_by, o.approver, o.reason])
        w.writerow([])
        w.writerow([W.REFUSALS.ja, W.COUNT.ja])
        w.writerows(report.refusals)
        w.writerow([])
        w.writerow([W.INCIDENTS.ja])
        w.writerow(INCIDENT_HEADER)
        for inc in report.incidents:
            w.writerow([inc.seq, _jst(inc.at), kind_ja(inc.kind), inc.card_id or "", inc.actor, inc.detail])
        w.writerow([])
        w.writerow([W.RESTORES.ja])
        w.writerow(RESTORE_HEADER)
        for r in report.restores:
            w.writerow(restore_row(r))
        w.writerow([])
        w.writerow([W.HEAD_SEQ.ja, report.head_seq])
        w.writerow([W.HEAD_HASH.ja, report.head_hash])
        w.writerow([])
        for signer in SIGNERS:
            w.writerow([W.SIGN_NAME_SEAL.fill(signer=signer), ""])


# -- PDF --------------------------------------------------------------------------------------


def write_daily_pdf(report: DailyClose, path: Path, *, font_file: Path | None = None) -> None:
    """The report as an A4 PDF with the Japanese font embedded; totals and signatures on page 1."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

    from kiosk.reports.fonts import japanese_font
    from kiosk.reports.pdf import footer_canvas, qr_flowable, table_style

    font = japanese_font(font_file)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=11, leading=16, spaceBefore=6, spaceAfter=3)
    body = ParagraphStyle("body", fontName=font, fontSize=8.5, leading=11)
    mono = ParagraphStyle("mono", fontName=font, fontSize=7.5, leading=10)
    verdict = ParagraphStyle(
        "verdict",
        fontName=font,
        fontSize=10,
        leading=14,
        textColor=colors.black if report.passed else colors.HexColor("#b00000"),
    )

    balance_rows: list[list[object]] = [[W.CATEGORY.ja, *COLUMNS, W.CHECK.ja]]
    for b in report.balances:
        balance_rows.append([b.label, *(str(b.values[c]) for c in COLUMNS), _agrees(b)])
    widths = [20 if c == W.CANCEL.ja else 14 for c in COLUMNS]
    balances = Table(balance_rows, colWidths=[26 * mm, *(w * mm for w in widths), 13 * mm])
    balances.hAlign = "LEFT"
    balances.setStyle(table_style(font, size=8, align_right_from=1))
    balances.setStyle(
        TableStyle(
            [
                ("FONT", (1, 0), (-1, 0), font, 7),
                ("ALIGN", (-1, 1), (-1, -1), "CENTER"),
                ("LINEABOVE", (0, -1), (-1, -1), 1.0, colors.black),
            ]
        )
    )
    found = report.total.found_again
    notes = [para(check_line(report), verdict)]
    if found:
        notes.append(para(W.FOUND_NETTED.fill(found=found), body))

    head = Table(
        [
            [
                [
                    para(W.DAY_HEAD.ja, h2),
                    para(W.HEAD_SEQ_LINE.fill(seq=report.head_seq), body),
                    para(W.HASH_LINE.fill(hash=report.head_hash or W.NO_RECORD.ja), mono),
                ],
                qr_flowable(report.head_hash, 30) if report.head_hash else "",
            ]
        ],
        colWidths=[145 * mm, 32 * mm],
    )
    head.hAlign = "LEFT"
    head.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 8),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ]
        )
    )
    sign = Table(
        [list(SIGNERS), ["", "", ""], [W.SEAL.ja] * 3],
        colWidths=[60 * mm] * 3,
        rowHeights=[6 * mm, 16 * mm, 6 * mm],
    )
    sign.hAlign = "LEFT"
    sign.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 9),
                ("BOX", (0, 0), (0, -1), 0.8, colors.black),
                ("BOX", (1, 0), (1, -1), 0.8, colors.black),
                ("BOX", (2, 0), (2, -1), 0.8, colors.black),
                ("LINEBELOW", (0, 0), (-1, 0), 0.4, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("ALIGN", (0, 2), (-1, 2), "RIGHT"),
                ("TEXTCOLOR", (0, 2), (-1, 2), colors.HexColor("#808080")),
            ]
        )
    )

    story: list[object] = [
        para(W.DAILY_TITLE.fill(day=report.day), title),
        para(
            W.DAILY_LEAD.fill(
                lead=office_lead(report.office),
                kiosk=report.kiosk,
                at=_jst(report.generated_at, "%Y-%m-%d %H:%M"),
                n=report.events_today,
            ),
            body,
        ),
        Spacer(1, 3 * mm),
        # The totals, their check, the head and the signatures stay on one page.
        KeepTogether(
            [
                para(W.BALANCES_BY_KIND.ja, h2),
                balances,
                Spacer(1, 2 * mm),
                *notes,
                Spacer(1, 2 * mm),
                head,
                Spacer(1, 3 * mm),
                sign,
            ]
        ),
        para(W.SESSIONS_OF_DAY.ja, h2),
    ]
    rows: list[list[object]] = [list(SESSION_HEADER)]
    for ses in report.sessions:
        rows.append(
            [
                str(ses.id),
                ses.kiosk,
                _jst(ses.opened_at, "%H:%M:%S"),
                para(ses.opened_by, body),
                para(ses.opened_witness, body),
                _jst(ses.closed_at, "%H:%M:%S") or W.NOT_LOCKED.ja,
                para(ses.closed_by, body),
                para(ses.closed_witness, body),
            ]
        )
    story.append(_table(rows, [11, 18, 19, 28, 28, 19, 28, 28], W.NO_SESSIONS.ja, font))

    story.append(para(W.OVERRIDES_APPROVED.ja, h2))
    rows = [list(OVERRIDE_HEADER)]
    for o in report.overrides:
        rows.append(
            [str(o.seq), _jst(o.at), o.card_id, para(o.taken_by, body), para(o.approver, body),
             para(o.reason, body)]
        )  # fmt: skip
    story.append(_table(rows, [14, 18, 24, 30, 30, 64], W.NO_OVERRIDES.ja, font))

    story.append(para(W.REFUSALS_COUNTED.ja, h2))
    rows = [[W.REASON.ja, W.COUNT.ja]]
    rows += [[reason, str(n)] for reason, n in report.refusals]
    story.append(_table(rows, [120, 20], W.NO_REFUSALS.ja, font, align_right_from=1))

    if report.restores:
        # An alert until a supervisor acknowledges it (issue 22): who confirmed, what was dropped.
        story.append(para(W.RESTORES_ALERT.ja, h2))
        alerts: list[list[object]] = [list(RESTORE_HEADER)]
        alerts += [[para(cell, body) for cell in restore_row(r)] for r in report.restores]
        story.append(_table(alerts, [12, 26, 26, 26, 30, 16, 42], "", font))

    story.append(para(W.INCIDENTS_OF_DAY.ja, h2))
    rows = [list(INCIDENT_HEADER)]
    for inc in report.incidents:
        rows.append(
            [str(inc.seq), _jst(inc.at), kind_ja(inc.kind), inc.card_id or "", para(inc.actor, body),
             para(inc.detail, body)]
        )  # fmt: skip
    story.append(_table(rows, [14, 18, 28, 22, 30, 68], W.NO_INCIDENTS.ja, font))

    doc = SimpleDocTemplate(
        str(path),
        initialFontName=font,  # else reportlab adds an unembedded Helvetica
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=W.DAILY_DOC.fill(day=report.day.isoformat()),
        author=report.office or report.kiosk,
    )
    footer = [
        office_lead(report.office) + W.DAILY_TITLE.fill(day=report.day),
        W.LAST_HASH_FOOTER.fill(seq=report.head_seq, hash=report.head_hash or W.NONE.ja),
    ]
    doc.build(story, canvasmaker=footer_canvas(font, footer))


def _table(
    rows: list[list[object]],
    widths_mm: list[float],
    empty: str,
    font: str,
    *,
    align_right_from: int | None = None,
) -> object:
    """A ruled table; an empty one says so on a single spanning row."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    from kiosk.reports.pdf import table_style

    is_empty = len(rows) == 1
    if is_empty:
        rows = [*rows, [empty, *([""] * (len(rows[0]) - 1))]]
    table = Table(rows, colWidths=[w * mm for w in widths_mm], repeatRows=1)
    table.hAlign = "LEFT"
    table.setStyle(table_style(font, align_right_from=None if is_empty else align_right_from))
    if is_empty:
        table.setStyle(TableStyle([("SPAN", (0, 1), (-1, 1))]))
    return table
