"""decode() over frames rendered with real symbols, read by the real libraries."""

from __future__ import annotations

import math
import random
import subprocess
import sys

import numpy as np
import pytest

from drivers.decode import DEFAULT_SYMBOLOGIES, decode, label_codes
from drivers.errors import DriverNotUsable
from drivers.scan import Symbology
from drivers.text import REASON_MYNUMBER
from simulator.cabinet import make_management_id
from simulator.render import Effects, LabelSymbol, render_card_frame, render_label, render_tray


def test_clean_label_reads_both_symbols_with_every_backend(mid: str) -> None:
    frame = render_card_frame(mid, seed=1)
    for backend in ("zxing", "pyzbar", "cascade"):
        assert label_codes(decode(frame, backend=backend)) == [mid], backend
    kinds = {d.symbology for d in decode(frame, backend="zxing")}
    assert kinds == {Symbology.CODE128, Symbology.DATAMATRIX}


def test_bgr_and_pil_inputs(mid: str) -> None:
    import cv2

    gray = render_card_frame(mid, seed=2, symbol=LabelSymbol.QR)
    bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    assert label_codes(decode(bgr)) == [mid]
    assert label_codes(decode(render_label(mid, symbol="qr"))) == [mid]


@pytest.mark.parametrize("angle", [15.0, 30.0, -45.0])
def test_cascade_reads_rotated_code128_that_both_libraries_miss(mid: str, angle: float) -> None:
    frame = render_card_frame(mid, effects=Effects(rotation_deg=angle), seed=5, symbol=None)
    assert decode(frame, backend="zxing") == []
    assert decode(frame, backend="pyzbar") == []
    found = decode(frame)
    assert label_codes(found) == [mid]
    assert found[0].symbology is Symbology.CODE128
    assert found[0].stage == "localised"


def test_low_contrast_code128_read_by_cascade(mid: str) -> None:
    frame = render_card_frame(mid, effects=Effects(contrast=0.15, blur_sigma=0.5), seed=9, symbol=None)
    assert label_codes(decode(frame)) == [mid]


@pytest.mark.parametrize(
    "effects",
    [
        Effects(blur_sigma=1.6, noise_sigma=2.0),
        Effects(contrast=0.2, blur_sigma=0.5, noise_sigma=2.0),
        Effects(blur_sigma=1.6, noise_sigma=2.0, rotation_deg=88.0),  # held sideways: the turned pass
    ],
    ids=["blurred", "faint", "blurred-sideways"],
)
def test_a_blurred_or_faint_label_is_read_halved_where_it_lies(mid: str, effects: Effects) -> None:
    # The first pass reads the frame at half size; what it reports is in the frame's own pixels (the
    # counter picker compares labels by their size and place).
    for symbol in (LabelSymbol.DATAMATRIX, LabelSymbol.QR):
        frame = render_card_frame(mid, effects=effects, seed=4, symbol=symbol)
        found = decode(frame)
        assert label_codes(found) == [mid]
        assert {d.stage for d in found} == {"halved"}
        reference = decode(frame, backend="zxing")  # zxing-cpp's thorough read at full size
        for d in found:
            same = [r for r in reference if r.symbology is d.symbology]
            assert same, d.symbology
            assert math.dist(d.centre, same[0].centre) < 4.0
            assert math.dist(d.corners[0], d.corners[2]) == pytest.approx(
                math.dist(same[0].corners[0], same[0].corners[2]), rel=0.05
            )


@pytest.mark.parametrize("seed", [0, 2])
def test_a_faint_label_at_the_size_limit_is_read_at_full_size_by_the_local_binariser(
    mid: str, seed: int
) -> None:
    # 2-px bars and 3-px modules in a 720p frame: lost by the halving and by the global binariser.
    fx = Effects(contrast=0.2, blur_sigma=0.6, noise_sigma=2.0)
    frame = render_card_frame(mid, effects=fx, seed=seed, size=(1280, 720), bar_px=2, module_px=3)
    found = decode(frame)
    assert label_codes(found) == [mid]
    assert {d.stage for d in found} == {"local"}
    assert decode(frame, quick=True)[0].stage == "localised"  # live video: the localiser reads its bars


def test_symbologies_restrict_what_is_reported(mid: str) -> None:
    frame = render_card_frame(mid, seed=3)
    only_dm = decode(frame, symbologies={Symbology.DATAMATRIX})
    assert {d.symbology for d in only_dm} == {Symbology.DATAMATRIX}
    only_1d = decode(frame, symbologies=["code128"], backend="zxing")
    assert {d.symbology for d in only_1d} == {Symbology.CODE128}
    assert decode(frame, symbologies={Symbology.EAN13}) == []


def test_blank_frame_finds_nothing() -> None:
    frame = np.full((1080, 1920), 128, np.uint8)
    assert decode(frame) == []


def test_individual_number_is_refused_and_dropped(mynumber_shaped: str) -> None:
    import zxingcpp

    value = mynumber_shaped
    sym = np.asarray(zxingcpp.create_barcode(value, zxingcpp.BarcodeFormat.QRCode).to_image(scale=6))
    frame = np.full((600, 800), 230, np.uint8)
    frame[100 : 100 + sym.shape[0], 100 : 100 + sym.shape[1]] = sym
    for backend in ("zxing", "pyzbar", "cascade"):
        found = decode(frame, backend=backend)
        assert len(found) == 1, backend
        assert found[0].code is None
        assert found[0].rejected == REASON_MYNUMBER
        assert value not in repr(found)


def test_render_label_refuses_individual_number(mynumber_shaped: str) -> None:
    with pytest.raises(ValueError, match="mynumber_refused") as err:
        render_label(mynumber_shaped)
    assert mynumber_shaped not in str(err.value)


def test_pyzbar_reports_missing_libzbar_with_the_package_to_install() -> None:
    # A machine without libzbar: ctypes cannot find the library (third-party lookup, not our code).
    script = (
        "import ctypes.util; ctypes.util.find_library = lambda name: None\n"
        "from drivers.decode_pyzbar import is_usable\n"
        "from drivers.decode import decode, backend_usable\n"
        "from drivers.errors import DriverNotUsable\n"
        "import numpy as np\n"
        "ok, why = is_usable(); print(ok); print(why)\n"
        "print(backend_usable('cascade')[0])\n"
        "try:\n"
        "    decode(np.zeros((10, 10), np.uint8), backend='pyzbar')\n"
        "except DriverNotUsable as exc:\n"
        "    print('refused', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0] == "False"
    assert "libzbar0" in lines[1]
    assert lines[2] == "True"  # the cascade still runs on zxing-cpp alone
    assert lines[3].startswith("refused")
    assert "libzbar0" in lines[3]


def test_cascade_reads_condition_sample() -> None:
    # One frame per hard condition, both label symbols: the cascade reads every one.
    rng = random.Random(11)
    for i, cond in enumerate(
        ("blur", "noise", "rotation", "perspective", "glare", "low_contrast", "occlusion")
    ):
        mid = make_management_id(100 + i)
        frame = render_card_frame(mid, effects=Effects.for_condition(cond, rng), seed=i)
        assert label_codes(decode(frame)) == [mid], cond


@pytest.mark.slow
def test_tray_of_100_labels_in_4k() -> None:
    ids = [make_management_id(i + 1) for i in range(100)]
    frame = render_tray(ids, seed=1, module_px=2, bar_px=2, blur_sigma=0.8, noise_sigma=5.0)
    assert frame.shape == (2160, 3840)
    found = set(label_codes(decode(frame, many=True)))
    assert found <= set(ids)
    assert len(found) >= 99
    # Each library alone on the whole frame finds fewer here; the tray pass is what closes the gap.
    alone = max(len(set(label_codes(decode(frame, backend=b)))) for b in ("zxing", "pyzbar"))
    assert len(found) >= alone


@pytest.mark.slow
def test_a_tray_whose_labels_touch_reads_every_label() -> None:
    """Labels close together merge into one light blob; a blob holding fewer codes than labels of its
    size is read whole (two trays where a first cut of the fast tray path lost 4 and 1 labels)."""
    first = [make_management_id(76_000 + i) for i in range(20)]
    second = [make_management_id(74_000 + i) for i in range(20)]
    trays = [
        (
            first,
            render_tray(
                first,
                seed=488218,
                size=(2560, 1440),
                bar_px=3,
                symbol="qr",
                blur_sigma=1.0,
                max_rotation_deg=25.0,
            ),
        ),
        (second, render_tray(second, seed=566950, noise_sigma=8.0, vignette=0.55, max_rotation_deg=25.0)),
    ]
    for ids, frame in trays:
        found = decode(frame, many=True)
        assert set(label_codes(found)) == set(ids), frame.shape
        # Read by the fast pass and the blobs, without zxing-cpp's thorough whole-frame pass.
        assert {d.stage for d in found} <= {"fast", "label"}


def test_default_symbologies_are_the_label_pair() -> None:
    assert {Symbology.CODE128, Symbology.QR, Symbology.DATAMATRIX} == DEFAULT_SYMBOLOGIES


def test_unknown_backend_and_bad_image() -> None:
    frame = np.zeros((10, 10), np.uint8)
    with pytest.raises(ValueError, match="unknown decoder backend"):
        decode(frame, backend="nope")
    with pytest.raises(ValueError, match="8-bit"):
        decode(frame.astype(np.float32))
    assert issubclass(DriverNotUsable, Exception)
