"""The safe I/O URL: every setting parsed, every mistake named with what is allowed."""

from __future__ import annotations

import pytest

from drivers.safe_io import LineLimits, LockKind, Polarity, SafeIoSettingsError, parse_url
from kiosk.domain.guard import guard_text


def test_tcp_url_with_every_key() -> None:
    t = parse_url(
        "modbus-tcp://10.0.0.5:1502?unit=3&door_input=4&relay=2&polarity=no&lock=maglock"
        "&poll_ms=50&debounce_ms=20&line_input=1&line=500,3000,7000&timeout_ms=300&reconnect_max_s=2"
    )
    assert (t.transport, t.host, t.port, t.unit) == ("tcp", "10.0.0.5", 1502, 3)
    assert (t.door_input, t.relay, t.line_input) == (4, 2, 1)
    assert t.polarity is Polarity.NO
    assert t.lock is LockKind.MAGLOCK
    assert (t.poll_ms, t.debounce_ms, t.timeout_ms, t.reconnect_max_s) == (50, 20, 300, 2.0)
    assert t.line == LineLimits(500, 3000, 7000)
    assert t.where == "10.0.0.5:1502"
    assert parse_url(t.url) == t  # the URL spelled out parses back to the same target


def test_defaults_and_rtu() -> None:
    t = parse_url("modbus-tcp://io-module")
    assert (t.port, t.unit, t.door_input, t.relay, t.polarity, t.poll_ms) == (502, 1, 0, 0, Polarity.NC, 100)
    assert t.line_input is None
    r = parse_url("modbus-rtu:///dev/serial/by-id/usb-FTDI-if00?baudrate=19200&parity=even&relay=none")
    assert (r.transport, r.device, r.baudrate, r.parity, r.relay) == (
        "rtu",
        "/dev/serial/by-id/usb-FTDI-if00",
        19200,
        "E",
        None,
    )


def test_options_fill_in_what_the_url_does_not_say_but_never_twice() -> None:
    t = parse_url("modbus-tcp://io:502?unit=2", door_input=5, polarity="no")
    assert (t.unit, t.door_input, t.polarity) == (2, 5, Polarity.NO)
    with pytest.raises(SafeIoSettingsError, match="'unit' is set both in the URL and in the settings"):
        parse_url("modbus-tcp://io:502?unit=2", unit=3)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("io-module:502", "a safe I/O URL looks like modbus-tcp://HOST:PORT"),
        ("modbus-udp://io", "unknown scheme 'modbus-udp'"),
        ("modbus-tcp://:502", "modbus-tcp needs a host"),
        ("modbus-tcp://io:99999", "port must be a number from 1 to 65535"),
        ("modbus-tcp://io/dev/x", "modbus-tcp URLs have no path"),
        ("modbus-rtu://dev/ttyUSB0", "three slashes"),
        ("modbus-rtu:///dev/ttyUSB0?baudrate=1234", "baudrate must be one of"),
        ("modbus-rtu:///dev/ttyUSB0?parity=X", "parity must be N, E or O"),
        ("modbus-tcp://io?unit=0", "unit must be between 1 and 247"),
        ("modbus-tcp://io?unit=one", "unit: a whole number"),
        ("modbus-tcp://io?polarity=closed", "polarity: nc or no"),
        ("modbus-tcp://io?lock=bolt", "lock: strike or maglock"),
        ("modbus-tcp://io?poll_ms=5", "poll_ms must be between 20 and 1000"),
        ("modbus-tcp://io?door_input=none", "the door needs an input"),
        ("modbus-tcp://io?line_input=1&line=9,5,7", "line limits must ascend"),
        ("modbus-tcp://io?line=1,2", "line: three ascending whole numbers"),
        ("modbus-tcp://io?door=0", "unknown setting 'door'; allowed: baudrate"),
        ("modbus-tcp://io?unit=1&unit=2", "'unit' is given twice"),
        ("modbus-tcp://io?unit", "KEY=VALUE"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(SafeIoSettingsError) as caught:
        parse_url(url)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


RUN = "7" * 6 + "3" * 6  # twelve digits, built at run time


@pytest.mark.parametrize(
    "url",
    [
        f"modbus-tcp://io?unit={RUN}",
        f"a{RUN}://io",
        f"modbus-tcp://io?{RUN}=1",
        f"modbus-tcp://io?{RUN}=1&{RUN}=2",
        "modbus-tcp://io?line_input=1&line=999999,999998,999997",
    ],
)
def test_no_message_repeats_what_could_be_an_individual_number(url: str) -> None:
    with pytest.raises(SafeIoSettingsError) as caught:
        parse_url(url)
    guard_text(str(caught.value), "message")  # raises Refusal on a run of 12+ digits, separators ignored
