"""Only management IDs become scans: a value failing the Damm check is a refusal, and a label whose bars
fail is read from its 2-D symbol."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from PIL import Image, ImageDraw

from drivers.damm import with_check_digit
from drivers.decode import decode
from kiosk.cli import _register, cli
from kiosk.domain.label_read import LabelRead, read_labels
from kiosk.labels.code128 import encode, python_barcode_pattern
from kiosk.labels.pdf import symbol_matrix


def draw_label(img: Image.Image, left: int, top: int, bars: str, grid: list[list[bool]] | None) -> None:
    """Bars at 3 px a module, and the 2-D symbol at 6 px a module just under them (as on a label)."""
    draw = ImageDraw.Draw(img)
    for i, bit in enumerate(bars):
        if bit == "1":
            draw.rectangle([left + 3 * i, top, left + 3 * i + 2, top + 90], fill=0)
    if grid is not None:
        for r, row in enumerate(grid):
            for c, dark in enumerate(row):
                if dark:
                    x, y = left + 6 * c, top + 120 + 6 * r
                    draw.rectangle([x, y, x + 5, y + 5], fill=0)


def photo(tmp_path: Path) -> tuple[Path, str, str, str]:
    """A photo of three labels: python-barcode's bars for an ID from 99 (they read 8 digits) with a
    right Data Matrix; bars of a 10-digit value with a wrong check digit and no 2-D symbol; a good one."""
    nines = with_check_digit("992295665")
    good = with_check_digit("123456789")
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    img = Image.new("L", (1400, 700), 255)
    draw_label(img, 60, 60, python_barcode_pattern(nines), symbol_matrix(nines, "datamatrix"))
    draw_label(img, 760, 60, encode(wrong), None)
    draw_label(img, 60, 420, encode(good), symbol_matrix(good, "datamatrix"))
    path = tmp_path / "labels.png"
    img.save(path)
    return path, nines, wrong, good


def test_a_value_failing_the_check_is_a_refusal_and_the_2d_symbol_reads_instead(tmp_path: Path) -> None:
    path, nines, wrong, good = photo(tmp_path)
    with Image.open(path) as img:
        found = decode(np.asarray(img), many=True)
    texts = {(d.symbology.value, d.code) for d in found}
    assert ("code128", nines[2:]) in texts  # the bug this guards against: the bars read 8 digits
    assert ("code128", wrong) in texts
    reads = read_labels(found)
    assert [r.code for r in reads if r.ok] == [nines, good] or [r.code for r in reads if r.ok] == [
        good,
        nines,
    ]
    refused = sorted((r for r in reads if not r.ok), key=lambda r: r.refused or "")
    assert refused == [
        LabelRead("code128", refused="check_digit"),
        LabelRead("code128", refused="wrong_length", read_instead=nines),
    ]


def test_kiosk_decode_prints_refusals_not_codes(tmp_path: Path) -> None:
    path, nines, wrong, good = photo(tmp_path)
    _register()
    result = CliRunner().invoke(cli, ["decode", "--json", str(path)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert sorted(r["code"] for r in lines if "code" in r) == sorted([nines, good])
    assert {"file": str(path), "rejected": "wrong_length", "read_instead": nines} in lines
    assert {"file": str(path), "rejected": "check_digit"} in lines
    assert nines[2:] not in [r.get("code") for r in lines]
    assert wrong not in result.output
    plain = CliRunner().invoke(cli, ["decode", str(path)])
    assert f"{path}\trejected\twrong_length\t(read the 2-D symbol instead: {nines})" in plain.output
