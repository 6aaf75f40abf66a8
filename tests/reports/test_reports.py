"""Daily close and ledger printout: the numbers, the names, the head hash, and Japanese that renders."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest

from kiosk.ledger.service import Ledger
from kiosk.reports.daily import daily_close, write_daily_csv, write_daily_pdf
from kiosk.reports.fonts import FontMissing, japanese_font
from kiosk.reports.ledger_book import ledger_book, write_ledger_book_csv, write_ledger_book_pdf
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


def test_daily_close_counts_sessions_refusals_and_head(ledger: Ledger, office_day: Day) -> None:
    report = daily_close(ledger, office_day.day, office="テスト市 市民課")
    counts = dict(report.counts)
    assert counts["受領 received"] == 8
    assert counts["持出 taken out"] == 2
    assert counts["交付 issued"] == 1
    assert counts["返却 returned"] == 1
    assert counts["廃棄 disposed"] == 0
    assert counts["締め時点の保管数 in safe at close"] == 7
    assert counts["締め時点の持出中 out at close"] == 0
    (session,) = report.sessions
    assert (session.opened_by, session.opened_witness) == ("保管 正子", "窓口 一郎")
    assert (session.closed_by, session.closed_witness) == ("保管 正子", "保管 副男")
    reasons = [i.detail for i in report.incidents]
    assert any("本日の交付予定にない" in r for r in reasons)
    assert any("12桁の値（個人番号のおそれ）" in r for r in reasons)
    assert (report.head_seq, report.head_hash) == ledger.head()


@needs_poppler
def test_daily_close_pdf_embeds_the_japanese_font_and_csv_has_a_bom(
    ledger: Ledger, office_day: Day, tmp_path: Path
) -> None:
    report = daily_close(ledger, office_day.day, office="テスト市 市民課")
    pdf = tmp_path / "daily.pdf"
    write_daily_pdf(report, pdf)
    text = pdf_text(pdf)
    for words in (
        "日次締め報告書",
        "テスト市 市民課",
        "保管庫利用",
        "保管 正子",
        "保管 副男",
        "確認者1",
        "確認者2",
    ):
        assert words in text, words
    assert report.head_hash in text.replace("\n", "")
    assert office_day.refused_twelve not in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "IPAexGothic" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # every font embedded
    assert_renders(pdf, tmp_path)

    out = tmp_path / "daily.csv"
    write_daily_csv(report, out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert ["交付 issued", "1"] in rows
    assert ["最終ハッシュ head hash", report.head_hash] in rows
    assert office_day.refused_twelve not in raw.decode("utf-8-sig")


@needs_poppler
def test_ledger_book_has_one_line_per_event_with_japanese_headings(
    ledger: Ledger, office_day: Day, tmp_path: Path
) -> None:
    book = ledger_book(ledger, office_day.day, office_day.day)
    events = ledger.events()
    assert [line.seq for line in book.lines] == [e.seq for e in events]
    assert book.hash_before == ""
    assert book.hash_after == events[-1].hash
    out = tmp_path / "book.csv"
    assert write_ledger_book_csv(book, out) == len(events)
    rows = list(csv.reader(out.read_bytes().decode("utf-8-sig").splitlines()))
    assert rows[0] == ["連番", "日時", "事象", "管理ID", "操作者", "立会人", "保管庫利用", "内容", "ハッシュ"]
    assert len(rows) == len(events) + 1
    issued = next(r for r in rows if r[2] == "交付")
    assert (issued[3], issued[4], issued[5]) == (office_day.issued, "窓口 一郎", "窓口 二郎")

    pdf = tmp_path / "book.pdf"
    assert write_ledger_book_pdf(book, pdf, office="テスト市") == len(events)
    text = pdf_text(pdf)
    for words in ("管理簿", "連番", "操作者", "立会人", "受領", "保管庫開錠", "交付", office_day.issued):
        assert words in text, words
    assert_renders(pdf, tmp_path)

    empty = ledger_book(
        ledger,
        office_day.day.replace(year=office_day.day.year - 1),
        office_day.day.replace(year=office_day.day.year - 1),
    )
    assert empty.lines == ()
    with pytest.raises(ValueError, match="ends before"):
        ledger_book(ledger, office_day.day, office_day.day.replace(year=office_day.day.year - 1))


def test_a_missing_font_names_the_debian_package(tmp_path: Path) -> None:
    with pytest.raises(FontMissing, match="fonts-ipaexfont-gothic"):
        japanese_font(tmp_path / "nope.ttf")
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font")
    with pytest.raises(FontMissing, match="not a usable TrueType font"):
        japanese_font(bad)
