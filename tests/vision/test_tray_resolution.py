"""Issue 25, item 5: a tray photo whose labels are too small for any decoder says so, with the
resolution or distance needed, and stops early instead of running every pass; a photo at the
resolution the labels need is read as before. Rendered tray stills (how long the passes take is
measured in bench/decode_bench.py; only the issue's bound, the message within 1 s, is asserted here)."""

from __future__ import annotations

import re
import time

from drivers.camera import Camera
from drivers.decode import decode_tray, label_codes, tray_check
from simulator.cabinet import make_management_id
from simulator.camera import FrameReplay
from simulator.render import render_tray

IDS = [make_management_id(80_000 + i) for i in range(100)]


def test_a_1080p_tray_of_100_labels_gets_the_resolution_message() -> None:
    frame = render_tray(
        IDS, seed=2, size=(1920, 1080), bar_px=1, module_px=1, blur_sigma=0.8, noise_sigma=5.0
    )
    started = time.perf_counter()
    found, check = decode_tray(frame)
    took = time.perf_counter() - started
    assert check is not None
    assert check.coarse
    assert took < 1.0, took  # issue 25: within 1 s (about 0.05 s on the 2-core CI machine)
    assert check.labels >= 90  # the size was estimated from the labels themselves
    text = check.advice()
    assert "too small in this photo" in text
    m = re.search(r"take the photo at (\d+)x(\d+) or more", text)
    assert m is not None
    assert int(m[1]) > 1920
    assert int(m[2]) > 1080
    assert "nearer" in text
    assert not any(i in text for i in IDS)
    assert set(label_codes(found)) <= set(IDS)  # whatever the fast pass read, nothing wrong


def test_a_coarse_tray_through_the_camera_leaves_its_advice() -> None:
    frame = render_tray(IDS[:60], seed=3, size=(1920, 1080), bar_px=1, module_px=1, blur_sigma=0.8)
    camera = Camera(FrameReplay([frame]), check_frozen=False, mode="tray")
    camera.scans_in(frame)
    assert camera.tray_advice is not None
    assert "too small" in camera.tray_advice


def test_2d_modules_a_crop_can_read_are_not_called_too_small() -> None:
    # Bars of 1 px but 2-px Data Matrix modules: labels read one by one, so no early stop.
    frame = render_tray(IDS, seed=4, size=(1920, 1080), bar_px=1, module_px=2, blur_sigma=0.8)
    found, check = decode_tray(frame)
    assert check is not None
    assert not check.coarse
    assert len(set(label_codes(found)) & set(IDS)) > 20


def test_a_4k_tray_at_the_designed_size_is_not_coarse_and_reads_whole() -> None:
    frame = render_tray(IDS, seed=5, module_px=2, bar_px=2, blur_sigma=0.8, noise_sigma=5.0)
    found, check = decode_tray(frame)
    assert check is not None
    assert not check.coarse
    assert set(label_codes(found)) == set(IDS)


def test_a_single_card_is_not_a_tray() -> None:
    frame = render_tray(IDS[:3], seed=6)
    assert tray_check(frame) is None
