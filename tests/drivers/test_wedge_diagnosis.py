"""Issue 14, item 3: wedge set-up mistakes over key sequences: a scanner slower than the inter-key
gap, NumLock off (keypad escape sequences), an IME that swallows the Enter (the hint names the IME)."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.errors import FrameError
from drivers.ime import detect_ime, session_ime
from drivers.scan import Scan
from drivers.wedge import TypedText, WedgeDecoder, WedgeTiming
from simulator.cabinet import make_management_id
from simulator.keys import KEYPAD_NUMLOCK_OFF_KEYS, burst, human, ime_commit, kana_input, keypad_numlock_off

CODES = [make_management_id(i) for i in range(1, 11)]


def feed_all(decoder: WedgeDecoder, keys: list[tuple[str, float]], settle: float = 1.0) -> list[object]:
    out: list[object] = []
    for ch, t in keys:
        out += decoder.feed(ch, t)
    out += decoder.poll(keys[-1][1] + settle)
    return out


def reasons(results: list[object]) -> list[str]:
    return [r.reason if isinstance(r, FrameError) else type(r).__name__ for r in results]


def test_a_scanner_typing_45_ms_a_key_is_reported_not_lost_silently() -> None:
    decoder = WedgeDecoder(timing=WedgeTiming.for_max_key_gap(30))
    results: list[object] = []
    for i, code in enumerate(CODES):
        results += feed_all(decoder, burst(code, 10.0 * i, interval=0.045))
    # 10 of 10 scans used to vanish as "a person typed"; now each one says why.
    assert reasons(results) == ["keys_too_slow"] * 10
    detail = results[0].detail  # type: ignore[attr-defined]
    assert "a key every 45 ms" in detail
    assert "set [scan] wedge_max_key_gap_ms = 50" in detail  # the setting means the scanner's own gap
    assert not any(c in detail for c in CODES)


def test_the_suggested_gap_reads_the_same_scanner() -> None:
    decoder = WedgeDecoder(timing=WedgeTiming.for_max_key_gap(50))
    results = feed_all(decoder, burst(CODES[0], 1.0, interval=0.045))
    assert [r.code for r in results if isinstance(r, Scan)] == [CODES[0]]


def test_a_person_typing_an_id_is_still_typed_text_not_a_slow_scanner() -> None:
    decoder = WedgeDecoder(timing=WedgeTiming.for_max_key_gap(60))
    results = feed_all(decoder, human(CODES[0], 1.0, interval=0.08, jitter=0.05))
    assert reasons(results) == ["TypedText"]
    assert isinstance(results[0], TypedText)


def test_numlock_off_keypad_input_is_never_scan_text() -> None:
    decoder = WedgeDecoder()
    results: list[object] = []
    for i, code in enumerate(CODES[:3]):
        results += feed_all(decoder, keypad_numlock_off(code, 5.0 * i))
    assert reasons(results) == ["keypad_keys"] * 3
    assert "NumLock" in results[0].detail  # type: ignore[attr-defined]
    assert not any(isinstance(r, Scan) for r in results)


def test_numlock_off_keypad_as_textual_key_events() -> None:
    decoder = WedgeDecoder()
    out: list[object] = []
    t = 1.0
    for ch in CODES[0]:
        out += decoder.feed_key(KEYPAD_NUMLOCK_OFF_KEYS[ch], None, t)
        t += 0.004
    out += decoder.feed_key("enter", "\r", t)
    assert reasons(out) == ["keypad_keys"]


def test_a_person_using_the_arrow_keys_is_not_reported() -> None:
    decoder = WedgeDecoder()
    out = decoder.feed_key("down", None, 1.0) + decoder.feed_key("down", None, 1.4)
    out += decoder.feed_key("enter", "\r", 1.9)
    out += decoder.poll(3.0)
    assert out == []


def test_an_ime_that_swallows_the_enter_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XMODIFIERS", "@im=fcitx5")
    session_ime.cache_clear()
    try:
        decoder = WedgeDecoder()
        results = feed_all(decoder, ime_commit(CODES[0], 1.0))
    finally:
        session_ime.cache_clear()
    assert reasons(results) == ["ime_on"]
    detail = results[0].detail  # type: ignore[attr-defined]
    assert "fcitx5" in detail
    assert "took the Enter" in detail
    assert "suffix" not in detail  # not the misleading "set the scanner's suffix to Enter"


def test_kana_input_with_enter_names_the_ime_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XMODIFIERS", "@im=ibus")
    session_ime.cache_clear()
    try:
        results = feed_all(WedgeDecoder(), burst(kana_input(CODES[1]), 1.0))
    finally:
        session_ime.cache_clear()
    assert reasons(results) == ["ime_on"]
    assert "IBus" in results[0].detail  # type: ignore[attr-defined]


def test_detect_ime_from_environment_and_processes(tmp_path: Path) -> None:
    assert detect_ime({"XMODIFIERS": "@im=fcitx"}, tmp_path) == "fcitx"
    assert detect_ime({"GTK_IM_MODULE": "ibus"}, tmp_path) == "IBus"
    proc = tmp_path / "proc"
    for pid, comm in (("10", "ibus-daemon"), ("11", "mozc_server"), ("12", "bash")):
        (proc / pid).mkdir(parents=True)
        (proc / pid / "comm").write_text(comm + "\n")
    assert detect_ime({}, proc) == "IBus with Mozc"
    assert detect_ime({}, tmp_path / "empty") is None


def test_an_arrow_key_held_down_then_enter_is_a_person_not_the_keypad() -> None:
    decoder = WedgeDecoder()
    out: list[object] = []
    t = 1.0
    for _ in range(15):  # autorepeat, ~30 ms apart
        out += decoder.feed_key("down", None, t)
        t += 0.03
    out += decoder.feed_key("enter", "\r", t)
    for _ in range(15):
        out += decoder.feed(KEYPAD_RAW_DOWN[0], t + 1.0)
        out += [*decoder.feed(KEYPAD_RAW_DOWN[1], t + 1.0), *decoder.feed(KEYPAD_RAW_DOWN[2], t + 1.0)]
        t += 0.03
    out += decoder.poll(t + 3.0)
    assert out == []


KEYPAD_RAW_DOWN = "\x1b[B"


def test_the_kiosk_builds_the_same_timing_the_hint_speaks_of() -> None:
    from kiosk.app_factory import wedge_timing
    from kiosk.config import ScanSettings, Settings

    for gap in (30, 60, 80, 200):
        settings = Settings(scan=ScanSettings(wedge_max_key_gap_ms=gap))
        assert wedge_timing(settings) == WedgeTiming.for_max_key_gap(gap, settings.scan.wedge_min_length)
