"""The stocktake report (点検結果報告書): CSV (UTF-8 with BOM, for Japanese Excel) and PDF (Japanese font).

The findings come first: missing (with the decision taken), unexpected, misplaced and unknown, each
with what the ledger says of the card (its status, its recorded place, and its last status event:
when, what and who). Then the summary: the counts, who started and who signed the stocktake, its
duration, the sources the cards were counted from, and the ledger's head hash, so the paper copy pins
the ledger's state. A card read more than once (e.g. by RFID and by a tray photo) is harmless and is a
count in the summary, not a row among the findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.desk import views
from kiosk.domain.card_state import OFFICE_TZ
from kiosk.domain.status import CardStatus
from kiosk.reports.csvfile import csv_writer
from kiosk.reports.pdf import para
from kiosk.texts import CARD_STATUSES
from kiosk.texts.forms import PaperText as W
from kiosk.texts.paper import VALUE_JA

if TYPE_CHECKING:
    from kiosk.desk import Desk

STATUS_JA: dict[CardStatus, str] = {status: name.ja for status, name in CARD_STATUSES.items()}
SOURCE_JA = {
    views.SOURCE_BARCODE: VALUE_JA[views.SOURCE_BARCODE],
    views.SOURCE_TRAY: VALUE_JA[views.SOURCE_TRAY],
    views.SOURCE_RFID: VALUE_JA[views.SOURCE_RFID],
    views.SOURCE_DECISION: W.SOURCE_DECISION.ja,
}
LIST_JA = {
    "missing": W.FINDING_MISSING.ja,
    "unexpected": W.FINDING_UNEXPECTED.ja,
    "misplaced": W.MISPLACED.ja,
    "unknown": W.UNKNOWN_ID.ja,
}
# Each finding's short name, for the count above the list.
SHORT_JA = {
    "missing": W.MISSING.ja,
    "unexpected": W.UNEXPECTED.ja,
    "misplaced": W.MISPLACED.ja,
    "unknown": W.UNKNOWN_ID.ja,
}
# The findings, in print order (what a person must act on first comes first).
FINDINGS = ("missing", "unexpected", "misplaced", "unknown")


@dataclass(frozen=True, slots=True)
class StocktakeReport:
    """Everything printed on the report, gathered once for both formats."""

    record: views.StocktakeRecord
    result: views.StocktakeResult
    head_seq: int
    head_hash: str
    generated_at: datetime
    last_events: dict[str, str] = field(default_factory=dict)  # card -> its last status event, in words

    def decision(self, management_id: str) -> str:
        """What the signers decided for a missing card (from the signed result)."""
        fin = self.record.finish
        note = dict(fin.get("notes", {})).get(management_id, "")
        if management_id in fin.get("recorded_missing", ()):
            return W.RECORDED_MISSING.fill(note=note)
        if management_id in fin.get("found_elsewhere", ()):
            return W.FOUND_ELSEWHERE.fill(note=note)
        return "" if self.record.view.is_open else "—"


def build_report(desk: Desk, stocktake_id: int) -> StocktakeReport:
    """Gather the report of one stocktake (open or finished)."""
    record = desk.stocktake_record(stocktake_id)
    result = desk.reconcile(stocktake_id)
    head = desk.head()
    listed = [line.management_id for name in FINDINGS for line in getattr(result, name)]
    return StocktakeReport(record, result, head.seq, head.hash, desk.now(), _last_events(desk, listed))


def _last_events(desk: Desk, ids: list[str]) -> dict[str, str]:
    """What the ledger last recorded of each card's status: "2026-04-01 10:00 持出（窓口 一郎）"."""
    from kiosk.reports.daily import load_people
    from kiosk.reports.terms import kind_ja

    out: dict[str, str] = {}
    if not ids:
        return out
    people = load_people(desk)
    for ev in desk.last_status_events(ids):
        who = people(ev.actor_id)
        out[ev.card_id or ""] = f"{_jst(ev.at)[:16]} {kind_ja(ev.kind)}" + (
            W.IN_PARENS.fill(text=who) if who else ""
        )
    return out


def _jst(at: datetime | None) -> str:
    return at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def _duration(report: StocktakeReport) -> str:
    d = report.record.duration
    if d is None:
        return W.IN_PROGRESS.ja
    minutes = int(d.total_seconds() // 60)
    return (
        W.HOURS_MINUTES.fill(h=minutes // 60, m=minutes % 60) if minutes >= 60 else W.MINUTES.fill(m=minutes)
    )


def _status(value: CardStatus | None) -> str:
    return STATUS_JA.get(value, value.value) if value is not None else ""


def _place(location: str | None) -> str:
    from kiosk.reports.terms import value_ja

    return value_ja(location) if location else ""


def ledger_says(report: StocktakeReport, line: views.ResultLine) -> str:
    """What the ledger says of a listed card: its status and its last status event."""
    if line.ledger_status is None:
        return W.NO_LEDGER_RECORD.ja
    last = report.last_events.get(line.management_id, "")
    return (
        W.STATUS_LAST.fill(status=_status(line.ledger_status), last=last)
        if last
        else _status(line.ledger_status)
    )


def summary_rows(report: StocktakeReport) -> list[tuple[str, str]]:
    """The header block: (label, value) pairs in print order."""
    rec, res = report.record, report.result
    signed = rec.signed_by
    sources = W.LIST_SEP.ja.join(f"{SOURCE_JA.get(k, k)} {n}" for k, n in res.sources.items()) or W.NONE.ja
    return [
        (W.STOCKTAKE_NO.ja, str(rec.view.id)),
        (W.KIOSK.ja, rec.view.kiosk),
        (W.STATUS.ja, W.FINISHED.ja if not rec.view.is_open else W.IN_PROGRESS.ja),
        (W.STARTED.ja, _jst(rec.view.started_at)),
        (W.ENDED.ja, _jst(rec.view.finished_at)),
        (W.DURATION.ja, _duration(report)),
        (W.STARTED_BY.ja, " / ".join(rec.started_by)),
        (W.SIGNER_1.ja, signed[0] if signed else ""),
        (W.SIGNER_2.ja, signed[1] if signed else ""),
        (W.EXPECTED.ja, str(res.expected)),
        (W.FOUND.ja, str(res.found)),
        (W.MISSING.ja, str(len(res.missing))),
        (W.MISPLACED.ja, str(len(res.misplaced))),
        (W.UNEXPECTED.ja, str(len(res.unexpected))),
        (W.UNKNOWN_ID.ja, str(len(res.unknown))),
        (W.DUPLICATES.ja, str(len(res.duplicates))),
        (W.READS.ja, str(res.reads)),
        (W.SOURCES.ja, sources),
        (W.FINISH_RECORD.ja, f"{rec.finished_seq or ''} / {rec.finished_hash or ''}"),
        (W.HEAD_PAIR.ja, f"{report.head_seq} / {report.head_hash}"),
        (W.GENERATED_AT.ja, _jst(report.generated_at)),
    ]


def list_rows(report: StocktakeReport) -> list[tuple[str, views.ResultLine, str]]:
    """(finding, line, decision) for every card a person must look at, in print order."""
    res = report.result
    rows: list[tuple[str, views.ResultLine, str]] = [
        ("missing", line, report.decision(line.management_id)) for line in res.missing
    ]
    for name in FINDINGS[1:]:
        rows.extend((name, line, "") for line in getattr(res, name))
    return rows


LIST_HEADER = [
    words.ja
    for words in (
        W.CATEGORY,
        W.CARD_ID,
        W.LEDGER_PLACE,
        W.SEEN_PLACE,
        W.LEDGER_SAYS,
        W.TIMES,
        W.SOURCE,
        W.DECISION,
    )
]
# Narrow PDF columns get short headings (the CSV keeps the full ones).
PDF_HEADER = [
    words.ja
    for words in (
        W.CATEGORY,
        W.CARD_ID,
        W.LEDGER_PLACE_SHORT,
        W.SEEN_PLACE_SHORT,
        W.LEDGER_SAYS,
        W.TIMES_SHORT,
        W.SOURCE,
        W.DECISION,
    )
]


def write_stocktake_csv(report: StocktakeReport, path: Path) -> None:
    """The report as CSV: the findings (one line per card), a blank line, then the summary (two columns)."""
    with csv_writer(path) as out:
        out.writerow([W.STOCKTAKE.ja, W.ORDINAL.fill(n=report.record.view.id)])
        out.writerow([])
        out.writerow(LIST_HEADER)
        for name, line, decision in list_rows(report):
            out.writerow(
                [
                    LIST_JA[name],
                    line.management_id,
                    _place(line.expected_location),
                    _place(line.seen_location),
                    ledger_says(report, line),
                    line.times,
                    SOURCE_JA.get(line.source or "", line.source or ""),
                    decision,
                ]
            )
        out.writerow([])
        for label, value in summary_rows(report):
            out.writerow([label, value])


def write_stocktake_pdf(report: StocktakeReport, path: Path, *, font_file: Path | None = None) -> None:
    """The report as an A4 PDF with the Japanese font embedded, and lines for the two signatures."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    from kiosk.reports.fonts import japanese_font
    from kiosk.reports.pdf import footer_canvas, table_style

    font = japanese_font(font_file)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=11, leading=16, spaceBefore=8, spaceAfter=3)
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10)

    rec = report.record
    rows = list_rows(report)
    counts = W.LIST_SEP.ja.join(f"{SHORT_JA[name]} {len(getattr(report.result, name))}" for name in FINDINGS)
    story: list[object] = [
        para(W.STOCKTAKE_TITLE.fill(n=rec.view.id), title),
        Spacer(1, 2 * mm),
        para(W.TO_CHECK.fill(n=len(rows), counts=counts), h2),
    ]
    table_rows: list[list[object]] = [list(PDF_HEADER)]
    for name, line, decision in rows:
        table_rows.append(
            [
                para(LIST_JA[name], body),
                line.management_id,
                para(_place(line.expected_location), body),
                para(_place(line.seen_location), body),
                para(ledger_says(report, line), body),
                str(line.times),
                SOURCE_JA.get(line.source or "", line.source or ""),
                para(decision, body),
            ]
        )
    if len(table_rows) == 1:
        table_rows.append([W.NOTHING_TO_CHECK.ja, "", "", "", "", "", "", ""])
    lists = Table(
        table_rows,
        colWidths=[27 * mm, 19 * mm, 16 * mm, 16 * mm, 40 * mm, 9 * mm, 17 * mm, 42 * mm],
        repeatRows=1,
    )
    lists.setStyle(table_style(font, size=7.5))
    if len(rows) == 0:
        lists.setStyle(TableStyle([("SPAN", (0, 1), (-1, 1))]))
    story.append(lists)

    story.append(para(W.SUMMARY.ja, h2))
    summary = Table(
        [
            [W.ITEM.ja, W.DETAIL.ja],
            *[[para(label, body), para(value, body)] for label, value in summary_rows(report)],
        ],
        colWidths=[62 * mm, 124 * mm],
    )
    summary.setStyle(table_style(font))
    story.append(summary)

    story.append(Spacer(1, 10 * mm))
    signed = rec.signed_by or ("", "")
    sign = Table(
        [[W.CHECKER_1.ja, signed[0], W.SEAL.ja], [W.CHECKER_2.ja, signed[1], W.SEAL.ja]],
        colWidths=[35 * mm, 90 * mm, 15 * mm],
        rowHeights=[14 * mm, 14 * mm],
    )
    sign.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 10),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story.append(sign)

    doc = SimpleDocTemplate(
        str(path),
        initialFontName=font,  # else reportlab adds an unembedded Helvetica
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=W.STOCKTAKE_DOC.fill(n=rec.view.id),
        author=rec.view.kiosk,
    )
    footer = [
        W.STOCKTAKE_TITLE.fill(n=rec.view.id),
        W.HEAD_FOOTER.fill(seq=report.head_seq, hash=report.head_hash),
    ]
    doc.build(story, canvasmaker=footer_canvas(font, footer))


def write_stocktake_report(
    desk: Desk, stocktake_id: int, path: Path, *, font_file: Path | None = None
) -> str:
    """Write the report as PDF or CSV, chosen by the file's extension; returns the format written."""
    report = build_report(desk, stocktake_id)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_stocktake_csv(report, path)
        return "csv"
    if suffix == ".pdf":
        write_stocktake_pdf(report, path, font_file=font_file)
        return "pdf"
    raise ValueError(f"{path}: the report file ends in .pdf or .csv")
