"""Printed labels scan back: rasterise the PDF with pdftoppm and decode both symbols of several labels."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from kiosk.domain.management_id import ManagementId
from kiosk.labels.pdf import write_label_sheets
from kiosk.labels.sheet import PRESETS, SheetLayout, id_run
from tests.ledger.helpers import ids as make_ids
from tests.reports.conftest import needs_poppler

DPI = 300


def rasterise(pdf: Path, page: int = 1) -> np.ndarray:
    prefix = pdf.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(DPI),
            "-gray",
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(prefix),
        ],
        check=True,
        capture_output=True,
    )
    with Image.open(prefix.with_suffix(".png")) as img:
        return np.asarray(img.convert("L"))


def decode_label(page: np.ndarray, layout: SheetLayout, position: int) -> dict[str, str]:
    """Decode the label at `position` from its box on the page image: {format name: text}."""
    left, top, w, h = layout.box(position)
    px = DPI / 25.4
    crop = page[int(top * px) : int((top + h) * px), int(left * px) : int((left + w) * px)]
    found = zxingcpp.read_barcodes(crop)
    return {r.format.name: r.text for r in found}


@needs_poppler
@pytest.mark.parametrize(
    ("sheet", "positions"), [("a4-12", [0, 5, 11]), ("a4-24", [0, 13, 23]), ("a4-44", [0, 1, 22, 43])]
)
def test_each_label_decodes_back_to_its_id_with_both_symbols(
    sheet: str, positions: list[int], tmp_path: Path
) -> None:
    layout = PRESETS[sheet]
    ids = id_run(ManagementId(make_ids(1, start=123)[0]), layout.per_sheet + 2)
    pdf = tmp_path / f"{sheet}.pdf"
    assert write_label_sheets(ids, layout, pdf) == 2
    page = rasterise(pdf)
    for position in positions:
        got = decode_label(page, layout, position)
        assert got.get("Code128") == ids[position], (sheet, position, got)
        assert got.get("DataMatrix") == ids[position], (sheet, position, got)
    second = rasterise(pdf, page=2)
    assert decode_label(second, layout, 1) == {"Code128": ids[-1], "DataMatrix": ids[-1]}


@needs_poppler
def test_qr_symbol_and_calibration_offset_and_skip(tmp_path: Path) -> None:
    layout = PRESETS["a4-24"].with_offset(3.0, -2.0)
    ids = make_ids(4, start=500)
    pdf = tmp_path / "qr.pdf"
    write_label_sheets(ids, layout, pdf, symbol="qr", skip=5)
    page = rasterise(pdf)
    assert decode_label(page, layout, 4) == {}  # skipped positions stay blank
    for n, mid in enumerate(ids, start=5):
        assert decode_label(page, layout, n) == {"Code128": mid, "QRCode": mid}
    # The offset moved the labels: the uncalibrated box no longer holds a whole label.
    px = DPI / 25.4
    left, top, _, _ = layout.box(5)
    plain_left, plain_top, _, _ = PRESETS["a4-24"].box(5)
    assert (round((left - plain_left) * px), round((top - plain_top) * px)) == (35, -24)


def test_id_runs_and_sheet_geometry() -> None:
    first = ManagementId(make_ids(1, start=9)[0])
    run = id_run(first, 3)
    assert run == make_ids(3, start=9)
    assert all(ManagementId.parse(m).value == m for m in run)
    with pytest.raises(ValueError, match="past the last"):
        id_run(ManagementId.from_body("999999998"), 3)
    assert [PRESETS[s].per_sheet for s in ("a4-12", "a4-24", "a4-44")] == [12, 24, 44]
    with pytest.raises(ValueError, match="do not fit"):
        SheetLayout("big", 5, 11, 8.4, 8.8, 48.3, 25.4, 48.3, 25.4)
    with pytest.raises(ValueError, match="skip"):
        write_label_sheets(run, PRESETS["a4-12"], Path("unused.pdf"), skip=12)
