"""Issue 14, item 1: a serial line set wrong, a vendor Code ID, a stray prefix/suffix and a power-up
glitch, each over the real driver: pyserial's `sim://` URL (the simulator's UART model applies the
driver's own line setting), a simulated scanner on a pty (it reads the termios the driver set), and a
socat pty pair fed from outside the project."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from drivers.code_id import parse_code_id
from drivers.errors import DeviceUnavailable, FrameError
from drivers.framing import Bursts
from drivers.line_check import LineCheck, hint
from drivers.payload import PayloadRules
from drivers.scan import Scan, Symbology
from drivers.serial_scanner import SerialScanner
from drivers.uart import LineSettings, transmit
from simulator.cabinet import make_management_id
from simulator.hub import SimHub
from tests.drivers.conftest import drain
from tests.drivers.test_socat_listen import SOCAT, socat

CODES = [make_management_id(i) for i in range(1, 6)]


def _run(hub: SimHub, name: str, dev: SerialScanner, codes: list[str]) -> list[Scan | FrameError]:
    dev.open()
    try:
        for c in codes:
            hub.scan(name, c)
            time.sleep(0.01)  # a person presents one card at a time
        return [x for x in drain(dev, quiet=0.8) if isinstance(x, Scan | FrameError)]
    finally:
        dev.close()


@pytest.mark.parametrize(
    ("scanner", "kiosk", "expected"),
    [
        (
            LineSettings(9600, 7, "E", 1),
            {},
            "the bytes look like 7E1, read as 9600 baud 8N1: set bytesize = 7, parity = even",
        ),
        (LineSettings(9600, 7, "O", 1), {}, "set bytesize = 7, parity = odd"),
        (LineSettings(115200), {"baudrate": 9600}, "look up the scanner's baud rate"),
        (LineSettings(9600), {"baudrate": 115200}, "set baudrate = 9600"),
        (LineSettings(38400), {"baudrate": 9600}, "set baudrate = 38400"),
    ],
    ids=["7E1-into-8N1", "7O1-into-8N1", "115200-into-9600", "9600-into-115200", "38400-into-9600"],
)
def test_a_wrong_line_setting_is_one_line_settings_report_naming_the_setting(
    hub: SimHub, scanner: LineSettings, kiosk: dict[str, int], expected: str
) -> None:
    hub.add_serial("s", framing="cr", aim="]C0", line=scanner)
    got = _run_spaced(hub, "s", SerialScanner(hub.url("s"), dedup_window=0, **kiosk), CODES)  # type: ignore[arg-type]
    assert_one_report(got, expected)


def assert_one_report(got: list[Scan | FrameError], expected: str) -> None:
    """Scans lost to the line: no code taken, one report (at most one plain rejection before it, with
    no advice: that much is power-up noise on a good line), then a count for each scan lost."""
    assert not [x for x in got if isinstance(x, Scan)]
    errors = [x for x in got if isinstance(x, FrameError)]
    reports = [
        i for i, x in enumerate(errors) if x.reason == "line_settings" and "scans lost" not in x.detail
    ]
    assert len(reports) == 1, [(x.reason, x.detail) for x in errors]
    (at,) = reports
    assert at <= 1
    assert all("set " not in x.detail for x in errors[:at])
    assert expected in errors[at].detail
    assert all(x.reason == "line_settings" and "scans lost" in x.detail for x in errors[at + 1 :])
    assert not any(c in x.detail for x in errors for c in CODES)


def _run_spaced(hub: SimHub, name: str, dev: SerialScanner, codes: list[str]) -> list[Scan | FrameError]:
    """A person scanning label after label, a moment apart, while the kiosk reads."""
    with Reader(dev) as reader:
        for c in codes:
            hub.scan(name, c)
            time.sleep(0.7)
        time.sleep(0.5)
    return reader.got


def test_the_right_setting_reads_the_same_scanner(hub: SimHub) -> None:
    hub.add_serial("s", framing="cr", aim="]C0", line=LineSettings(9600, 7, "E", 1))
    got = _run(hub, "s", SerialScanner(hub.url("s"), bytesize=7, parity="even", dedup_window=0), CODES)
    assert [x.code for x in got if isinstance(x, Scan)] == CODES


def test_a_pty_scanner_set_to_7e1_on_a_kiosk_set_to_8n1(hub: SimHub, tmp_path: Path) -> None:
    pty = hub.add_pty("p", link=tmp_path / "by-id-scanner", framing="cr", line=LineSettings(9600, 7, "E", 1))
    got = _run_spaced(hub, "p", SerialScanner(pty.path, dedup_window=0), CODES)
    assert_one_report(got, "set bytesize = 7, parity = even")


def test_a_bad_line_episode_ends_at_a_good_scan_and_a_new_one_is_reported_again() -> None:
    bursts = Bursts()  # the driver feeds its burst tracker with every chunk, the check with bad ones
    check = LineCheck(LineSettings(9600), bursts, source="t")
    noise = transmit(b"]C0" + CODES[0].encode() + b"\r", LineSettings(9600, 7, "E", 1), LineSettings(9600))
    bursts.feed(noise, 0.0)
    assert check.feed(noise, 0.0) is None  # the report waits for the refused frame
    first = check.review(FrameError("partial_timeout", "t"), 0.6)
    assert first is not None
    assert first.reason == "line_settings"  # exact parity evidence: reported at once
    assert check.review(FrameError("overlong", "t"), 0.62) is None  # the same burst: answered already
    bursts.feed(noise, 0.65)
    check.feed(noise, 0.65)  # the next scan
    later = check.review(FrameError("overlong", "t"), 0.7)
    assert later is not None
    assert (later.reason, "2 scans lost" in later.detail) == ("line_settings", True)
    assert check.review(FrameError("modem_probe", "t"), 0.8, b"AT") is not None  # clean bytes: its own
    check.good(1.0)
    bursts.feed(noise, 2.0)
    check.feed(noise, 2.0)
    again = check.review(FrameError("partial_timeout", "t"), 2.6)
    assert again is not None
    assert again.reason == "line_settings"


def test_hint_for_bytes_nobody_can_explain_says_how_to_find_the_setting() -> None:
    text = hint(b"", LineSettings(9600))
    assert "look up the scanner's baud rate, data bits and parity in its manual" in text
    assert "= " not in text


@pytest.mark.skipif(SOCAT is None, reason="socat is not installed")
def test_socat_scanner_at_9600_into_a_kiosk_at_115200(tmp_path: Path) -> None:
    a, b = tmp_path / "kiosk-end", tmp_path / "scanner-end"
    with socat(a, b):
        dev = SerialScanner(str(a), baudrate=115200, dedup_window=0)
        with Reader(dev) as reader, b.open("wb", buffering=0) as scanner:
            for c in CODES:
                scanner.write(transmit(b"]C0" + c.encode() + b"\r", LineSettings(9600), LineSettings(115200)))
                time.sleep(0.7)
            time.sleep(0.5)
    assert_one_report(reader.got, "set baudrate = 9600")


# -- vendor Code ID -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor", "prefix", "symbology"),
    [
        ("honeywell", "w", Symbology.DATAMATRIX),
        ("honeywell", "j", Symbology.CODE128),
        ("zebra", "D", Symbology.CODE128),
        ("denso", "K", Symbology.CODE128),
    ],
)
def test_code_id_configured_is_stripped_and_names_the_symbology(
    hub: SimHub, vendor: str, prefix: str, symbology: Symbology
) -> None:
    hub.add_serial("s", framing="cr", aim=prefix)
    rules = PayloadRules(code_id=vendor)
    got = _run(hub, "s", SerialScanner(hub.url("s"), rules=rules, dedup_window=0), CODES[:2])
    assert [(x.code, x.symbology) for x in got if isinstance(x, Scan)] == [(c, symbology) for c in CODES[:2]]


def test_zebras_2d_code_id_is_stripped_before_the_guard_and_the_label_reads(hub: SimHub) -> None:
    # "P01" + a 10-digit ID holds 12 digits in a row: the configured Code ID is taken off first.
    hub.add_serial("s", framing="cr", aim="P01")
    got = _run(
        hub, "s", SerialScanner(hub.url("s"), rules=PayloadRules(code_id="zebra"), dedup_window=0), CODES[:1]
    )
    assert [(x.code, x.symbology) for x in got if isinstance(x, Scan)] == [(CODES[0], Symbology.QR)]


def test_a_honeywell_code_id_not_configured_is_refused_and_named(hub: SimHub) -> None:
    hub.add_serial("s", framing="cr", aim="w")
    got = _run(hub, "s", SerialScanner(hub.url("s"), dedup_window=0), CODES[:2])
    assert [getattr(x, "reason", None) for x in got] == ["code_id", "code_id"]
    detail = got[0].detail  # type: ignore[union-attr]
    assert "'w'" in detail
    assert "Honeywell (Data Matrix)" in detail
    assert 'code_id = "honeywell"' in detail
    assert CODES[0] not in detail


def test_code_id_configured_but_missing_is_refused() -> None:
    assert parse_code_id(CODES[0], "honeywell") == (None, CODES[0])
    from drivers.payload import decode_payload
    from drivers.scan import utc_now

    with pytest.raises(FrameError) as err:
        decode_payload(CODES[0], PayloadRules(code_id="honeywell"), source="t", at=utc_now())
    assert err.value.reason == "code_id_missing"


# -- stray prefix / suffix ----------------------------------------------------------------------


def test_a_prefix_every_scan_carries_is_named(hub: SimHub, tmp_path: Path) -> None:
    pty = hub.add_pty("p", link=tmp_path / "scanner", framing="cr", prefix="#")
    got = _run(hub, "p", SerialScanner(pty.path, dedup_window=0), CODES[:3])
    assert [getattr(x, "reason", None) for x in got] == ["stray_prefix"] * 3
    detail = got[0].detail  # type: ignore[union-attr]
    assert "starts with '#'" in detail
    assert 'set prefix = "#"' in detail


def test_a_suffix_every_scan_carries_is_named(hub: SimHub) -> None:
    hub.add_serial("s", framing="crlf", suffix="/E")
    got = _run(hub, "s", SerialScanner(hub.url("s"), dedup_window=0), CODES[:2])
    assert [getattr(x, "reason", None) for x in got] == ["stray_suffix"] * 2
    assert 'set suffix = "/E"' in got[0].detail  # type: ignore[union-attr]


def test_the_named_prefix_once_configured_reads_every_scan(hub: SimHub) -> None:
    hub.add_serial("s", framing="cr", prefix="#")
    dev = SerialScanner(hub.url("s"), rules=PayloadRules(prefix="#"), dedup_window=0)
    got = _run(hub, "s", dev, CODES[:3])
    assert [x.code for x in got if isinstance(x, Scan)] == CODES[:3]


# -- power-up glitch ----------------------------------------------------------------------------


class Reader:
    """Reads in a thread, as the kiosk's device worker does, so bytes arrive when they are sent."""

    def __init__(self, dev: SerialScanner) -> None:
        self.dev = dev
        self.got: list[Scan | FrameError] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                item = self.dev.read(0.05)
            except FrameError as exc:
                self.got.append(exc)
                continue
            except DeviceUnavailable:
                continue
            if item is not None:
                self.got.append(item)

    def wait_for(self, count: int, deadline: float = 5.0) -> None:
        """Wait until `count` items have arrived (fail at the deadline)."""
        end = time.monotonic() + deadline
        while len(self.got) < count:
            if time.monotonic() > end:
                pytest.fail(f"{len(self.got)} item(s) arrived, waited for {count}")
            time.sleep(0.01)

    def wait_for_scan(self, deadline: float = 5.0) -> None:
        """Wait until a scan has arrived (fail at the deadline)."""
        end = time.monotonic() + deadline
        while not any(isinstance(x, Scan) for x in self.got):
            if time.monotonic() > end:
                pytest.fail("no scan arrived")
            time.sleep(0.01)

    def __enter__(self) -> Reader:
        self.dev.open()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.dev.close()


@pytest.mark.parametrize("glitch", [b"\xff", b"\x00\xfe", b"x"], ids=["ff", "nul-fe", "text-byte"])
def test_a_power_up_glitch_never_joins_the_first_scan(hub: SimHub, tmp_path: Path, glitch: bytes) -> None:
    pty = hub.add_pty("p", link=tmp_path / "scanner", framing="cr")
    with Reader(SerialScanner(pty.path, dedup_window=0)) as reader:
        pty.power_up(glitch)
        time.sleep(0.15)  # the clerk presents the first card a moment later
        hub.scan("p", CODES[0])
        time.sleep(0.8)
    # The first scan arrives whole; the glitch is not a rejection on the clerk's screen.
    assert [(type(x).__name__, getattr(x, "code", None)) for x in reader.got] == [("Scan", CODES[0])]


def test_a_power_up_glitch_that_times_out_alone_is_not_a_rejection(hub: SimHub) -> None:
    hub.add_serial("s", framing="cr")
    with Reader(SerialScanner(hub.url("s"), gap=0.2, dedup_window=0)) as reader:
        hub.device("s").power_up(b"\xfe")  # type: ignore[attr-defined]
        time.sleep(0.6)
        assert reader.got == []
        hub.scan("s", CODES[1])
        time.sleep(0.4)
    assert [getattr(x, "code", None) for x in reader.got] == [CODES[1]]
