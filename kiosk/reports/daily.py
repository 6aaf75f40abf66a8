"""Daily close report (日次締め): the day's counts, safe sessions, discrepancies and refusals, and the
ledger head hash, with lines for two signatures. PDF (Japanese font embedded) and CSV (UTF-8 with BOM).

The head printed is the last event of the office day, so a later rewrite of that day's history shows
against the signed paper.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kiosk.domain.card_state import OFFICE_TZ, STATUS_EVENTS
from kiosk.domain.status import TRANSITIONS, CardStatus
from kiosk.ledger import models
from kiosk.ledger.service import Ledger
from kiosk.reports.terms import describe_payload, kind_ja

# (label, event kind counted that day); "in safe" is a state at the close, counted separately.
DAY_COUNTS = (
    ("受領 received", "card_received"),
    ("持出 taken out", "card_taken_out"),
    ("交付 issued", "card_issued"),
    ("返却 returned", "card_put_back"),
    ("交付取りやめ cancelled", "card_cancelled"),
    ("廃棄 disposed", "card_disposed"),
    ("所在不明 missing", "card_missing"),
)
IN_SAFE_LABEL = "締め時点の保管数 in safe at close"
OUT_LABEL = "締め時点の持出中 out at close"

# Events that a person must look at on the day: refusals, failed sign-ins, lockouts, missing cards,
# and whatever a stocktake reports as missing or unexpected.
INCIDENT_KINDS = ("refused", "auth_failed", "staff_locked", "card_missing")
INCIDENT_HINTS = ("missing", "unexpected", "discrepanc", "override")

# Each status action leads to exactly one status, so a card's status at a moment is the target of its
# last status event before it.
_TARGET = {action.value: to for (_, action), to in TRANSITIONS.items()}


@dataclass(frozen=True, slots=True)
class SessionLine:
    """A safe session on the report with both pairs of names."""

    id: int
    kiosk: str
    opened_at: datetime
    opened_by: str
    opened_witness: str
    closed_at: datetime | None
    closed_by: str
    closed_witness: str


@dataclass(frozen=True, slots=True)
class IncidentLine:
    """A discrepancy or refusal of the day."""

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
    counts: tuple[tuple[str, int], ...]
    sessions: tuple[SessionLine, ...]
    incidents: tuple[IncidentLine, ...]
    head_seq: int
    head_hash: str
    events_today: int
    generated_at: datetime


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of an office calendar day (Asia/Tokyo)."""
    start = datetime.combine(day, time(0), tzinfo=OFFICE_TZ)
    return start, start + timedelta(days=1)


def _status_counts_at(session: Session, end: datetime) -> dict[CardStatus, int]:
    last = (
        select(models.Event.card_id, func.max(models.Event.seq).label("seq"))
        .where(models.Event.kind.in_(list(STATUS_EVENTS)), models.Event.at < end)
        .group_by(models.Event.card_id)
        .subquery()
    )
    rows = session.execute(
        select(models.Event.kind, func.count())
        .join(last, models.Event.seq == last.c.seq)
        .group_by(models.Event.kind)
    )
    counts: dict[CardStatus, int] = {}
    for kind, n in rows:
        status = _TARGET[kind]
        counts[status] = counts.get(status, 0) + int(n)
    return counts


def daily_close(ledger: Ledger, day: date, *, office: str = "") -> DailyClose:
    """Collect the daily close of office day `day` from the ledger (read only)."""
    start, end = day_bounds(day)
    with ledger.read() as s:
        names: dict[int, str] = {}
        for person in s.execute(select(models.Staff.id, models.Staff.name)):
            names[person.id] = person.name

        def name(staff_id: int | None) -> str:
            return names.get(staff_id, "") if staff_id is not None else ""

        by_kind: dict[str, int] = {}
        for kind, n in s.execute(
            select(models.Event.kind, func.count())
            .where(models.Event.at >= start, models.Event.at < end)
            .group_by(models.Event.kind)
        ):
            by_kind[kind] = int(n)
        at_close = _status_counts_at(s, end)
        counts = [(label, by_kind.get(kind, 0)) for label, kind in DAY_COUNTS]
        counts += [
            (IN_SAFE_LABEL, at_close.get(CardStatus.IN_SAFE, 0)),
            (OUT_LABEL, at_close.get(CardStatus.OUT, 0)),
        ]

        sessions = [
            SessionLine(
                row.id,
                row.kiosk,
                row.opened_at,
                name(row.operator_id),
                name(row.witness_id),
                row.closed_at,
                name(row.closed_by_id),
                name(row.closed_witness_id),
            )
            for row in s.scalars(
                select(models.SafeSession)
                .where(
                    models.SafeSession.opened_at < end,
                    or_(models.SafeSession.closed_at.is_(None), models.SafeSession.closed_at >= start),
                )
                .order_by(models.SafeSession.opened_at)
            )
        ]

        hinted = or_(*(models.Event.kind.contains(h) for h in INCIDENT_HINTS))
        overrides = models.Event.payload.contains('"override_by"')
        incidents = [
            IncidentLine(ev.seq, ev.at, ev.kind, ev.card_id, name(ev.actor_id), describe_payload(ev.payload))
            for ev in s.scalars(
                select(models.Event)
                .where(
                    models.Event.at >= start,
                    models.Event.at < end,
                    or_(models.Event.kind.in_(INCIDENT_KINDS), hinted, overrides),
                )
                .order_by(models.Event.seq)
            )
        ]
        head = s.execute(
            select(models.Event.seq, models.Event.hash)
            .where(models.Event.at < end)
            .order_by(models.Event.seq.desc())
            .limit(1)
        ).first()
    return DailyClose(
        day=day,
        office=office,
        kiosk=ledger.kiosk,
        counts=tuple(counts),
        sessions=tuple(sessions),
        incidents=tuple(incidents),
        head_seq=head.seq if head else 0,
        head_hash=head.hash if head else "",
        events_today=sum(by_kind.values()),
        generated_at=ledger.clock(),
    )


def _jst(at: datetime | None, fmt: str = "%H:%M:%S") -> str:
    return at.astimezone(OFFICE_TZ).strftime(fmt) if at else ""


# -- CSV --------------------------------------------------------------------------------------


def write_daily_csv(report: DailyClose, path: Path) -> None:
    """The report as CSV (UTF-8 with BOM), one section after another."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["日次締め報告書 daily close", report.day.isoformat(), report.office, report.kiosk])
        w.writerow(["作成日時 generated (JST)", _jst(report.generated_at, "%Y-%m-%d %H:%M:%S")])
        w.writerow([])
        w.writerow(["件数 counts", "件"])
        w.writerows(report.counts)
        w.writerow([])
        w.writerow(["保管庫利用 safe sessions"])
        w.writerow(["番号", "端末", "開錠", "開錠者", "立会人", "施錠", "施錠者", "立会人"])
        for ses in report.sessions:
            w.writerow(
                [
                    ses.id,
                    ses.kiosk,
                    _jst(ses.opened_at, "%Y-%m-%d %H:%M:%S"),
                    ses.opened_by,
                    ses.opened_witness,
                    _jst(ses.closed_at, "%Y-%m-%d %H:%M:%S") or "未施錠 (open)",
                    ses.closed_by,
                    ses.closed_witness,
                ]
            )
        w.writerow([])
        w.writerow(["差異・拒否 discrepancies and refusals"])
        w.writerow(["連番", "時刻", "事象", "管理ID", "操作者", "内容"])
        for inc in report.incidents:
            w.writerow([inc.seq, _jst(inc.at), kind_ja(inc.kind), inc.card_id or "", inc.actor, inc.detail])
        w.writerow([])
        w.writerow(["最終連番 head seq", report.head_seq])
        w.writerow(["最終ハッシュ head hash", report.head_hash])
        w.writerow([])
        w.writerow(["確認者1 氏名 (signature 1)", ""])
        w.writerow(["確認者2 氏名 (signature 2)", ""])


# -- PDF --------------------------------------------------------------------------------------


def write_daily_pdf(report: DailyClose, path: Path, *, font_file: Path | None = None) -> None:
    """The report as an A4 PDF with the Japanese font embedded."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from kiosk.reports.fonts import japanese_font
    from kiosk.reports.pdf import page_footer, table_style

    font = japanese_font(font_file)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=11, leading=16, spaceBefore=6, spaceAfter=3)
    body = ParagraphStyle("body", fontName=font, fontSize=8.5, leading=11)
    mono = ParagraphStyle("mono", fontName=font, fontSize=8, leading=10)

    story: list[object] = [
        Paragraph(f"日次締め報告書　{report.day:%Y年%m月%d日}", title),
        Paragraph(
            f"{report.office + '　' if report.office else ''}端末 {report.kiosk}　"
            f"作成 {_jst(report.generated_at, '%Y-%m-%d %H:%M')}　当日の記録 {report.events_today} 件",
            body,
        ),
        Spacer(1, 4 * mm),
        Paragraph("件数", h2),
    ]
    counts = Table(
        [["区分", "件数"], *[[label, str(n)] for label, n in report.counts]], colWidths=[90 * mm, 25 * mm]
    )
    counts.hAlign = "LEFT"
    counts.setStyle(table_style(font, align_right_from=1))
    story.append(counts)

    story.append(Paragraph("保管庫利用（開錠・施錠者と立会人）", h2))
    rows: list[list[object]] = [["番号", "端末", "開錠", "開錠者", "立会人", "施錠", "施錠者", "立会人"]]
    for ses in report.sessions:
        rows.append(
            [
                str(ses.id),
                ses.kiosk,
                _jst(ses.opened_at, "%m-%d %H:%M"),
                ses.opened_by,
                ses.opened_witness,
                _jst(ses.closed_at, "%m-%d %H:%M") or "未施錠",
                ses.closed_by,
                ses.closed_witness,
            ]
        )
    empty_sessions = len(rows) == 1
    if empty_sessions:
        rows.append(["保管庫の利用なし", "", "", "", "", "", "", ""])
    sessions = Table(
        rows, colWidths=[12 * mm, 18 * mm, 23 * mm, 23 * mm, 23 * mm, 23 * mm, 23 * mm, 23 * mm], repeatRows=1
    )
    sessions.hAlign = "LEFT"
    sessions.setStyle(table_style(font))
    if empty_sessions:
        sessions.setStyle(TableStyle([("SPAN", (0, 1), (-1, 1))]))
    story.append(sessions)

    story.append(Paragraph("差異・拒否", h2))
    inc_rows: list[list[object]] = [["連番", "時刻", "事象", "管理ID", "操作者", "内容"]]
    for inc in report.incidents:
        inc_rows.append(
            [
                str(inc.seq),
                _jst(inc.at),
                kind_ja(inc.kind),
                inc.card_id or "",
                inc.actor,
                Paragraph(inc.detail, body),
            ]
        )
    empty_incidents = len(inc_rows) == 1
    if empty_incidents:
        inc_rows.append(["差異・拒否なし", "", "", "", "", ""])
    incidents = Table(
        inc_rows, colWidths=[14 * mm, 16 * mm, 24 * mm, 22 * mm, 24 * mm, 80 * mm], repeatRows=1
    )
    incidents.hAlign = "LEFT"
    incidents.setStyle(table_style(font))
    if empty_incidents:
        incidents.setStyle(TableStyle([("SPAN", (0, 1), (-1, 1))]))
    story.append(incidents)

    story.append(Paragraph("管理簿の最終記録（この日の締め）", h2))
    story.append(Paragraph(f"最終連番 {report.head_seq}", body))
    story.append(Paragraph(f"ハッシュ {report.head_hash or '（記録なし）'}", mono))
    story.append(Spacer(1, 10 * mm))
    sign = Table(
        [["確認者1（氏名）", "", "印"], ["確認者2（氏名）", "", "印"]],
        colWidths=[35 * mm, 90 * mm, 15 * mm],
        rowHeights=[14 * mm, 14 * mm],
    )
    sign.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 10),
                ("LINEBELOW", (1, 0), (1, -1), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    story.append(sign)

    doc = SimpleDocTemplate(
        str(path),
        initialFontName=font,  # else reportlab adds an unembedded Helvetica
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"日次締め報告書 {report.day.isoformat()}",
        author=report.office or report.kiosk,
    )
    footer = page_footer(font, f"日次締め {report.day.isoformat()}")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
