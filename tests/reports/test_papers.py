"""カード別履歴, the 督促 list (PDF and mail-merge CSV), the 廃棄 list and the 廃棄証明書, read back."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.domain.card_state import office_date
from kiosk.domain.retention import RetentionPolicy, parse_dated_ids
from kiosk.ledger.service import Ledger
from kiosk.reports.papers import (
    PaperRefused,
    card_register,
    disposal_paper,
    reminder_list,
    write_card_register_csv,
    write_card_register_pdf,
    write_disposal_certificate_pdf,
    write_disposal_list_csv,
    write_disposal_list_pdf,
    write_reminder_csv,
    write_reminder_pdf,
)
from tests.conftest import Crew, FakeClock
from tests.ledger.helpers import ids, receive
from tests.ledger_ops import (
    approve_disposal,
    finish_disposal,
    open_session,
    prepare_disposal,
    record_sent,
    scan_into_disposal,
)
from tests.reports.conftest import Day, needs_poppler
from tests.reports.test_reports import CODE_LIKE, pdf_pages
from tests.retention.test_disposal import make_eligible

POLICY = RetentionPolicy()


def csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_bytes().decode("utf-8-sig").splitlines()))


def assert_paper(path: Path) -> str:
    """Every page has its footer; no codes or dicts; returns the text."""
    pages = pdf_pages(path)
    for n, page in enumerate(pages, start=1):
        assert f"{n} / {len(pages)} ページ" in page
        assert "管理簿の最終記録" in page
    text = "".join(pages)
    assert not CODE_LIKE.search(text), CODE_LIKE.search(text)
    return text


@needs_poppler
def test_a_cards_own_register(ledger: Ledger, office_day: Day, tmp_path: Path) -> None:
    register = card_register(Desk(ledger, Settings()), office_day.issued)
    assert [line.what for line in register.lines] == ["受領", "保管庫へ格納", "交付予定登録", "持出", "交付"]
    pdf = tmp_path / "card.pdf"
    write_card_register_pdf(register, pdf, office="テスト市 市民課")
    text = assert_paper(pdf)
    for words in (
        "カード別履歴",
        office_day.issued,
        "個人番号カード",
        "交付済",
        "窓口 一郎",
        "窓口 二郎",
        "J-LIS-TEST-01",
    ):
        assert words in text, words
    out = tmp_path / "card.csv"
    write_card_register_csv(register, out)
    rows = csv_rows(out)
    assert ["状態", "交付済"] in rows
    issued = next(r for r in rows if len(r) == 7 and r[2] == "交付")
    assert issued[4:6] == ["窓口 一郎", "窓口 二郎"]
    with pytest.raises(PaperRefused, match="not in the ledger"):
        card_register(Desk(ledger, Settings()), ids(1, start=999)[0])


@needs_poppler
def test_the_reminder_list_as_pdf_and_as_a_mail_merge_csv(
    ledger: Ledger, clock: FakeClock, tmp_path: Path
) -> None:
    due, fresh = ids(3, start=400), ids(1, start=410)
    receive(ledger, due + fresh, batch="J-LIS-REM")
    today = office_date(clock())
    record_sent(ledger, "notice", parse_dated_ids(due, default=today, today=today))
    clock.advance(days=POLICY.reminder_after_days + 1)
    later = office_date(clock())
    record_sent(ledger, "notice", parse_dated_ids(fresh, default=later, today=later))
    reminders = reminder_list(Desk(ledger, Settings()), POLICY)
    assert [d.management_id for d, _ in reminders.cards] == due
    out = tmp_path / "reminders.csv"
    assert write_reminder_csv(reminders, out) == 3
    rows = csv_rows(out)
    assert rows[0] == [
        "管理ID",
        "種別",
        "申請者参照",
        "交付通知書送付日",
        "督促対象となった日",
        "保管場所",
        "納品番号",
    ]
    assert [r[0] for r in rows[1:]] == due
    assert rows[1][1] == "個人番号カード"
    assert rows[1][3] == today.isoformat()
    assert rows[1][5:] == ["保管庫", "J-LIS-REM"]
    pdf = tmp_path / "reminders.pdf"
    assert write_reminder_pdf(reminders, pdf, office="テスト市 市民課") == 3
    text = assert_paper(pdf)
    for words in ("督促対象一覧", "総行住第236号の方針", *due, "作成者", "確認者"):
        assert words in text, words
    assert fresh[0] not in text


@needs_poppler
def test_the_disposal_list_and_the_certificate_name_cards_method_date_and_people(
    ledger: Ledger, clock: FakeClock, crew: Crew, tmp_path: Path
) -> None:
    cards = ids(3, start=500)
    make_eligible(ledger, clock, cards, [])
    batch = prepare_disposal(ledger, POLICY, crew.clerk)
    approve_disposal(ledger, batch.id, crew.supervisor)
    pdf = tmp_path / "cert.pdf"
    with pytest.raises(PaperRefused, match="not disposed yet"):
        write_disposal_certificate_pdf(disposal_paper(Desk(ledger, Settings()), batch.id), pdf)
    safe = open_session(ledger, crew.officer, crew.deputy, required=[], confirmed=[]).id
    for mid in cards:
        assert scan_into_disposal(
            ledger, POLICY, batch.id, mid, crew.officer, crew.deputy, session_id=safe
        ).ok
    finish_disposal(ledger, batch.id, crew.officer, crew.deputy, "裁断（シュレッダー）")
    paper = disposal_paper(Desk(ledger, Settings()), batch.id)

    listing = tmp_path / "list.pdf"
    assert write_disposal_list_pdf(paper, listing, office="テスト市 市民課") == 3
    text = assert_paper(listing)
    for words in (
        "廃棄リスト",
        "廃棄済",
        "窓口 一郎",
        "課長 三子",
        "保管 正子（正）",
        "保管 副男（副1）",
        *cards,
    ):
        assert words in text, words
    out = tmp_path / "list.csv"
    write_disposal_list_csv(paper, out)
    rows = csv_rows(out)
    assert ["廃棄方法", "裁断（シュレッダー）"] in rows
    assert [r[0] for r in rows if len(r) == 6][1:] == cards

    assert write_disposal_certificate_pdf(paper, pdf, office="テスト市 市民課") == 3
    text = assert_paper(pdf)
    flat = "".join(text.split())
    when = paper.batch.finished_at
    assert when is not None
    assert f"{office_date(when):%Y年%m月%d日}" in flat
    assert "3枚" in flat
    assert "裁断（シュレッダー）により廃棄したことを証明します" in flat
    for words in (
        "廃棄証明書",
        "廃棄実施者",
        "立会人",
        "承認者",
        "保管正子（正）",
        "保管副男（副1）",
        "課長三子",
        *cards,
    ):
        assert words in flat, words
    assert str(paper.finished_hash) in flat
    with pytest.raises(PaperRefused, match="no disposal batch"):
        disposal_paper(Desk(ledger, Settings()), 424242)


def test_the_daily_close_of_a_disposal_day_adds_up(ledger: Ledger, clock: FakeClock, crew: Crew) -> None:
    from kiosk.reports.daily import daily_close

    cards, kept = ids(3, start=520), ids(2, start=530)
    make_eligible(ledger, clock, cards, [])
    receive(ledger, kept, batch="J-LIS-KEPT")
    clock.advance(days=1)  # a new office day: everything above is 前日残
    batch = prepare_disposal(ledger, POLICY, crew.clerk)
    approve_disposal(ledger, batch.id, crew.supervisor)
    safe = open_session(ledger, crew.officer, crew.deputy, required=[], confirmed=[]).id
    for mid in cards:
        assert scan_into_disposal(
            ledger, POLICY, batch.id, mid, crew.officer, crew.deputy, session_id=safe
        ).ok
    finish_disposal(ledger, batch.id, crew.officer, crew.deputy, "裁断")
    report = daily_close(Desk(ledger, Settings()), office_date(clock()))
    values = report.balances[0].values
    assert (values["前日残"], values["交付取りやめ"], values["廃棄"], values["当日残"]) == (5, 3, 3, 2)
    assert report.passed
