"""Issue 25, item 6: a wedge never reads an IME's composition as a scan and names the IME; the key-gap
setting means what its name says; an HF pad's decimal UIDs are UIDs, told apart from management IDs by
the configured source. Timed key sequences from the simulator (`simulator.keys`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers import ime
from drivers.errors import FrameError
from drivers.rfid import UidFormat
from drivers.scan import Scan, Symbology
from drivers.wedge import WedgeDecoder, WedgeResult, WedgeTiming
from simulator.cabinet import make_management_id
from simulator.keys import burst, ime_chunked_commit
from simulator.rfid import HfPad

CODE = make_management_id(77)


@pytest.fixture
def fcitx(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XMODIFIERS", "@im=fcitx5")
    ime.session_ime.cache_clear()
    yield
    ime.session_ime.cache_clear()


@pytest.fixture
def no_ime(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("XMODIFIERS", "GTK_IM_MODULE", "QT_IM_MODULE", "SDL_IM_MODULE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(ime, "_process_names", lambda proc: [])
    ime.session_ime.cache_clear()
    yield
    ime.session_ime.cache_clear()


def play(decoder: WedgeDecoder, keys: list[tuple[str, float]]) -> list[WedgeResult]:
    out: list[WedgeResult] = []
    for ch, t in keys:
        out += decoder.feed(ch, t)
    return out + decoder.poll(keys[-1][1] + 1.0)


@pytest.mark.parametrize("pieces", [2, 3])
@pytest.mark.parametrize("halfwidth", [True, False])
def test_a_chunked_ime_commit_is_never_a_scan_and_names_the_ime(
    fcitx: None, pieces: int, halfwidth: bool
) -> None:
    got = play(WedgeDecoder("w"), ime_chunked_commit(CODE, 10.0, pieces, halfwidth=halfwidth, enter=True))
    assert not [x for x in got if isinstance(x, Scan)]
    assert [x.reason for x in got if isinstance(x, FrameError)] == ["ime_on"]
    assert "fcitx5" in got[0].detail  # type: ignore[union-attr]


def test_a_first_piece_with_the_enter_passed_on_is_never_a_partial_scan(fcitx: None) -> None:
    # The IME passes the Enter on after its first piece ("900255"), then commits the rest.
    keys = ime_chunked_commit(CODE, 10.0, 2, halfwidth=True, enter_after_first=True)
    got = play(WedgeDecoder("w"), keys)
    assert not [x for x in got if isinstance(x, Scan)]
    assert [x.reason for x in got if isinstance(x, FrameError)] == ["ime_on"]
    assert "pieces" in got[0].detail  # type: ignore[union-attr]


def test_a_whole_commit_with_its_enter_is_read_once_nothing_follows(fcitx: None) -> None:
    got = play(WedgeDecoder("w"), ime_chunked_commit(CODE, 10.0, 1, halfwidth=True, enter=True))
    assert [x.code for x in got if isinstance(x, Scan)] == [CODE]


def test_a_half_width_commit_that_took_the_enter_is_the_ime_not_a_missing_suffix(fcitx: None) -> None:
    got = play(WedgeDecoder("w"), ime_chunked_commit(CODE, 10.0, 1, halfwidth=True, enter=False))
    assert [(x.reason, "fcitx5" in x.detail) for x in got if isinstance(x, FrameError)] == [("ime_on", True)]


def test_without_an_ime_the_same_unterminated_burst_is_a_missing_suffix(no_ime: None) -> None:
    got = play(WedgeDecoder("w"), burst(CODE, 10.0, terminator=""))
    assert [x.reason for x in got if isinstance(x, FrameError)] == ["no_terminator"]


def test_a_scanner_burst_reads_with_an_ime_in_direct_input(fcitx: None) -> None:
    got = play(WedgeDecoder("w"), burst(CODE, 10.0))
    assert [x.code for x in got if isinstance(x, Scan)] == [CODE]


@pytest.mark.parametrize("gap_ms", [20, 30, 45])
def test_max_key_gap_ms_means_the_scanners_own_key_gap(no_ime: None, gap_ms: int) -> None:
    # A scanner typing a key every `gap_ms` is read with max_key_gap_ms = gap_ms, not 1.7x that.
    timing = WedgeTiming.for_max_key_gap(gap_ms, gap_setting="max_key_gap_ms")
    got = play(WedgeDecoder("w", timing=timing), burst(CODE, 10.0, interval=gap_ms / 1000))
    assert [x.code for x in got if isinstance(x, Scan)] == [CODE]


def test_a_slower_scanner_is_told_the_setting_that_reads_it(no_ime: None) -> None:
    timing = WedgeTiming.for_max_key_gap(30, gap_setting="max_key_gap_ms")
    got = play(WedgeDecoder("w", timing=timing), burst(CODE, 10.0, interval=0.045))
    (err,) = got
    assert isinstance(err, FrameError)
    assert err.reason == "keys_too_slow"
    assert "set max_key_gap_ms = 50" in err.detail
    again = play(WedgeDecoder("w", timing=WedgeTiming.for_max_key_gap(50)), burst(CODE, 20.0, interval=0.045))
    assert [x.code for x in again if isinstance(x, Scan)] == [CODE]


@pytest.mark.parametrize("fmt", [UidFormat.DECIMAL, UidFormat.DECIMAL_REVERSED, UidFormat.HEX])
def test_an_hf_pad_types_uids_that_are_never_management_ids(no_ime: None, fmt: UidFormat) -> None:
    pad = HfPad(fmt)
    typed = pad.typed("04A1B2C3")
    got = play(WedgeDecoder("pad", uid_format=fmt), pad.keys("04A1B2C3", 10.0))
    assert [(x.code, x.symbology) for x in got if isinstance(x, Scan)] == [("04A1B2C3", Symbology.RFID_UID)]
    # The same keys from a barcode scanner's source are a keyboard code, not a UID.
    plain = play(WedgeDecoder("scanner"), burst(typed, 20.0))
    assert [x.symbology for x in plain if isinstance(x, Scan)] == [Symbology.KEYBOARD]


def test_a_pad_typing_a_management_id_shaped_decimal_uid_gives_a_uid(no_ime: None) -> None:
    # Ten decimal digits: the pad's UID, whatever its digits look like.
    got = play(WedgeDecoder("pad", uid_format="decimal"), burst(CODE, 10.0))
    (scan,) = [x for x in got if isinstance(x, Scan)]
    assert scan.symbology is Symbology.RFID_UID
    assert scan.code != CODE
