"""The stocktake report: CSV in UTF-8 with BOM, and a PDF with the Japanese font embedded."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.domain.stocktake import Decision, MissingDecision
from kiosk.ledger.service import Ledger
from kiosk.reports.stocktake_report import write_stocktake_report
from simulator.cabinet import Cabinet
from tests import ledger_ops as st
from tests.conftest import Crew
from tests.stocktake.helpers import fill_from_cabinet


def test_csv_and_pdf_report(ledger: Ledger, crew: Crew, tmp_path: Path) -> None:
    cabinet = Cabinet.generate(12, seed=3)
    fill_from_cabinet(ledger, cabinet, actor_id=crew.officer.id)
    ids = cabinet.ids()
    view = st.start(ledger, crew.officer, crew.clerk)
    st.record_many(ledger, view.id, tags=[cabinet.cards[m].tag_epc or "" for m in ids[1:]], source="rfid")
    st.record_scan(ledger, view.id, ids[1])
    decisions = {ids[0]: MissingDecision(Decision.RECORD_MISSING, "保管庫に無し")}
    st.finish(ledger, view.id, decisions, crew.officer, crew.deputy)

    assert write_stocktake_report(Desk(ledger, Settings()), view.id, tmp_path / "r.csv") == "csv"
    raw = (tmp_path / "r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    summary = {r[0]: r[1] for r in rows if len(r) == 2}
    assert summary["確認者1（署名）"] == crew.officer.name
    assert summary["確認者2（署名）"] == crew.deputy.name
    assert summary["所在不明"] == "1"
    assert "RFID" in summary["読取方法（初回確認の枚数）"]
    seq, digest = ledger.head()
    assert summary["管理簿の最終記録（連番 / ハッシュ）"] == f"{seq} / {digest}"
    listed = [r for r in rows if len(r) == 8 and r[1] == ids[0]]
    assert listed[0][7] == "所在不明として記録: 保管庫に無し"

    assert write_stocktake_report(Desk(ledger, Settings()), view.id, tmp_path / "r.pdf") == "pdf"
    pdf = (tmp_path / "r.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert b"FontFile2" in pdf  # the TrueType Japanese font is embedded
