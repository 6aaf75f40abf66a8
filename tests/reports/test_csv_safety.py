"""Every CSV the kiosk writes neutralises cells a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.domain.staff import Role
from kiosk.ledger.service import Ledger
from kiosk.reports.csvfile import FORMULA_STARTS, csv_writer, neutralise
from kiosk.reports.daily import daily_close, write_daily_csv
from kiosk.reports.ledger_book import ledger_book, write_ledger_book_csv
from kiosk.reports.ledger_csv import export_events_csv
from kiosk.reports.papers import card_register, write_card_register_csv
from tests.ledger_ops import set_hold
from tests.reports.conftest import Day

FORMULA_NAME = "=HYPERLINK(1)"
FORMULA_REASON = "@SUM(1+1)"


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_formula_cell_gets_a_leading_quote(start: str, tmp_path: Path) -> None:
    assert neutralise(f"{start}cmd") == f"'{start}cmd"
    assert neutralise("保管 正子") == "保管 正子"
    assert neutralise("7000000012") == "7000000012"
    assert neutralise(-3) == -3  # numbers the kiosk computes are not text a person typed
    out = tmp_path / "x.csv"
    with csv_writer(out) as w:
        w.writerow([f"{start}1+1", "ok"])
    (row,) = csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline=""))
    assert row == [f"'{start}1+1", "ok"]


def test_names_and_reasons_typed_at_the_kiosk_cannot_become_formulas(
    ledger: Ledger, office_day: Day, tmp_path: Path
) -> None:
    typed = ledger.add_staff(
        name=FORMULA_NAME, badge="X001", employee_no="E-X001", role=Role.CLERK, pin="7777"
    )
    mid = office_day.cards[3]
    set_hold(ledger, mid, FORMULA_REASON, actor_id=typed.id)
    outputs = {
        "book": tmp_path / "book.csv",
        "events": tmp_path / "events.csv",
        "card": tmp_path / "card.csv",
        "daily": tmp_path / "daily.csv",
    }
    desk = Desk(ledger, Settings())
    write_ledger_book_csv(ledger_book(desk, office_day.day, office_day.day), outputs["book"])
    export_events_csv(desk, outputs["events"])
    write_card_register_csv(card_register(desk, mid), outputs["card"])
    write_daily_csv(daily_close(desk, office_day.day), outputs["daily"])
    for name, path in outputs.items():
        cells = [c for row in rows(path) for c in row]
        assert not [c for c in cells if c.startswith(FORMULA_STARTS)], name
    hold = next(r for r in rows(outputs["book"]) if r[2] == "保留開始")
    assert hold[5] == f"'{FORMULA_NAME}"  # the actor's name
    events = next(r for r in rows(outputs["events"]) if r[2] == "card_hold_set")
    assert events[4] == f"'{FORMULA_NAME}"
    book = outputs["book"].read_bytes().decode("utf-8-sig")
    assert "氏名: =HYPERLINK(1)" in book  # inside a phrase it is harmless text
    assert ["保留", f"'{FORMULA_REASON}"] in rows(outputs["card"])


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def test_every_csv_writer_goes_through_the_one_helper() -> None:
    kiosk = Path(__file__).resolve().parents[2] / "kiosk"
    direct = [
        str(p.relative_to(kiosk.parent))
        for p in kiosk.rglob("*.py")
        if ("csv.writer(" in (text := p.read_text(encoding="utf-8")) or "csv.DictWriter(" in text)
        and p.name != "csvfile.py"
    ]
    assert direct == [], "write CSV with kiosk.reports.csvfile.csv_writer"
