"""The 管理簿 as a register: every payload field by its Japanese name, lists as counts, no sign-ins (they
are in the access log), the session's witness on take-outs and put-backs, the 確認 box; the card register
of the whole cabinet; the access log. Checked on the PDFs' text (pdftotext)."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.domain.events import KINDS, DailyClosed, EventKind, LedgerVerified
from kiosk.domain.staff import AuthError
from kiosk.ledger.service import Ledger
from kiosk.reports.ledger_book import SESSION_MARK, ledger_book, write_ledger_book_csv, write_ledger_book_pdf
from kiosk.reports.papers import card_register
from kiosk.reports.registers import (
    REGISTER_HEADINGS,
    access_log,
    cabinet_register,
    write_access_log_pdf,
    write_cabinet_register_csv,
    write_cabinet_register_pdf,
)
from kiosk.reports.terms import HIDDEN_KEYS, PAYLOAD_KEY_JA, describe_event
from tests.conftest import PINS, Crew
from tests.reports.conftest import Day, needs_poppler

PAYLOAD_KEYS = sorted({key for entry in KINDS.values() for key in entry.payload} - HIDDEN_KEYS)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_every_payload_field_has_its_japanese_name() -> None:
    assert [key for key in PAYLOAD_KEYS if key not in PAYLOAD_KEY_JA] == []


def test_lists_and_mappings_of_lists_are_counts_never_list_text() -> None:
    ids = [f"800000{n:04d}" for n in range(7)]
    phrase = describe_event(
        {"location": None, "counted": {"found": ids, "duplicate": ids[:1]}, "unbound_tags": ["E2801"]},
        kind=EventKind.STOCKTAKE_BATCH,
    )
    assert "確認: 確認 7枚（" in phrase
    assert "他2枚" in phrase
    assert "重複 1枚" in phrase
    assert "未登録タグ: 1枚" in phrase
    assert "[" not in phrase
    assert "'" not in phrase
    verified = describe_event(LedgerVerified(True, 529, 0).encode(), kind=EventKind.LEDGER_VERIFIED)
    assert verified == "検証結果: 正常、検証した記録: 529件、照合した控え: 0件"
    closed = describe_event(DailyClosed("2026-04-01", 9, "ab" * 32, 9).encode(), kind=EventKind.DAILY_CLOSED)
    assert closed.startswith("締めた日: 2026-04-01、最終連番: 9、最終ハッシュ: abab")


def bare_keys(text: str) -> list[str]:
    """Payload field names (snake_case codes) that reached the paper."""
    return [key for key in PAYLOAD_KEYS if re.search(rf"(?<![A-Za-z0-9_]){key}(?![A-Za-z0-9_])", text)]


@needs_poppler
def test_the_ledger_book_is_a_register(ledger: Ledger, office_day: Day, crew: Crew, tmp_path: Path) -> None:
    desk = Desk(ledger, Settings())
    desk.sign_in("C001", PINS["C001"])
    with pytest.raises(AuthError):
        desk.sign_in("C002", "0000")
    found = office_day.cards[3:8]
    with ledger.unit() as u:
        u.append(
            EventKind.STOCKTAKE_BATCH,
            actor_id=crew.officer.id,
            payload={"location": None, "counted": {"found": found, "duplicate": found[:1]}},
        )
        u.append(EventKind.LEDGER_VERIFIED, device="kiosk-test", payload=LedgerVerified(True, 529, 0))

    book = ledger_book(desk, office_day.day, office_day.day)
    kinds = {line.kind for line in book.lines}
    assert EventKind.SIGNED_IN not in kinds
    assert EventKind.AUTH_FAILED not in kinds
    out = tmp_path / "book.csv"
    write_ledger_book_csv(book, out)
    rows = list(csv.reader(out.read_bytes().decode("utf-8-sig").splitlines()))
    # The clerk took the card out and put it back alone: the session's other opener witnessed.
    back = next(r for r in rows if r[2] == "返却（保管庫へ戻す）" and r[4] == office_day.returned)
    assert (back[5], back[6]) == ("窓口 一郎", f"保管 正子（正）{SESSION_MARK}")
    taken = next(r for r in rows if r[2] == "持出" and r[4] == office_day.returned)
    assert taken[6] == f"保管 正子（正）{SESSION_MARK}"
    issued = next(r for r in rows if r[2] == "交付")
    assert issued[6] == "窓口 二郎"  # the hand-over's own witness
    # The card's own register (カード別履歴) names the same witnesses.
    own = card_register(desk, office_day.returned)
    assert [line.witness for line in own.lines if line.kind == EventKind.CARD_PUT_BACK] == [
        f"保管 正子（正）{SESSION_MARK}"
    ]

    pdf = tmp_path / "book.pdf"
    write_ledger_book_pdf(book, pdf, office="テスト市 市民課")
    text = pdf_text(pdf)
    flat = "".join(text.split())
    assert "['" not in text
    assert "[" not in text
    assert bare_keys(text) == []
    assert "その他" not in text  # no field without its name
    assert "備考:はい" not in flat
    assert "確認:重複1枚" in flat
    assert "確認5枚" in flat
    assert "検証結果:正常、検証した記録:529件" in flat
    assert "サインイン" not in text
    assert "認証失敗" not in text
    assert f"保管正子（正）{SESSION_MARK}" in flat
    assert "保管庫利用を開いた二人のうち操作者でない人" in flat
    assert "確認欄" in text
    for signer in ("作成者（氏名）", "確認者（氏名）", "保管責任者（氏名）"):
        assert signer in flat

    # The sign-ins are in the access log instead.
    log = access_log(desk, office_day.day, office_day.day)
    assert [line.kind for line in log.lines] == [EventKind.SIGNED_IN, EventKind.AUTH_FAILED]
    log_pdf = tmp_path / "access.pdf"
    assert write_access_log_pdf(log, log_pdf, office="テスト市 市民課") == 2
    log_text = "".join(pdf_text(log_pdf).split())
    assert "サインイン記録" in log_text
    assert "窓口一郎" in log_text
    assert "認証失敗" in log_text
    assert "暗証番号の誤り" in log_text
    assert bare_keys(log_text) == []


@needs_poppler
def test_the_card_register_of_the_whole_cabinet(ledger: Ledger, office_day: Day, tmp_path: Path) -> None:
    desk = Desk(ledger, Settings())
    register = cabinet_register(desk)
    rows = {r.management_id: r for r in register.rows}
    assert set(rows) == set(office_day.cards) | set(office_day.notification)
    issued = rows[office_day.issued]
    assert issued.status == "issued"
    assert issued.issued_at is not None
    assert issued.taken_out_at is not None
    assert issued.received_on is not None
    back = rows[office_day.returned]
    assert back.status == "in_safe"
    assert back.taken_out_at is not None
    assert back.issued_at is None
    assert rows[office_day.cards[5]].taken_out_at is None
    assert dict(register.counts()) == {"保管中": len(rows) - 1, "交付済": 1}

    out = tmp_path / "register.csv"
    assert write_cabinet_register_csv(register, out) == len(rows)
    lines = list(csv.reader(out.read_bytes().decode("utf-8-sig").splitlines()))
    assert lines[0] == REGISTER_HEADINGS
    line = next(r for r in lines if r[0] == office_day.issued)
    day = office_day.day.isoformat()
    assert line[1:3] == ["個人番号カード", "交付済"]
    assert (line[5], line[8], line[9]) == (day, day, day)  # received, taken out, handed over

    pdf = tmp_path / "register.pdf"
    write_cabinet_register_pdf(register, pdf, office="テスト市 市民課")
    text = pdf_text(pdf)
    flat = "".join(text.split())
    assert "カード台帳" in text
    for mid in rows:
        assert mid in text
    assert "交付済" in text
    assert "保管中" in text
    assert "通知カード" in text
    assert "確認欄" in text
    assert "確認者（氏名）" in flat
    assert "[" not in text
    assert bare_keys(text) == []
    assert "in_safe" not in text
    assert "mynumber_card" not in text
