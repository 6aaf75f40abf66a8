"""Issue 25, item 2: the line-settings diagnosis never names a wrong value. Across 1,200-115,200 baud and
8N1, 7E1, 7O1, 8E1, 8O1 it names a setting only when the bytes single it out, and otherwise says the
setting is wrong and how to find it; power-up noise before a clean first frame gives no advice; a
mismatch is reported once and then counted; no fragment is a scan; a pinned terminator is named."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from drivers.errors import FrameError
from drivers.line_check import FORMATS, diagnose
from drivers.scan import Scan
from drivers.serial_scanner import SerialScanner
from drivers.uart import STANDARD_BAUDRATES, LineSettings, transmit
from simulator.cabinet import make_management_id
from simulator.hub import SimHub
from tests.drivers.test_line_diagnosis import Reader, assert_one_report

CODES = [make_management_id(60 + i) for i in range(5)]
KIOSK_SETTINGS = [
    LineSettings(9600),
    LineSettings(115200),
    LineSettings(19200),
    LineSettings(9600, 7, "E", 1),
]


def _wire(sender: LineSettings, receiver: LineSettings, scans: int, rnd: random.Random) -> bytes:
    aim = rnd.choice([b"", b"]C0", b"]Q1"])
    return b"".join(
        transmit(
            aim + make_management_id(rnd.randrange(900)).encode() + rnd.choice([b"\r", b"\r\n"]),
            sender,
            receiver,
        )
        for _ in range(scans)
    )


@pytest.mark.parametrize("receiver", KIOSK_SETTINGS, ids=lambda r: f"{r.baudrate}-{r.short}")
def test_the_diagnosis_never_names_a_wrong_setting(receiver: LineSettings) -> None:
    rnd = random.Random(receiver.baudrate)
    outcomes = {"whole": 0, "baud": 0, "how-to": 0}
    for rate in STANDARD_BAUDRATES:
        for fmt in FORMATS:
            sender = LineSettings(rate, *fmt)
            if sender.baudrate == receiver.baudrate and sender.short == receiver.short:
                continue
            for scans in (1, 2, 4):
                d = diagnose(_wire(sender, receiver, scans, rnd), receiver)
                label = f"{sender.baudrate} {sender.short} read as {receiver.baudrate} {receiver.short}"
                if d.settings is not None:
                    assert (d.settings.baudrate, d.settings.short) == (rate, sender.short), label
                    outcomes["whole"] += 1
                elif d.baudrate is not None:
                    assert d.baudrate == rate, label
                    assert f"set baudrate = {rate}" in d.text
                    outcomes["baud"] += 1
                else:
                    assert "look up the scanner's baud rate, data bits and parity in its manual" in d.text
                    assert "= " not in d.text  # no value at all
                    outcomes["how-to"] += 1
    # The common mistakes are still named: a 2x baud error, 7E1/7O1 into 8N1.
    assert outcomes["whole"] + outcomes["baud"] > outcomes["how-to"]


def test_7e1_into_8n1_and_a_2x_baud_error_are_named() -> None:
    rnd = random.Random(3)
    d = diagnose(_wire(LineSettings(9600, 7, "E", 1), LineSettings(9600), 1, rnd), LineSettings(9600))
    assert d.settings == LineSettings(9600, 7, "E", 1)
    d = diagnose(_wire(LineSettings(19200), LineSettings(9600), 2, rnd), LineSettings(9600))
    assert d.baudrate == 19200
    assert d.settings is None  # the baud rate, not a whole setting: no configuration written from it


def test_noise_alone_names_no_setting() -> None:
    noise = random.Random(8).randbytes(96)
    d = diagnose(noise, LineSettings(9600))
    assert d.settings is None


def test_power_up_noise_before_a_clean_first_frame_gives_no_advice(hub: SimHub) -> None:
    line = hub.add_serial("s", framing="cr", aim="]C0")
    with Reader(SerialScanner(hub.url("s"), dedup_window=0)) as reader:
        line.send_raw(random.Random(4).randbytes(64))  # binary noise as the scanner powers up
        time.sleep(0.7)
        hub.scan("s", CODES[0])
        reader.wait_for_scan()
    assert [x.code for x in reader.got if isinstance(x, Scan)] == [CODES[0]]
    errors = [x for x in reader.got if isinstance(x, FrameError)]
    assert all(x.reason != "line_settings" for x in errors)
    assert all("set " not in x.detail and "look up" not in x.detail for x in errors)


@pytest.mark.parametrize("pacing", ["burst", "byte"])
def test_a_19200_scanner_into_9600_never_yields_a_fragment_and_is_counted(hub: SimHub, pacing: str) -> None:
    line = hub.add_serial("s", framing="cr", aim="]C0", line=LineSettings(19200))
    with Reader(SerialScanner(hub.url("s"), dedup_window=0)) as reader:
        for code in CODES:
            if pacing == "byte":
                line.paced(code, 9600)
            else:
                hub.scan("s", code)
            time.sleep(0.7)
        time.sleep(0.5)
    assert_one_report(reader.got, "")
    (report,) = [x for x in reader.got if isinstance(x, FrameError) and x.reason == "line_settings"][:1]
    # Named when the bytes single it out, otherwise how to find it: never another value.
    assert "set baudrate = 19200" in report.detail or "look up the scanner's baud rate" in report.detail
    counts = [x for x in reader.got if isinstance(x, FrameError) and "scans lost" in x.detail]
    assert counts  # every later scan is counted, none vanishes


@pytest.mark.parametrize(
    ("scanner_framing", "pinned", "named"),
    [
        ("lf", "cr", "LF"),
        ("crlf", "cr", "CR"),
        ("cr", "lf", "CR"),
        ("stx-etx", "cr", "STX/ETX"),
        ("cr", "stx-etx", "CR"),
    ],
)
def test_a_pinned_terminator_mismatch_names_the_terminator(
    hub: SimHub, tmp_path: Path, scanner_framing: str, pinned: str, named: str
) -> None:
    hub.add_serial("s", framing=scanner_framing)
    with Reader(SerialScanner(hub.url("s"), framing=pinned, gap=0.2, dedup_window=0)) as reader:
        for code in CODES[:3]:
            hub.scan("s", code)
            time.sleep(0.4)
        time.sleep(0.3)
    errors = [x for x in reader.got if isinstance(x, FrameError)]
    assert errors
    assert {x.reason for x in errors} == {"wrong_terminator"}
    assert all(named in x.detail and pinned.upper() in x.detail for x in errors)
    assert not any(c in x.detail for x in errors for c in CODES)
