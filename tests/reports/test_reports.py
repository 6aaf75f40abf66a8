"""Daily close and ledger printout: the numbers, the names, the head hash, and Japanese that renders."""

from __future__ import annotations

import csv
import re
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.config import DEFAULT_OPENING_CHECKLIST, Settings
from kiosk.desk import Desk
from kiosk.ledger.service import Ledger
from kiosk.reports.daily import (
    CHECK_FORMULA,
    COLUMNS,
    check_line,
    daily_close,
    write_daily_csv,
    write_daily_pdf,
)
from kiosk.reports.fonts import FontMissing, japanese_font
from kiosk.reports.ledger_book import ledger_book, write_ledger_book_csv, write_ledger_book_pdf
from tests.conftest import Crew, FakeClock
from tests.ledger.helpers import ids, receive
from tests.reports.conftest import Day, needs_poppler


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def assert_renders(path: Path, tmp_path: Path) -> None:
    """The PDF rasterises, and its pages are not blank."""
    from PIL import Image

    prefix = tmp_path / path.stem
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(prefix)], check=True, capture_output=True)
    pages = sorted(tmp_path.glob(f"{path.stem}*.png"))
    assert pages
    for page in pages:
        with Image.open(page) as img:
            lo, hi = img.convert("L").getextrema()
            assert (lo, hi) == (0, 255) or lo < 100, f"{page.name} looks blank"


# What paper must not show: event-kind or reason codes (snake_case), raw dicts or lists, staff IDs.
CODE_LIKE = re.compile(r"\b[a-z]+_[a-z_]+\b|[{}\[\]]|承認者ID|rank")


def pdf_pages(path: Path) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    return pdf_text(path).split("\f")[:-1]


def test_daily_close_balances_sessions_overrides_refusals_and_head(ledger: Ledger, office_day: Day) -> None:
    report = daily_close(Desk(ledger, Settings()), office_day.day, office="テスト市 市民課")
    cards, notices, total = report.balances
    assert cards.label == "個人番号カード"
    assert cards.values == {
        "前日残": 0,
        "受入": 8,
        "持出": 3,
        "返却": 2,
        "交付": 1,
        "交付取りやめ": 0,
        "廃棄": 0,
        "所在不明": 0,
        "当日残": 7,
    }
    assert (notices.label, notices.values["受入"], notices.values["当日残"]) == ("通知カード", 2, 2)
    assert (total.label, total.values["当日残"], total.expected_close) == ("合計", 9, 9)
    assert report.passed
    assert check_line(report).endswith("0 + 10 − 1 − 0 − 0 = 9（当日残 9）一致")
    (session,) = report.sessions
    assert (session.opened_by, session.opened_witness) == ("保管 正子（正）", "窓口 一郎")
    assert (session.closed_by, session.closed_witness) == ("保管 正子（正）", "保管 副男（副1）")
    assert session.opened_at < session.closed_at  # type: ignore[operator]
    (override,) = report.overrides
    assert (override.card_id, override.taken_by, override.approver, override.reason) == (
        office_day.overridden,
        "窓口 一郎",
        "課長 三子",
        "窓口で急ぎの交付依頼",
    )
    assert dict(report.refusals) == {
        "本日の交付予定にない（持出）": 1,
        "12桁の値（個人番号のおそれ）（持出）": 1,
    }
    assert (report.head_seq, report.head_hash) == ledger.head()


def test_the_next_day_starts_from_the_last_days_close(
    ledger: Ledger, office_day: Day, clock: FakeClock, crew: Crew
) -> None:
    clock.advance(days=1)
    receive(ledger, ids(3, start=80), batch="J-LIS-TEST-03")
    report = daily_close(Desk(ledger, Settings()), office_day.day + timedelta(days=1))
    cards = report.balances[0].values
    assert (cards["前日残"], cards["受入"], cards["持出"], cards["当日残"]) == (7, 3, 0, 10)
    assert report.passed
    assert report.sessions == ()


@needs_poppler
def test_daily_close_pdf_puts_totals_check_hash_and_signatures_on_page_one(
    ledger: Ledger, office_day: Day, tmp_path: Path
) -> None:
    report = daily_close(Desk(ledger, Settings()), office_day.day, office="テスト市 市民課")
    pdf = tmp_path / "daily.pdf"
    write_daily_pdf(report, pdf)
    pages = pdf_pages(pdf)
    first = pages[0]
    for words in ("日次締め報告書", "テスト市 市民課", *COLUMNS, "個人番号カード", "通知カード", "合計"):
        assert words in first, words
    for words in ("作成者", "確認者", "責任者", "一致", CHECK_FORMULA):
        assert words in first, words
    assert "不一致" not in first
    assert report.head_hash in first.replace("\n", "")
    # The mynumber-card row of the 受払 table, as printed: 0 8 3 2 1 0 0 0 7 一致.
    assert re.search(r"個人番号カード\s+0\s+8\s+3\s+2\s+1\s+0\s+0\s+0\s+7\s+一致", first), first
    text = "".join(pages)
    for words in ("保管 正子（正）", "保管 副男（副1）", "窓口 一郎", "課長 三子", "窓口で急ぎの交付依頼"):
        assert words in text, words
    assert "本日の交付予定にない（持出）" in text
    assert office_day.refused_twelve not in text
    assert not CODE_LIKE.search(text), CODE_LIKE.search(text)
    for n, page in enumerate(pages, start=1):
        assert f"{n} / {len(pages)} ページ" in page
        assert report.head_hash in page.replace("\n", "")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "IPAexGothic" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # every font embedded
    assert_renders(pdf, tmp_path)
    assert read_qr(pdf, tmp_path) == [report.head_hash]

    # A ledger whose 受払 does not add up is printed as failed, naming the row.
    bad = replace(report.balances[0], values={**report.balances[0].values, "当日残": 6})
    broken = replace(report, balances=(bad, *report.balances[1:]))
    write_daily_pdf(broken, pdf)
    assert "不一致—個人番号カード" in "".join(pdf_pages(pdf)[0].split())


@needs_poppler
def test_daily_close_csv_has_a_bom_the_balances_and_no_individual_number(
    ledger: Ledger, office_day: Day, tmp_path: Path
) -> None:
    report = daily_close(Desk(ledger, Settings()), office_day.day, office="テスト市 市民課")
    out = tmp_path / "daily.csv"
    write_daily_csv(report, out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert ["受払", *COLUMNS, "検算"] in rows
    assert ["個人番号カード", "0", "8", "3", "2", "1", "0", "0", "0", "7", "一致"] in rows
    assert ["最終ハッシュ", report.head_hash] in rows
    override = next(r for r in rows if len(r) > 2 and r[2] == office_day.overridden)
    assert override[3:] == ["窓口 一郎", "課長 三子", "窓口で急ぎの交付依頼"]
    assert office_day.refused_twelve not in raw.decode("utf-8-sig")


def read_qr(pdf: Path, tmp_path: Path) -> list[str]:
    """The QR codes on page 1 of `pdf`, read back from a 200 dpi raster."""
    import numpy as np
    import zxingcpp
    from PIL import Image

    prefix = tmp_path / "qr-page"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "200",
            "-gray",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(prefix),
        ],
        check=True,
        capture_output=True,
    )
    with Image.open(prefix.with_suffix(".png")) as img:
        page = np.asarray(img.convert("L"))
    return [r.text for r in zxingcpp.read_barcodes(page) if r.format.name == "QRCode"]


@needs_poppler
def test_ledger_book_one_row_per_event_in_words_with_a_footer_on_every_page(
    ledger: Ledger, office_day: Day, tmp_path: Path
) -> None:
    receive(ledger, ids(40, start=300), batch="J-LIS-TEST-04")  # enough lines for a second page
    book = ledger_book(Desk(ledger, Settings()), office_day.day, office_day.day)
    events = ledger.events()
    assert [line.seq for line in book.lines] == [e.seq for e in events]
    assert book.hash_before == ""
    assert (book.seq_after, book.hash_after) == (events[-1].seq, events[-1].hash)
    out = tmp_path / "book.csv"
    assert write_ledger_book_csv(book, out) == len(events)
    rows = list(csv.reader(out.read_bytes().decode("utf-8-sig").splitlines()))
    assert rows[0] == ["連番", "日時", "事象", "内容", "管理ID", "操作者", "立会人", "保管庫利用", "ハッシュ"]
    assert len(rows) == len(events) + 1
    issued = next(r for r in rows if r[2] == "交付")
    assert (issued[4], issued[5], issued[6]) == (office_day.issued, "窓口 一郎", "窓口 二郎")
    assert re.fullmatch(r"第\d+回", issued[7])
    opened = next(r for r in rows if r[2] == "保管庫開錠")
    assert (opened[5], opened[6]) == ("保管 正子（正）", "窓口 一郎")
    assert opened[3] == f"確認事項: {len(DEFAULT_OPENING_CHECKLIST)}項目を確認"
    rushed = next(r for r in rows if r[2] == "持出" and r[4] == office_day.overridden)
    assert rushed[3] == "承認者: 課長 三子、理由: 窓口で急ぎの交付依頼"
    refused = [r[3] for r in rows if r[2] == "拒否"]
    assert "理由: 本日の交付予定にない、操作: 持出" in refused
    received = next(r for r in rows if r[2] == "受領")
    assert received[3] == "種別: 個人番号カード、納品番号: J-LIS-TEST-01、場所: 保管庫"
    assert received[5:7] == ["保管 正子（正）", "窓口 二郎"]  # who received it, and the witness
    for row in rows[1:]:
        assert not CODE_LIKE.search(",".join(row[:8])), row

    pdf = tmp_path / "book.pdf"
    assert write_ledger_book_pdf(book, pdf, office="テスト市 市民課") == len(events)
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        flat = page.replace("\n", "")
        assert f"{n} / {len(pages)} ページ" in page
        assert "テスト市 市民課" in page
        assert f"市民課管理簿{office_day.day:%Y年%m月%d日}" in "".join(page.split())  # the footer
        assert book.hash_after in flat
    text = "".join(pages)
    for words in (
        "管理簿",
        "連番",
        "操作者",
        "立会人",
        "受領",
        "保管庫開錠",
        "交付",
        "課長 三子",
        office_day.issued,
    ):
        assert words in text, words
    assert not CODE_LIKE.search(text), CODE_LIKE.search(text)
    assert_renders(pdf, tmp_path)

    empty = ledger_book(
        Desk(ledger, Settings()),
        office_day.day.replace(year=office_day.day.year - 1),
        office_day.day.replace(year=office_day.day.year - 1),
    )
    assert empty.lines == ()
    with pytest.raises(ValueError, match="ends before"):
        ledger_book(
            Desk(ledger, Settings()), office_day.day, office_day.day.replace(year=office_day.day.year - 1)
        )


def test_a_missing_font_names_the_debian_package(tmp_path: Path) -> None:
    with pytest.raises(FontMissing, match="fonts-ipaexfont-gothic"):
        japanese_font(tmp_path / "nope.ttf")
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font")
    with pytest.raises(FontMissing, match="not a usable TrueType font"):
        japanese_font(bad)


@needs_poppler
def test_markup_in_a_name_or_a_reason_is_printed_as_typed(
    ledger: Ledger, clock: FakeClock, crew: Crew, tmp_path: Path
) -> None:
    """Paragraphs read markup: a name or reason holding tags must print as typed, never stop the paper."""
    from kiosk.domain.card_state import office_date
    from kiosk.domain.safe_session import Override, ScanMode
    from kiosk.domain.staff import Role
    from tests.ledger_ops import add_to_pick_list, close_session, open_session, scan_in_session

    # An unclosed <font> stopped the whole daily close; <b> vanished from the printed name.
    boss = ledger.add_staff(
        name="<b>課長</b> & <font size=40>代理",
        badge="S009",
        employee_no="E-S009",
        role=Role.SUPERVISOR,
        pin="8888",
    )
    cards = ids(2, start=700)
    receive(ledger, cards, batch="J-LIS-TEST-09")
    add_to_pick_list(ledger, cards[:1], crew.supervisor)
    session = open_session(
        ledger,
        crew.officer,
        crew.clerk,
        required=DEFAULT_OPENING_CHECKLIST,
        confirmed=DEFAULT_OPENING_CHECKLIST,
    )
    reason = "急ぎ <i>至急</i> & 確認 <br/>"
    rushed = scan_in_session(
        ledger, session.id, cards[1], ScanMode.TAKE_OUT, crew.clerk, override=Override(boss, reason)
    )
    assert rushed.ok
    assert scan_in_session(ledger, session.id, cards[1], ScanMode.PUT_BACK, crew.clerk).ok
    close_session(ledger, session.id, crew.officer, crew.deputy, required=(), confirmed=())
    day = office_date(clock())
    report = daily_close(Desk(ledger, Settings()), day)
    book = ledger_book(Desk(ledger, Settings()), day, day)
    write_daily_pdf(report, tmp_path / "daily.pdf")
    write_ledger_book_pdf(book, tmp_path / "book.pdf")
    for name in ("daily.pdf", "book.pdf"):
        flat = "".join(pdf_text(tmp_path / name).split())
        # (a narrow table cell wraps the name, so its pieces are looked for one by one)
        for piece in ("<b>課長</b>&", "<font", "size=40>代理", "急ぎ<i>至急</i>&確認<br/>"):
            assert piece in flat, (name, piece)
