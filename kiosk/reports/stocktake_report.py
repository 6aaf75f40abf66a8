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

if TYPE_CHECKING:
    from kiosk.desk import Desk

STATUS_JA = {
    CardStatus.RECEIVED: "受領",
    CardStatus.IN_SAFE: "保管中",
    CardStatus.OUT: "持出中",
    CardStatus.ISSUED: "交付済",
    CardStatus.CANCELLED: "交付取りやめ",
    CardStatus.DISPOSED: "廃棄済",
    CardStatus.MISSING: "所在不明",
}
SOURCE_JA = {
    views.SOURCE_BARCODE: "バーコード",
    views.SOURCE_TRAY: "トレイ撮影",
    views.SOURCE_RFID: "RFID",
    views.SOURCE_DECISION: "判断（別の場所で発見）",
}
LIST_JA = {
    "missing": "所在不明（予定あり・未確認）",
    "unexpected": "予定外（管理簿上は保管庫外）",
    "misplaced": "保管場所の相違",
    "unknown": "管理簿にない管理ID",
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
            return f"所在不明として記録: {note}"
        if management_id in fin.get("found_elsewhere", ()):
            return f"別の場所で発見: {note}"
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
        out[ev.card_id or ""] = f"{_jst(ev.at)[:16]} {kind_ja(ev.kind)}" + (f"（{who}）" if who else "")
    return out


def _jst(at: datetime | None) -> str:
    return at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def _duration(report: StocktakeReport) -> str:
    d = report.record.duration
    if d is None:
        return "実施中"
    minutes = int(d.total_seconds() // 60)
    return f"{minutes // 60}時間{minutes % 60}分" if minutes >= 60 else f"{minutes}分"


def _status(value: CardStatus | None) -> str:
    return STATUS_JA.get(value, value.value) if value is not None else ""


def _place(location: str | None) -> str:
    from kiosk.reports.terms import value_ja

    return value_ja(location) if location else ""


def ledger_says(report: StocktakeReport, line: views.ResultLine) -> str:
    """What the ledger says of a listed card: its status and its last status event."""
    if line.ledger_status is None:
        return "記録なし"
    last = report.last_events.get(line.management_id, "")
    return f"{_status(line.ledger_status)}　最終記録 {last}" if last else _status(line.ledger_status)


def summary_rows(report: StocktakeReport) -> list[tuple[str, str]]:
    """The header block: (label, value) pairs in print order."""
    rec, res = report.record, report.result
    signed = rec.signed_by
    sources = "、".join(f"{SOURCE_JA.get(k, k)} {n}" for k, n in res.sources.items()) or "なし"
    return [
        ("点検番号", str(rec.view.id)),
        ("端末", rec.view.kiosk),
        ("状態", "完了" if not rec.view.is_open else "実施中"),
        ("開始", _jst(rec.view.started_at)),
        ("終了", _jst(rec.view.finished_at)),
        ("所要時間", _duration(report)),
        ("開始者 / 立会人", " / ".join(rec.started_by)),
        ("確認者1（署名）", signed[0] if signed else ""),
        ("確認者2（署名）", signed[1] if signed else ""),
        ("予定枚数（保管中）", str(res.expected)),
        ("確認枚数", str(res.found)),
        ("所在不明", str(len(res.missing))),
        ("保管場所の相違", str(len(res.misplaced))),
        ("予定外", str(len(res.unexpected))),
        ("管理簿にない管理ID", str(len(res.unknown))),
        ("重複読取（2回以上・複数の方法で読まれたカード、問題なし）", str(len(res.duplicates))),
        ("読取回数（重複を含む）", str(res.reads)),
        ("読取方法（初回確認の枚数）", sources),
        ("点検終了の記録（連番 / ハッシュ）", f"{rec.finished_seq or ''} / {rec.finished_hash or ''}"),
        ("管理簿の最終記録（連番 / ハッシュ）", f"{report.head_seq} / {report.head_hash}"),
        ("作成日時", _jst(report.generated_at)),
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
    "区分",
    "管理ID",
    "管理簿の場所",
    "確認した場所",
    "管理簿の記録",
    "読取回数",
    "読取方法",
    "判断",
]
# Narrow PDF columns get short headings (the CSV keeps the full ones).
PDF_HEADER = ["区分", "管理ID", "記録場所", "確認場所", "管理簿の記録", "回数", "読取方法", "判断"]


def write_stocktake_csv(report: StocktakeReport, path: Path) -> None:
    """The report as CSV: the findings (one line per card), a blank line, then the summary (two columns)."""
    with csv_writer(path) as out:
        out.writerow(["点検結果報告書", f"第{report.record.view.id}回"])
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
    counts = "、".join(
        f"{LIST_JA[name].split('（')[0]} {len(getattr(report.result, name))}" for name in FINDINGS
    )
    story: list[object] = [
        para(f"点検結果報告書　第{rec.view.id}回", title),
        Spacer(1, 2 * mm),
        para(f"要確認（{len(rows)} 件：{counts}）", h2),
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
        table_rows.append(["要確認なし", "", "", "", "", "", "", ""])
    lists = Table(
        table_rows,
        colWidths=[27 * mm, 19 * mm, 16 * mm, 16 * mm, 40 * mm, 9 * mm, 17 * mm, 42 * mm],
        repeatRows=1,
    )
    lists.setStyle(table_style(font, size=7.5))
    if len(rows) == 0:
        lists.setStyle(TableStyle([("SPAN", (0, 1), (-1, 1))]))
    story.append(lists)

    story.append(para("概要", h2))
    summary = Table(
        [
            ["項目", "内容"],
            *[[para(label, body), para(value, body)] for label, value in summary_rows(report)],
        ],
        colWidths=[62 * mm, 124 * mm],
    )
    summary.setStyle(table_style(font))
    story.append(summary)

    story.append(Spacer(1, 10 * mm))
    signed = rec.signed_by or ("", "")
    sign = Table(
        [["確認者1（氏名）", signed[0], "印"], ["確認者2（氏名）", signed[1], "印"]],
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
        title=f"点検結果報告書 {rec.view.id}",
        author=rec.view.kiosk,
    )
    footer = [
        f"点検結果報告書　第{rec.view.id}回",
        f"管理簿の最終記録（連番 {report.head_seq}）: {report.head_hash}",
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
