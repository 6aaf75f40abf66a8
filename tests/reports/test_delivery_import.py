"""Delivery files as Japanese offices have them: Japanese or English headers, UTF-8 (BOM or not) or CP932."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.domain.delivery import DeliveryRejected, decode_delivery, parse_delivery
from kiosk.domain.status import CardKind, CardStatus
from kiosk.ledger.service import Ledger
from tests.ledger.helpers import ids
from tests.retention.test_cli import demo_env, kiosk

__all__ = ["demo_env"]  # the fixture, shared with the retention CLI tests


def twelve(sep: str = "") -> str:
    """A 12-digit value built at run time (never a realistic individual number in the source)."""
    return sep.join(["1234", "5678", "9012"])


def japanese_file(cards: list[str], *, encoding: str, note: str = "2026年4月便") -> bytes:
    lines = ["管理ID,種別,備考"]
    lines += [f"{m},{'個人番号カード' if n % 2 == 0 else '通知カード'},{note}" for n, m in enumerate(cards)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_a_cp932_file_with_a_japanese_header_is_received(ledger: Ledger) -> None:
    cards = ids(4, start=900)
    data = japanese_file(cards, encoding="cp932")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # it really is Shift_JIS, as Japanese Excel saves it
    lines = parse_delivery(decode_delivery(data), expect=4)
    assert [(ln.line, ln.management_id.value, ln.kind) for ln in lines] == [
        (2, cards[0], CardKind.MYNUMBER_CARD),
        (3, cards[1], CardKind.NOTIFICATION_CARD),
        (4, cards[2], CardKind.MYNUMBER_CARD),
        (5, cards[3], CardKind.NOTIFICATION_CARD),
    ]
    states = ledger.receive_batch("J-LIS-CP932", lines)
    assert [s.kind for s in states] == ["mynumber_card", "notification_card"] * 2
    assert all(s.status is CardStatus.IN_SAFE for s in states)


@pytest.mark.parametrize(
    ("header", "encoding"),
    [
        ("管理ID,種別", "utf-8-sig"),
        ("管理ＩＤ,カード種別", "utf-8"),  # full-width letters from an IME normalise
        ("management_id,kind", "utf-8"),
        ("Management_ID , Kind", "utf-8-sig"),
        ("種別,管理番号", "cp932"),  # columns in another order
    ],
)
def test_headers_in_japanese_or_english_and_every_encoding(header: str, encoding: str) -> None:
    a, b = ids(2, start=910)
    id_first = not header.startswith("種別")
    rows = (
        [f"{a},mynumber_card", f"{b},通知カード"] if id_first else [f"mynumber_card,{a}", f"通知カード,{b}"]
    )
    data = "\n".join([header, *rows]).encode(encoding)
    lines = parse_delivery(decode_delivery(data))
    assert [(ln.management_id.value, ln.kind) for ln in lines] == [
        (a, CardKind.MYNUMBER_CARD),
        (b, CardKind.NOTIFICATION_CARD),
    ]


def test_errors_name_the_line_and_the_column() -> None:
    good, other = ids(2, start=920)
    bad_check = good[:-1] + str((int(good[-1]) + 1) % 10)
    rows = [
        f"{good},個人番号カード,",
        f"{bad_check},個人番号カード,",
        f"{other},住民票,",
        f"{good},通知カード,",
    ]
    text = "\n".join(["管理ID,種別,備考", *rows]) + "\n"
    with pytest.raises(DeliveryRejected) as refused:
        parse_delivery(text)
    problems = refused.value.problems
    assert problems[0].startswith("line 3, column 1 (管理ID): check_digit")
    assert problems[1].startswith("line 4, column 2 (種別): the kind must be 個人番号カード")
    assert problems[2] == f"line 5: {good} already appears on line 2"
    with pytest.raises(DeliveryRejected) as header:
        parse_delivery("番号,種別\n")
    assert header.value.problems[0].startswith("line 1: the header needs a management-ID column")
    with pytest.raises(DeliveryRejected) as undecodable:
        decode_delivery(b"\x81\x00\xff\xfe\x80")
    assert undecodable.value.problems == ["the file is neither UTF-8 nor CP932 (Shift_JIS) text"]


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_the_twelve_digit_guard_holds_on_every_column(encoding: str) -> None:
    (card,) = ids(1, start=930)
    for value in (twelve(), twelve("-"), twelve(" "), "１２３４５６７８９０１２", f"申請者 {twelve('-')} 様"):
        data = japanese_file([card], encoding=encoding, note=value)
        with pytest.raises(DeliveryRejected) as refused:
            parse_delivery(decode_delivery(data))
        (problem,) = refused.value.problems
        assert problem == "line 2, column 3 (備考): mynumber_refused (a 12-digit value was discarded)"
        digits = "".join(ch for ch in value if ch.isdigit())
        assert digits not in problem
    with pytest.raises(DeliveryRejected) as header:
        parse_delivery(f"管理ID,種別,{twelve()}\n{card},個人番号カード,x\n")
    assert header.value.problems == ["line 1, column 3: mynumber_refused (a 12-digit value in the header)"]
    with pytest.raises(DeliveryRejected) as id_column:
        parse_delivery(f"管理ID,種別\n{twelve()},個人番号カード\n")
    assert id_column.value.problems == [
        "line 2, column 1 (管理ID): mynumber_refused (a 12-digit value was discarded)"
    ]


def test_kiosk_cards_receive_takes_a_cp932_file(demo_env: dict[str, str], tmp_path: Path) -> None:
    cards = ids(3, start=940)
    path = tmp_path / "配送.csv"
    path.write_bytes(japanese_file(cards, encoding="cp932"))
    people = ("--operator", "O001", "--witness", "C001")
    pins = "1111\n3333\n"
    done = kiosk(
        demo_env, "cards", "receive", "--batch", "J-LIS-SJIS", "--expect", "3", *people, str(path), stdin=pins
    )
    assert done.returncode == 0, done.stderr
    assert "received 3 cards in batch J-LIS-SJIS" in done.stdout
    path.write_bytes(japanese_file(ids(1, start=950), encoding="cp932", note=twelve("-")))
    refused = kiosk(
        demo_env,
        "cards",
        "receive",
        "--batch",
        "J-LIS-SJIS-2",
        "--expect",
        "1",
        *people,
        str(path),
        stdin=pins,
    )
    assert refused.returncode == 2
    assert "line 2, column 3 (備考): mynumber_refused" in refused.stderr
    assert twelve("-") not in refused.stderr
    assert twelve() not in refused.stderr
