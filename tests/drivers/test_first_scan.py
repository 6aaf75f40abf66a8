"""Issue 25, item 3: the first scan after a start or a replug arrives whole at any pacing. Bytes are
written one by one at the line rate (2400 and 9600 baud) or in one burst, on the simulator's `sim://`
line and on a pty; a power-up glitch is dropped only when it cannot be the start of a frame, and a
frame cut short is a rejection with its reason, never a code."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from drivers.errors import FrameError
from drivers.framing import Framing, LineFramer, RawFrame
from drivers.scan import Scan
from drivers.serial_scanner import SerialScanner
from simulator.cabinet import make_management_id
from simulator.hub import SimHub
from tests.drivers.conftest import drain, wait_online
from tests.drivers.test_line_diagnosis import Reader

CODES = [make_management_id(40 + i) for i in range(6)]


def _send(dev: Any, code: str, pacing: str, before: bytes = b"") -> None:
    if pacing == "burst":
        dev.send_raw(before + dev.fmt.encode(code))
    else:
        dev.paced(code, int(pacing), before=before)


def _send_raw(dev: Any, data: bytes, pacing: str) -> None:
    if pacing == "burst":
        dev.send_raw(data)
    else:
        dev.paced_raw(data, int(pacing))


def _got(scanner: SerialScanner) -> list[object]:
    return [
        x.code if isinstance(x, Scan) else x.reason
        for x in drain(scanner, quiet=0.7)
        if isinstance(x, Scan | FrameError)
    ]


class _Reading:
    """`_got(scanner)` on a thread that starts now, as the kiosk's device worker is always reading."""

    def __init__(self, scanner: SerialScanner) -> None:
        self._out: list[object] = []
        self._thread = threading.Thread(target=lambda: self._out.extend(_got(scanner)), daemon=True)
        self._thread.start()

    def result(self) -> list[object]:
        self._thread.join(timeout=15)
        return self._out


def _reading_soon(scanner: SerialScanner) -> _Reading:
    return _Reading(scanner)


def _device(hub: SimHub, kind: str, tmp_path: Path) -> tuple[Any, SerialScanner]:
    if kind == "sim":
        line = hub.add_serial("s", framing="cr", aim="]C0")
        return line, SerialScanner(hub.url("s"), dedup_window=0, reconnect_interval=0.05)
    pty = hub.add_pty("s", link=tmp_path / "scanner-by-id", framing="cr", aim="]C0")
    return pty, SerialScanner(pty.path, dedup_window=0, reconnect_interval=0.05)


@pytest.mark.parametrize("kind", ["sim", "pty"])
@pytest.mark.parametrize("pacing", ["2400", "9600", "burst"])
def test_the_first_scan_after_a_start_arrives_whole(
    hub: SimHub, tmp_path: Path, kind: str, pacing: str
) -> None:
    dev, scanner = _device(hub, kind, tmp_path)
    for i, code in enumerate(CODES[:4]):  # each round is a fresh start of the driver
        scanner.open()
        try:
            # The clerk presents the card a moment after the start, while a read is already waiting.
            reading = _reading_soon(scanner)
            time.sleep(0.15 + 0.04 * i)
            _send(dev, code, pacing)
            assert reading.result() == [code]
        finally:
            scanner.close()


@pytest.mark.parametrize("kind", ["sim", "pty"])
@pytest.mark.parametrize("pacing", ["2400", "9600", "burst"])
def test_the_first_scan_after_a_replug_arrives_whole(
    hub: SimHub, tmp_path: Path, kind: str, pacing: str
) -> None:
    dev, scanner = _device(hub, kind, tmp_path)
    scanner.open()
    try:
        for code in CODES[:3]:
            hub.unplug("s")
            drain(scanner, quiet=0.2)
            hub.replug("s")
            wait_online(scanner)
            reading = _reading_soon(scanner)
            time.sleep(0.15)
            _send(dev, code, pacing)
            assert reading.result() == [code]
    finally:
        scanner.close()


@pytest.mark.parametrize("pacing", ["2400", "9600", "burst"])
@pytest.mark.parametrize("glitch", [b"\xff", b"\x00\xfe"], ids=["ff", "nul-fe"])
def test_a_glitch_running_straight_into_the_first_frame_is_dropped_and_the_scan_kept(
    hub: SimHub, pacing: str, glitch: bytes
) -> None:
    line = hub.add_serial("s", framing="cr", aim="]C0")
    scanner = SerialScanner(hub.url("s"), dedup_window=0)
    scanner.open()
    try:
        _send(line, CODES[0], pacing, before=glitch)
        assert _got(scanner) == [CODES[0]]
    finally:
        scanner.close()


def test_a_pause_inside_the_first_frame_keeps_its_head_when_the_whole_is_a_code() -> None:
    # A slow scheduler can hold the first bytes back: "80" then a pause, then the rest of the ID.
    code = CODES[1]
    f = LineFramer(Framing.CR)
    events = f.feed(code[:2].encode(), 0.0) + f.feed(code[2:].encode() + b"\r", 0.3)
    (frame,) = events
    assert isinstance(frame, RawFrame)
    assert frame.data == code.encode()
    assert frame.suspect == 2  # the head a glitch could have been; the driver decides with the rules


def test_a_text_glitch_before_a_pause_is_dropped_because_the_whole_is_not_a_code(hub: SimHub) -> None:
    line = hub.add_serial("s", framing="cr")
    scanner = SerialScanner(hub.url("s"), dedup_window=0)
    scanner.open()
    try:
        reading = _reading_soon(scanner)
        line.power_up(b"x")
        time.sleep(0.15)
        hub.scan("s", CODES[2])
        assert reading.result() == [CODES[2]]
    finally:
        scanner.close()


def test_a_head_that_keeps_the_id_valid_is_kept_over_a_shorter_tail() -> None:
    # "8" + pause + 9 digits: the tail alone is not an ID, the whole is: the whole is the scan.
    code = CODES[3]
    f = LineFramer(Framing.CR)
    (frame,) = f.feed(code[:1].encode(), 0.0) + f.feed(code[1:].encode() + b"\r", 0.2)
    assert isinstance(frame, RawFrame)
    assert frame.data == code.encode()


@pytest.mark.parametrize("pacing", ["2400", "9600", "burst"])
def test_a_frame_cut_short_is_a_rejection_never_a_code(hub: SimHub, pacing: str) -> None:
    line = hub.add_serial("s", framing="cr")
    with Reader(SerialScanner(hub.url("s"), gap=0.2, dedup_window=0)) as reader:
        # The scanner stopped mid-frame (unplugged, reset).
        _send_raw(line, CODES[4][:6].encode(), pacing)
        reader.wait_for(1)
        _send_raw(line, CODES[5].encode() + b"\r", pacing)
        reader.wait_for(2)
    assert [getattr(x, "reason", None) or getattr(x, "code", None) for x in reader.got] == [
        "partial_timeout",
        CODES[5],
    ]
