"""The stocktake report: findings first, each with what the ledger says; double sightings only counted."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.domain.delivery import parse_delivery
from kiosk.domain.stocktake import Decision, MissingDecision
from kiosk.ledger.service import Ledger
from kiosk.reports.stocktake_report import write_stocktake_report
from tests import ledger_ops as st
from tests.conftest import Crew
from tests.ledger.helpers import ids
from tests.reports.conftest import Day, needs_poppler
from tests.reports.test_reports import CODE_LIKE, pdf_pages


def mixed_stocktake(ledger: Ledger, day: Day, crew: Crew) -> tuple[int, dict[str, str]]:
    """Every card in the safe read by barcode and again by a tray photo; one missing, one issued card
    seen (unexpected), one counted on another shelf (misplaced), one ID the ledger does not know."""
    shelved = ids(2, start=600)
    text = "management_id,kind\n" + "".join(f"{m},mynumber_card\n" for m in shelved)
    ledger.receive_batch("J-LIS-SHELF", parse_delivery(text), location="shelf-1")
    in_safe = [m for m in day.cards if m != day.issued] + day.notification + shelved
    missing, misplaced = in_safe[-3], in_safe[-1]
    (unknown,) = ids(1, start=777)
    view = st.start(ledger, crew.officer, crew.clerk)
    for mid in [*in_safe[:-3], in_safe[-2]]:
        st.record_scan(ledger, view.id, mid, device="scanner-1")
        st.record_scan(ledger, view.id, mid, source="tray_photo", device="camera-1")  # a double sighting
    st.record_scan(ledger, view.id, "L:shelf-9", device="scanner-1")
    st.record_scan(ledger, view.id, misplaced, device="scanner-1")
    st.record_scan(ledger, view.id, day.issued, device="scanner-1")
    st.record_scan(ledger, view.id, unknown, device="scanner-1")
    decisions = {missing: MissingDecision(Decision.RECORD_MISSING, "保管庫に無し")}
    st.finish(ledger, view.id, decisions, crew.officer, crew.deputy)
    return view.id, {
        "missing": missing,
        "misplaced": misplaced,
        "unexpected": day.issued,
        "unknown": unknown,
        "double": in_safe[0],
    }


def test_csv_lists_the_findings_first_and_counts_double_sightings(
    ledger: Ledger, office_day: Day, crew: Crew, tmp_path: Path
) -> None:
    stocktake, cards = mixed_stocktake(ledger, office_day, crew)
    out = tmp_path / "st.csv"
    write_stocktake_report(Desk(ledger, Settings()), stocktake, out)
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    findings = [r for r in rows if len(r) == 8][1:]
    assert [(r[0], r[1]) for r in findings] == [
        ("所在不明（予定あり・未確認）", cards["missing"]),
        ("予定外（管理簿上は保管庫外）", cards["unexpected"]),
        ("保管場所の相違", cards["misplaced"]),
        ("管理簿にない管理ID", cards["unknown"]),
    ]
    assert rows.index(findings[0]) < next(n for n, r in enumerate(rows) if r and r[0] == "点検番号")
    unexpected = findings[1]
    assert unexpected[4].startswith("交付済　最終記録 ")
    assert unexpected[4].endswith(" 交付（窓口 一郎）")
    assert findings[2][2:4] == ["shelf-1", "shelf-9"]
    assert findings[2][4].startswith("保管中　最終記録 ")
    assert findings[3][4] == "記録なし"
    assert findings[0][7] == "所在不明として記録: 保管庫に無し"
    summary = {r[0]: r[1] for r in rows if len(r) == 2}
    assert (
        summary["重複読取（2回以上・複数の方法で読まれたカード、問題なし）"] == "9"
    )  # 7 cards + 2 notification cards + 1 shelved card, read twice
    assert cards["double"] not in {r[1] for r in findings}


@needs_poppler
def test_pdf_puts_findings_before_the_summary_without_double_sightings(
    ledger: Ledger, office_day: Day, crew: Crew, tmp_path: Path
) -> None:
    stocktake, cards = mixed_stocktake(ledger, office_day, crew)
    pdf = tmp_path / "st.pdf"
    write_stocktake_report(Desk(ledger, Settings()), stocktake, pdf)
    pages = pdf_pages(pdf)
    text = "".join(pages)
    assert text.index("要確認（4 件") < text.index("概要")
    for name in ("missing", "unexpected", "misplaced", "unknown"):
        assert cards[name] in pages[0], name
    assert cards["double"] not in text  # 9 double sightings: a count, not rows
    assert "交付（窓口 一郎）" in text
    assert "保管 正子" in text
    assert not CODE_LIKE.search(text), CODE_LIKE.search(text)
    for n, page in enumerate(pages, start=1):
        assert f"{n} / {len(pages)} ページ" in page
    fonts = __import__("subprocess").run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    assert "Helvetica" not in fonts.stdout


def test_a_card_recorded_missing_leaves_the_daily_close_adding_up(
    ledger: Ledger, office_day: Day, crew: Crew
) -> None:
    from kiosk.reports.daily import daily_close

    _, cards = mixed_stocktake(ledger, office_day, crew)
    assert cards["missing"] in office_day.notification
    report = daily_close(Desk(ledger, Settings()), office_day.day)
    _, notices, total = report.balances
    assert (notices.values["受入"], notices.values["所在不明"], notices.values["当日残"]) == (2, 1, 1)
    assert (total.values["受入"], total.values["交付"], total.values["所在不明"], total.values["当日残"]) == (
        12,
        1,
        1,
        10,
    )
    assert report.passed
    assert [i.kind for i in report.incidents] == ["card_missing", "incident_opened"]


def test_a_card_found_the_same_day_is_netted_out_of_missing(
    ledger: Ledger, office_day: Day, crew: Crew
) -> None:
    from kiosk.reports.daily import check_line, daily_close

    _, cards = mixed_stocktake(ledger, office_day, crew)
    st.record_found(ledger, cards["missing"], crew.officer, crew.deputy, note="書類の間にあった")
    report = daily_close(Desk(ledger, Settings()), office_day.day)
    total = report.total
    assert (total.values["所在不明"], total.found_again, total.values["当日残"]) == (0, 1, 11)
    assert report.passed
    assert check_line(report).endswith("一致")
