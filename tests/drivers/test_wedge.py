"""The wedge decoder (terminal front end) and the evdev event decoder, fed simulated keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import FrameError
from drivers.evdev_scanner import EV_KEY, EV_SYN, SYN_DROPPED, SYN_REPORT, EvdevWedgeDecoder
from drivers.keymaps import KEY_GRAVE, Layout
from drivers.payload import PayloadRules
from drivers.scan import Scan, Symbology
from drivers.wedge import MonotonicAnchor, TypedText, WedgeDecoder, WedgeResult
from simulator.keys import burst, evdev_events, fullwidth, human, kana_input, swap_layout

CODE = "8000000015"
ANCHOR = MonotonicAnchor(mono=0.0, utc=datetime(2026, 4, 1, tzinfo=UTC))


def decoder(**kw: object) -> WedgeDecoder:
    return WedgeDecoder("wedge", clock=ANCHOR, **kw)  # type: ignore[arg-type]


def feed_all(dec: WedgeDecoder, keys: list[tuple[str, float]]) -> list[WedgeResult]:
    out: list[WedgeResult] = []
    for ch, t in keys:
        out += dec.feed(ch, t)
    return out


def scans(results: list[WedgeResult]) -> list[str]:
    return [r.code for r in results if isinstance(r, Scan)]


def reasons(results: list[object]) -> list[str]:
    return [r.reason for r in results if isinstance(r, FrameError)]


def test_scanner_burst_is_a_scan_with_time_from_the_terminator() -> None:
    out = feed_all(decoder(), burst(CODE, 10.0))
    assert len(out) == 1
    scan = out[0]
    assert isinstance(scan, Scan)
    assert (scan.code, scan.symbology, scan.source) == (CODE, Symbology.KEYBOARD, "wedge")
    assert scan.at == ANCHOR(10.0 + len(CODE) * 0.004)


def test_coarse_terminal_timestamps_still_make_a_burst() -> None:
    # Every key of the burst delivered in one read: identical timestamps.
    assert scans(feed_all(decoder(), [(ch, 5.0) for ch in CODE + "\r"])) == [CODE]


def test_human_typing_is_typed_text_not_a_scan() -> None:
    out = feed_all(decoder(), human("1234", 0.0))
    assert scans(out) == []
    assert [r.text for r in out if isinstance(r, TypedText)] == ["1234"]


def test_human_typing_then_a_scan_are_told_apart() -> None:
    keys = human("ab", 0.0, terminator="") + burst(CODE, 2.0)
    out = feed_all(decoder(), keys)
    assert [r.text for r in out if isinstance(r, TypedText)] == ["ab"]
    assert scans(out) == [CODE]


def test_burst_interleaved_between_human_keys() -> None:
    keys = [("x", 0.0), *burst(CODE, 0.5), ("y", 1.2), ("\r", 1.5)]
    out = feed_all(decoder(), keys)
    assert scans(out) == [CODE]
    assert [r.text for r in out if isinstance(r, TypedText)] == ["x", "y"]


def test_burst_without_terminator_is_refused_at_poll() -> None:
    dec = decoder()
    assert feed_all(dec, burst(CODE, 0.0, terminator="")) == []
    assert dec.poll(0.05) == []
    assert reasons(dec.poll(1.0)) == ["no_terminator"]
    assert not dec.pending


def test_paste_of_a_whole_burst() -> None:
    dec = decoder()
    assert scans(dec.feed_paste(CODE + "\r", 1.0)) == [CODE]
    assert scans(dec.feed_paste(CODE, 2.0)) == [CODE]  # a paste is complete without Enter
    assert dec.feed("\r", 2.01) == []  # the Enter that follows is not a second scan
    out = dec.feed_paste(f"{CODE}\r\n8000000028\r", 3.0)
    assert scans(out) == [CODE, "8000000028"]


def test_textual_key_names() -> None:
    dec = decoder()
    out: list[WedgeResult] = []
    for i, ch in enumerate(CODE):
        out += dec.feed_key(ch, ch, i * 0.001)
    out += dec.feed_key("enter", "\r", 0.02)
    assert scans(out) == [CODE]


def test_fullwidth_ime_digits_are_normalised() -> None:
    assert scans(feed_all(decoder(), burst(fullwidth(CODE), 0.0))) == [CODE]


@pytest.mark.parametrize("typed", [fullwidth("8000-0015"), kana_input(CODE)])
def test_ime_text_is_refused_with_a_reason_naming_the_ime(typed: str) -> None:
    out = feed_all(decoder(), burst(typed, 0.0))
    assert reasons(out) == ["ime_on"]
    err = out[0]
    assert isinstance(err, FrameError)
    assert "IME" in err.detail
    assert typed not in str(err)


@pytest.mark.parametrize(
    ("mismatch", "reason"),
    [("us_on_jis", "layout_us_scanner_jis_host"), ("jis_on_us", "layout_jis_scanner_us_host")],
)
def test_layout_swaps_of_the_aim_id_are_explained(mismatch: str, reason: str) -> None:
    typed = swap_layout("]C0" + CODE, mismatch)
    assert typed != "]C0" + CODE
    out = feed_all(decoder(), burst(typed, 0.0))
    assert reasons(out) == [reason]
    err = out[0]
    assert isinstance(err, FrameError)
    assert "keyboard country" in err.detail


def test_layout_swap_of_a_configured_prefix_is_explained() -> None:
    rules = PayloadRules(prefix="@", default_symbology=Symbology.KEYBOARD)
    typed = swap_layout("@" + CODE, "us_on_jis")  # US "@" (Shift+2) arrives as '"' on JIS
    out = feed_all(decoder(rules=rules), burst(typed, 0.0))
    assert reasons(out) == ["layout_us_scanner_jis_host"]


def test_layout_swap_of_a_configured_suffix_is_explained() -> None:
    rules = PayloadRules(suffix="]", default_symbology=Symbology.KEYBOARD)
    typed = swap_layout(CODE + "]", "jis_on_us")  # JIS "]" arrives as "\\" on a US host
    out = feed_all(decoder(rules=rules), burst(typed, 0.0))
    assert reasons(out) == ["layout_jis_scanner_us_host"]
    assert scans(feed_all(decoder(rules=rules), burst(CODE + "]", 1.0))) == [CODE]


@pytest.mark.parametrize(
    ("typed", "rules"),
    [
        (swap_layout("]C0" + CODE, "us_on_jis"), PayloadRules()),
        (swap_layout("]C0" + CODE, "jis_on_us"), PayloadRules()),
        (swap_layout("@" + CODE, "us_on_jis"), PayloadRules(prefix="@")),
        (swap_layout(CODE + "]", "jis_on_us"), PayloadRules(suffix="]")),
    ],
)
def test_a_serial_line_is_never_told_of_a_keyboard_layout(typed: str, rules: PayloadRules) -> None:
    """The same characters from a serial scanner (bytes: no host keyboard layout in between) are never
    explained as a US/JIS swap; "set the scanner's keyboard country" would send a technician astray."""
    from drivers.payload import decode_payload

    try:
        got = decode_payload(typed, rules, source="serial", at=datetime.now(UTC)).code
    except FrameError as exc:
        got = exc.reason
    assert not got.startswith("layout_"), got


def test_digits_survive_a_layout_swap() -> None:
    assert scans(feed_all(decoder(), burst(swap_layout(CODE, "us_on_jis"), 0.0))) == [CODE]


def test_aim_id_over_the_wedge() -> None:
    out = feed_all(decoder(), burst("]C0" + CODE, 0.0))
    assert [(s.code, s.symbology) for s in out if isinstance(s, Scan)] == [(CODE, Symbology.CODE128)]


def test_twelve_digits_typed_or_scanned_are_refused_without_the_value() -> None:
    value = "".join(str(9 - i % 10) for i in range(12))
    for keys in (burst(value, 0.0), human(value, 10.0)):
        out = feed_all(decoder(), keys)
        assert reasons(out) == ["mynumber_refused"]
        assert all(value not in str(r) for r in out)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=1), st.floats(0, 0.5)), max_size=60))
def test_random_keys_never_crash_the_wedge_decoder(keys: list[tuple[str, float]]) -> None:
    dec = decoder()
    t = 0.0
    for ch, dt in keys:
        t += dt
        for r in dec.feed(ch, t):
            assert isinstance(r, Scan | FrameError | TypedText)
            if isinstance(r, Scan):
                assert r.code.isascii()
                assert r.code
    dec.poll(t + 10)
    # What is left after the pause was typed by a person: Enter makes it text, never a scan.
    assert not any(isinstance(r, Scan) for r in dec.feed("\r", t + 20))
    assert not dec.pending


# -- evdev ------------------------------------------------------------------------------------------
def evdev_decoder(layout: str = "us") -> EvdevWedgeDecoder:
    return EvdevWedgeDecoder("evdev", layout=layout, clock=ANCHOR)


@pytest.mark.parametrize("layout", ["us", "jis"])
def test_evdev_events_with_the_right_keymap(layout: str) -> None:
    text = "]C0" + CODE
    out = evdev_decoder(layout).feed_events(evdev_events(text, 1.0, layout=layout))
    assert [(s.code, s.symbology) for s in out if isinstance(s, Scan)] == [(CODE, Symbology.CODE128)]


def test_evdev_keymap_mismatch_is_explained() -> None:
    # A US scanner, but the kiosk configured JIS: the same key positions read as a JIS keyboard.
    out = evdev_decoder("jis").feed_events(evdev_events("]C0" + CODE, 1.0, layout="us"))
    assert reasons(out) == ["layout_us_scanner_jis_host"]


def test_syn_dropped_invalidates_the_scan_being_typed() -> None:
    events = evdev_events(CODE, 1.0)
    half = len(events) // 2
    dropped = [(EV_SYN, SYN_DROPPED, 0, 1.02), (EV_SYN, SYN_REPORT, 0, 1.03)]
    dec = evdev_decoder()
    out = dec.feed_events(events[:half] + dropped + events[half:])
    assert reasons(out) == ["syn_dropped"]
    assert scans(out) == []  # type: ignore[arg-type]
    # The next scan is fine.
    assert scans(dec.feed_events(evdev_events("8000000028", 2.0))) == ["8000000028"]  # type: ignore[arg-type]


def test_syn_dropped_between_scans_costs_nothing() -> None:
    dec = evdev_decoder()
    assert scans(dec.feed_events(evdev_events(CODE, 1.0))) == [CODE]  # type: ignore[arg-type]
    out = dec.feed_events([(EV_SYN, SYN_DROPPED, 0, 1.5), (EV_SYN, SYN_REPORT, 0, 1.5)])
    assert reasons(out) == ["syn_dropped"]
    assert scans(dec.feed_events(evdev_events("8000000028", 2.0))) == ["8000000028"]  # type: ignore[arg-type]


def test_syn_dropped_never_yields_a_truncated_code() -> None:
    # The drop swallowed the first keys; the rest of the code follows at scanner speed.
    events = evdev_events(CODE, 1.0)
    dec = evdev_decoder()
    out = dec.feed_events([(EV_SYN, SYN_DROPPED, 0, 1.0), (EV_SYN, SYN_REPORT, 0, 1.0), *events[16:]])
    assert scans(out) == []  # type: ignore[arg-type]


def test_key_swallowed_after_syn_dropped_invalidates_the_next_code() -> None:
    # No SYN_REPORT after the drop: the next key-down is discarded (kernel rule), so that code is
    # refused whole rather than delivered without its first digit.
    dec = evdev_decoder()
    out = dec.feed_events([(EV_SYN, SYN_DROPPED, 0, 1.0)])
    out += dec.feed_events(evdev_events("8000000028", 2.0))
    assert reasons(out) == ["syn_dropped"]  # one report: scan again
    assert scans(out) == []  # type: ignore[arg-type]
    assert scans(dec.feed_events(evdev_events(CODE, 3.0))) == [CODE]  # type: ignore[arg-type]


def test_unknown_key_invalidates_the_scan() -> None:
    events = evdev_events("8000", 1.0, terminator="")
    events += [(EV_KEY, KEY_GRAVE, 1, 1.1), (EV_KEY, KEY_GRAVE, 0, 1.1)]  # 半角/全角 on JIS
    events += evdev_events("0015", 1.2)
    out = evdev_decoder("jis").feed_events(events)
    assert reasons(out) == ["unknown_key"]
    assert scans(out) == []  # type: ignore[arg-type]


def test_evdev_unfinished_code_times_out() -> None:
    dec = evdev_decoder()
    assert dec.feed_events(evdev_events("8000", 1.0, terminator="")) == []
    assert reasons(dec.poll(5.0)) == ["partial_timeout"]


def test_evdev_autorepeat_and_capslock() -> None:
    events = evdev_events("ab", 0.0, terminator="")
    events.insert(2, (EV_KEY, 30, 2, 0.0005))  # autorepeat of "a" types nothing
    events += [(EV_KEY, 58, 1, 0.01), (EV_KEY, 58, 0, 0.01)]  # Caps Lock on
    events += evdev_events("cd", 0.02)
    assert scans(evdev_decoder().feed_events(events)) == ["abCD"]  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([EV_SYN, EV_KEY, 4]), st.integers(0, 130), st.integers(0, 2)), max_size=80
    )
)
def test_random_events_never_crash_the_evdev_decoder(events: list[tuple[int, int, int]]) -> None:
    dec = evdev_decoder(Layout.JIS)
    for i, (type_, code, value) in enumerate(events):
        for r in dec.feed(type_, code, value, i * 0.001):
            assert isinstance(r, Scan | FrameError)
