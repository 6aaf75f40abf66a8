"""Issue 25, item 4: a card held nearer than the webcam's focus distance (large, defocused) with a sharp
card lying on the desk behind. The picker sees every label in view before it chooses; when the nearest
(largest) label is present but unreadable the camera says `present_card_unreadable` and takes nothing;
it never takes the smaller card in its place. Rendered frames through the real `Camera`."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest
from click.testing import CliRunner

from drivers.decode import counter_survey, decode, label_patches
from kiosk.cli import _register, cli
from simulator.cabinet import make_management_id
from simulator.render import LabelSymbol, render_counter_frame
from tests.vision.test_counter_mode import codes, run

PRESENTED, BACKGROUND = make_management_id(121), make_management_id(122)


@pytest.mark.parametrize("symbol", [LabelSymbol.DATAMATRIX, LabelSymbol.QR])
@pytest.mark.parametrize("defocus", [6.0, 9.0, 14.0])
def test_a_defocused_near_card_is_said_unreadable_and_the_sharp_card_behind_is_not_taken(
    symbol: LabelSymbol, defocus: float
) -> None:
    frames: list[object] = [
        render_counter_frame(
            PRESENTED, [BACKGROUND], seed=s, presented_scale=1.5, presented_defocus=defocus, symbol=symbol
        )
        for s in range(4)
    ]
    got = codes(run(frames))
    assert BACKGROUND not in got
    assert got == ["rejected:present_card_unreadable"]  # once while it lasts, not per frame


@pytest.mark.parametrize("defocus", [0.0, 1.5])
def test_a_near_card_in_focus_is_taken_over_the_card_behind(defocus: float) -> None:
    frames: list[object] = [
        render_counter_frame(PRESENTED, [BACKGROUND], seed=s, presented_scale=1.5, presented_defocus=defocus)
        for s in range(3)
    ]
    assert codes(run(frames)) == [PRESENTED]


def test_the_first_pass_alone_reads_only_the_card_behind_the_survey_finds_the_presented_one() -> None:
    frame = render_counter_frame(PRESENTED, [BACKGROUND], seed=3, presented_scale=1.3)
    found = decode(frame)
    surveyed, unreadable = counter_survey(frame, found)
    assert not unreadable
    assert PRESENTED in {d.code for d in surveyed}
    assert BACKGROUND in {d.code for d in surveyed}


def test_label_patches_see_a_defocused_card_as_well_as_a_sharp_one() -> None:
    frame = render_counter_frame(PRESENTED, [BACKGROUND], seed=2, presented_scale=1.5, presented_defocus=9.0)
    patches = label_patches(frame)
    assert len(patches) >= 2
    assert patches[0].area > 2 * patches[1].area  # the near card is the largest


def test_the_card_behind_alone_is_still_not_taken_after_an_unreadable_presentation() -> None:
    frames: list[object] = [render_counter_frame(PRESENTED, [BACKGROUND], seed=1)]
    frames += [
        render_counter_frame(PRESENTED, [BACKGROUND], seed=5 + s, presented_scale=1.5, presented_defocus=9.0)
        for s in range(3)
    ]
    frames += [render_counter_frame(None, [BACKGROUND], seed=20 + s) for s in range(3)]
    got = codes(run(frames))
    assert got[0] == PRESENTED
    assert BACKGROUND not in got


def test_a_sheet_of_paper_on_the_desk_is_not_taken_for_an_unreadable_card() -> None:
    import cv2

    frame = render_counter_frame(PRESENTED, [], seed=4, presented_at=(0.7, 0.5))
    # An A4 form lying on the desk, larger than the card, printed with lines of text.
    cv2.rectangle(frame, (60, 80), (560, 787), 235, thickness=-1)
    for i, y in enumerate(range(140, 760, 28)):
        cv2.putText(frame, f"form line {i} 申請書", (90, y), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 40, 2)
    assert codes(run([frame])) == [PRESENTED]


def test_kiosk_decode_single_says_what_the_camera_says_of_a_defocused_near_card(tmp_path: Path) -> None:
    """`kiosk decode --single` (the technician's self-test of counter mode) reads a frame as the camera
    does: the defocused near card is said unreadable, and the sharp card behind is not printed."""
    near = tmp_path / "near.png"
    frame = render_counter_frame(PRESENTED, [BACKGROUND], seed=2, presented_scale=1.5, presented_defocus=9.0)
    cv2.imwrite(str(near), frame)
    _register()
    single = CliRunner().invoke(cli, ["decode", "--single", "--json", str(near)])
    assert single.exit_code == 0, single.output
    records = [json.loads(line) for line in single.stdout.splitlines()]
    assert records == [{"file": str(near), "rejected": "present_card_unreadable"}]
