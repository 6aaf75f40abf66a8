"""Issue 14, item 4: at the counter the camera takes the card presented, over rendered frames with two
labels in view (a finger on the presented card, a card lying in the background, two cards alike)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest
from click.testing import CliRunner

from drivers.camera import Camera
from drivers.errors import FrameError
from drivers.scan import Scan
from kiosk.cli import _register, cli
from simulator.cabinet import make_management_id
from simulator.camera import FrameReplay
from simulator.render import render_counter_frame

PRESENTED, BACKGROUND, THIRD = make_management_id(101), make_management_id(102), make_management_id(103)


def run(frames: list[object], **options: object) -> list[Scan | FrameError]:
    camera = Camera(FrameReplay(frames), check_frozen=False, full_every=1, **options)  # type: ignore[arg-type]
    camera.open()
    out: list[Scan | FrameError] = []
    try:
        while not camera.exhausted:
            try:
                item = camera.read(2.0)
            except FrameError as exc:
                out.append(exc)
                continue
            if item is not None:
                out.append(item)
    finally:
        camera.close()
    return out


def codes(items: list[Scan | FrameError]) -> list[str]:
    return [x.code if isinstance(x, Scan) else f"rejected:{x.reason}" for x in items]


def test_the_presented_card_is_taken_with_a_finger_on_it_and_a_card_behind() -> None:
    frames = [render_counter_frame(PRESENTED, [BACKGROUND], seed=s, finger=f)
              for s, f in enumerate([0.0, 0.5, 0.9, 0.7, 0.3, 0.0])]  # fmt: skip
    assert codes(run(frames)) == [PRESENTED]


def test_a_card_in_the_background_is_never_a_scan() -> None:
    # The presented card comes and goes (taken away, covered); the one lying behind stays in view.
    frames = [render_counter_frame(PRESENTED, [BACKGROUND], seed=1)]
    frames += [render_counter_frame(None, [BACKGROUND], seed=10 + s) for s in range(13)]
    frames += [render_counter_frame(PRESENTED, [BACKGROUND], seed=30, finger=0.9)]
    assert codes(run(frames)) == [PRESENTED]


def test_the_card_behind_counts_once_it_is_picked_up_and_presented() -> None:
    frames = [render_counter_frame(PRESENTED, [BACKGROUND], seed=s) for s in range(3)]
    frames += [render_counter_frame(None, [BACKGROUND], seed=5)]
    frames += [render_counter_frame(BACKGROUND, [], seed=s) for s in range(6, 9)]  # held up, large
    assert codes(run(frames)) == [PRESENTED, BACKGROUND]


def test_two_labels_alike_are_reported_once_as_two_labels_in_view() -> None:
    frames = [
        render_counter_frame(
            None, [BACKGROUND, THIRD], seed=s, other_at=[(0.3, 0.5), (0.7, 0.5)], other_scale=1.0
        )
        for s in range(4)
    ]
    assert codes(run(frames)) == ["rejected:two_labels_in_view"]


def test_tray_mode_reports_every_label_in_view() -> None:
    frames = [render_counter_frame(PRESENTED, [BACKGROUND], seed=2)]
    assert sorted(codes(run(frames, mode="tray"))) == sorted([PRESENTED, BACKGROUND])


@pytest.fixture(scope="module", autouse=True)
def commands() -> None:
    _register()


def test_kiosk_decode_single_prints_what_counter_mode_takes(tmp_path: Path) -> None:
    counter = tmp_path / "counter.png"
    alike = tmp_path / "alike.png"
    cv2.imwrite(str(counter), render_counter_frame(PRESENTED, [BACKGROUND], seed=4, finger=0.6))
    cv2.imwrite(
        str(alike),
        render_counter_frame(
            None, [BACKGROUND, THIRD], seed=4, other_at=[(0.3, 0.5), (0.7, 0.5)], other_scale=1.0
        ),
    )
    runner = CliRunner()
    single = runner.invoke(cli, ["decode", "--single", "--json", str(counter), str(alike)])
    assert single.exit_code == 0, single.output
    records = [json.loads(line) for line in single.stdout.splitlines()]
    assert records == [
        {"file": str(counter), "code": PRESENTED, "symbology": records[0]["symbology"]},
        {"file": str(alike), "rejected": "two_labels_in_view", "labels": 2},
    ]
    tray = runner.invoke(cli, ["decode", "--json", str(counter)])
    assert sorted(json.loads(line)["code"] for line in tray.stdout.splitlines()) == sorted(
        [PRESENTED, BACKGROUND]
    )
