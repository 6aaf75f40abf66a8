"""`kiosk decode` and the camera / rfid-serial kinds of `kiosk listen`, in process with click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kiosk.cli import _register, cli
from simulator.cabinet import Cabinet, make_management_id
from simulator.render import LabelSymbol, render_card_frame, render_tray
from simulator.uhf import SimUhfReader


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _register()
    return CliRunner()


def _write(path: Path, image: np.ndarray) -> Path:
    import cv2

    assert cv2.imwrite(str(path), image)
    return path


def test_decode_prints_one_line_per_label(runner: CliRunner, tmp_path: Path, mynumber_shaped: str) -> None:
    import zxingcpp

    single = make_management_id(7)
    tray_ids = [make_management_id(100 + i) for i in range(12)]
    card = _write(tmp_path / "card.png", render_card_frame(single, seed=1, symbol=LabelSymbol.QR))
    tray = _write(tmp_path / "tray.jpg", render_tray(tray_ids, seed=2, size=(1920, 1080)))
    sym = np.asarray(
        zxingcpp.create_barcode(mynumber_shaped, zxingcpp.BarcodeFormat.QRCode).to_image(scale=5)
    )
    bad = np.full((400, 400), 230, np.uint8)
    bad[50 : 50 + sym.shape[0], 50 : 50 + sym.shape[1]] = sym
    refused = _write(tmp_path / "back.png", bad)

    result = runner.invoke(cli, ["decode", "--json", str(card), str(tray), str(refused)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [r["code"] for r in lines if r["file"] == str(card)] == [single]
    assert sorted(r["code"] for r in lines if r["file"] == str(tray)) == tray_ids
    assert {r["symbology"] for r in lines if "code" in r} <= {"code128", "qr", "datamatrix"}
    assert [r for r in lines if r["file"] == str(refused)] == [
        {"file": str(refused), "rejected": "mynumber_refused"}
    ]
    assert mynumber_shaped not in result.output

    plain = runner.invoke(cli, ["decode", str(card)])
    assert plain.exit_code == 0
    assert plain.output.strip().split("\t")[::2] == [str(card), single]


def test_decode_unreadable_file_is_one_clear_line(runner: CliRunner, tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    card = _write(tmp_path / "card.png", render_card_frame(make_management_id(9), seed=3))
    result = runner.invoke(cli, ["decode", "--json", str(text), str(tmp_path / "missing.png"), str(card)])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line]
    assert errors == [
        f"kiosk: {text}: not a readable image file",
        f"kiosk: {tmp_path / 'missing.png'}: not a readable image file",
    ]
    assert json.loads(result.stdout)["code"] == make_management_id(9)


def test_listen_camera_on_an_image_directory(runner: CliRunner, tmp_path: Path) -> None:
    ids = [make_management_id(200 + i) for i in range(3)]
    for i, mid in enumerate(ids):
        _write(tmp_path / f"{i}.png", render_card_frame(mid, seed=i, size=(1280, 720)))
    result = runner.invoke(cli, ["listen", "camera", str(tmp_path), "--json", "--count", "3"])
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(line)["code"] for line in result.stdout.splitlines()) == ids
    # Without --count it stops at the end of the directory.
    result = runner.invoke(cli, ["listen", "camera", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 3


def test_listen_rfid_serial_on_the_simulated_reader(runner: CliRunner) -> None:
    cabinet = Cabinet.generate(4, seed=9)
    with SimUhfReader("uhf", cabinet, seed=1) as sim:
        result = runner.invoke(cli, ["listen", "rfid-serial", sim.path, "--json", "--count", "4"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    records = [r for r in lines if "code" in r]
    assert sorted(r["code"] for r in records) == sorted(cabinet.by_tag())
    assert {r["symbology"] for r in records} == {"rfid_epc"}
    # Then the inventory's summary: one line per tag, merged across rounds (issue 14).
    assert sorted(r["tag"] for r in lines if "tag" in r) == sorted(cabinet.by_tag())
