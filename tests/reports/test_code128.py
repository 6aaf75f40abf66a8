"""Code 128 labels are right by construction, and a sheet whose labels do not read back is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.damm import with_check_digit
from kiosk.labels.code128 import PATTERNS, STOP, encode, python_barcode_pattern, symbol_values
from kiosk.labels.pdf import write_label_sheets
from kiosk.labels.sheet import PRESETS
from kiosk.labels.verify import LabelsUnreadable
from tests.ledger.helpers import ids as make_ids
from tests.reports.conftest import needs_poppler
from tests.reports.test_label_sheets import decode_label, rasterise
from tests.retention.test_cli import demo_env, kiosk

__all__ = ["demo_env"]  # the fixture, shared with the retention CLI tests


def edge_ids() -> list[str]:
    """IDs whose first pair is 99 (python-barcode 0.16.1 drops it), 00 (leading zeros) and 10."""
    out = []
    for prefix in ("99", "00", "10"):
        out += [with_check_digit(f"{prefix}{n:07d}") for n in (0, 1, 4_242_424, 9_999_999)]
    return out


def test_the_pattern_table_is_code_128() -> None:
    assert len(PATTERNS) == 106
    assert len(set(PATTERNS)) == 106
    for pattern in PATTERNS:
        runs = [len(r) for r in pattern.replace("10", "1 0").replace("01", "0 1").split()]
        # 11 modules: bar, space, bar, space, bar, space, each 1-4 modules wide.
        assert (len(pattern), pattern[0], pattern[-1], len(runs)) == (11, "1", "0", 6), pattern
        assert max(runs) <= 4
    assert STOP == "1100011101011"


def test_set_c_values_and_checksum() -> None:
    # Start C (105), 12, 34: checksum (105 + 12*1 + 34*2) mod 103 = 82.
    assert symbol_values("1234") == [105, 12, 34, 82]
    mid = with_check_digit("992295665")
    values = symbol_values(mid)
    assert values[1:6] == [int(mid[i : i + 2]) for i in range(0, 10, 2)]
    assert len(encode(mid)) == 11 * 7 + 13
    for bad in ("", "123", "12a4", "１２"):
        with pytest.raises(ValueError, match="code set C"):
            symbol_values(bad)


def test_python_barcode_is_wrong_exactly_where_its_issue_says() -> None:
    for mid in edge_ids():
        same = encode(mid) == python_barcode_pattern(mid)
        assert same == (not mid.startswith("99")), mid


@needs_poppler
def test_ids_from_99_00_and_10_render_and_read_back(tmp_path: Path) -> None:
    layout = PRESETS["a4-44"]
    run = edge_ids()
    pdf = tmp_path / "edge.pdf"
    assert write_label_sheets(run, layout, pdf) == 1
    page = rasterise(pdf)
    for position, mid in enumerate(run):
        assert decode_label(page, layout, position) == {"Code128": mid, "DataMatrix": mid}, mid
    qr = tmp_path / "edge-qr.pdf"
    assert write_label_sheets(run, PRESETS["a4-12"], qr, symbol="qr") == 1
    page = rasterise(qr)
    for position, mid in enumerate(run):
        assert decode_label(page, PRESETS["a4-12"], position) == {"Code128": mid, "QRCode": mid}, mid


@needs_poppler
def test_a_bad_encoder_refuses_the_sheet_naming_the_id(tmp_path: Path) -> None:
    pdf = tmp_path / "refused.pdf"
    good, nines = make_ids(1, start=5)[0], with_check_digit("992295665")
    with pytest.raises(LabelsUnreadable) as refused:
        write_label_sheets([good, nines], PRESETS["a4-24"], pdf, encoder=python_barcode_pattern)
    (problem,) = refused.value.problems
    assert problem.startswith(f"label {nines} (sheet 1, position 2): its Code 128 bars read as")
    assert repr(nines[2:]) in problem
    assert not pdf.exists()
    assert list(tmp_path.iterdir()) == []  # the unchecked draft is gone too

    # An encoder that swaps two pairs draws valid Code 128 of another number: refused as well.
    def swapped(mid: str) -> str:
        return encode(mid[2:4] + mid[:2] + mid[4:])

    with pytest.raises(LabelsUnreadable, match=f"label {good} .*Code 128 bars read as"):
        write_label_sheets([good], PRESETS["a4-24"], pdf, encoder=swapped)
    assert not pdf.exists()


@needs_poppler
def test_kiosk_labels_refuses_a_sheet_that_does_not_read_back(
    demo_env: dict[str, str], tmp_path: Path
) -> None:
    pdf = tmp_path / "labels.pdf"
    first = with_check_digit("992295665")
    args = ("labels", "--from", first, "--count", "2", "--sheet", "a4-24", "-o", str(pdf))
    bad = kiosk(demo_env, *args, "--encoder", "python-barcode")
    assert bad.returncode == 2
    assert f"label {first} (sheet 1, position 1): its Code 128 bars read as" in bad.stderr
    assert "2 label(s) do not read back as their ID; no sheet was written" in bad.stderr
    assert not pdf.exists()
    ok = kiosk(demo_env, *args)
    assert ok.returncode == 0, ok.stderr
    assert pdf.exists()


def test_without_pdftoppm_no_sheet_is_written_unchecked(demo_env: dict[str, str], tmp_path: Path) -> None:
    pdf = tmp_path / "labels.pdf"
    first = make_ids(1, start=42)[0]
    env = {**demo_env, "PATH": str(tmp_path / "empty")}  # the kiosk runs, but finds no pdftoppm
    done = kiosk(env, "labels", "--from", first, "--count", "2", "-o", str(pdf))
    assert done.returncode == 2
    assert "pdftoppm is missing" in done.stderr
    assert "poppler-utils" in done.stderr
    assert not pdf.exists()
    assert list(tmp_path.iterdir()) == []  # no unchecked draft left behind either
