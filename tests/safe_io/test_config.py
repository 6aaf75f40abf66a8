"""The optional [safe_io] section: absent changes nothing, present is checked at start with the key named."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from drivers.safe_io import LineLimits, LockKind, Polarity
from kiosk.config import ConfigError, SafeIoSettings, load_settings

EXAMPLE = Path(__file__).parents[2] / "config" / "kiosk.example.toml"
_SETTING = re.compile(r"^# (\[safe_io\]|[a-z_]+ = .*)$")


def example_block() -> str:
    """The example file's commented-out [safe_io] section, uncommented."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    start = lines.index("# [safe_io]")
    return "\n".join(m.group(1) for line in lines[start:] if (m := _SETTING.match(line)))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_absent_means_no_module(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "[kiosk]\nname = 'k1'\n")).safe_io is None


def test_the_example_documents_every_key_and_loads_once_uncommented(tmp_path: Path) -> None:
    block = example_block()
    assert set(tomllib.loads(block)["safe_io"]) == set(SafeIoSettings.model_fields)
    settings = load_settings(write(tmp_path, block))
    assert settings.safe_io is not None
    target = settings.safe_io.target()
    assert (target.transport, target.host, target.port) == ("tcp", "10.0.0.20", 502)
    assert (target.unit, target.door_input, target.relay, target.line_input) == (1, 0, 0, None)
    assert target.polarity is Polarity.NC
    assert target.line == LineLimits()
    assert settings.safe_io.release_seconds == 5.0


def test_the_section_reaches_the_driver(tmp_path: Path) -> None:
    text = """[safe_io]
url = "modbus-rtu:///dev/serial/by-id/usb-RS485-if00"
unit = 7
door_input = "none"
line_input = 2
line_limits = [500, 3000, 7000]
polarity = "no"
lock = "maglock"
baudrate = 19200
parity = "E"
release_seconds = 8
"""
    s = load_settings(write(tmp_path, text)).safe_io
    assert s is not None
    t = s.target()
    assert (t.transport, t.device, t.unit, t.baudrate, t.parity) == (
        "rtu",
        "/dev/serial/by-id/usb-RS485-if00",
        7,
        19200,
        "E",
    )
    assert (t.door_input, t.line_input, t.line) == (None, 2, LineLimits(500, 3000, 7000))
    assert (t.polarity, t.lock) == (Polarity.NO, LockKind.MAGLOCK)


def test_an_environment_override_is_checked_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[safe_io]\nurl = "modbus-tcp://io"\n')
    monkeypatch.setenv("KIOSK_SAFE_IO__POLL_MS", "50")
    s = load_settings(path).safe_io
    assert s is not None
    assert s.target().poll_ms == 50
    monkeypatch.setenv("KIOSK_SAFE_IO__POLL_MS", "5")
    with pytest.raises(ConfigError, match=r"safe_io\.poll_ms"):
        load_settings(path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("unit = 2", r"setting 'safe_io\.url': Field required"),
        ('url = "modbus-tcp://io?unit=2"', r"safe_io\.url': write the wiring as keys of \[safe_io\]"),
        ('url = "io-module"', r"safe_io\.url': a safe I/O URL looks like modbus-tcp://HOST:PORT"),
        ('url = "modbus-rtu://dev/ttyUSB0"', "three slashes"),
        ('url = "modbus-tcp://io"\npolarity = "closed"', r"safe_io\.polarity': Input should be 'nc' or 'no'"),
        (
            'url = "modbus-tcp://io"\nrelay_coil = 1',
            r"unknown setting 'safe_io\.relay_coil'; allowed here: .*relay,",
        ),
        ('url = "modbus-tcp://io"\nline_limits = [3, 2, 1]', "line limits must ascend"),
        ('url = "modbus-tcp://io"\ndoor_input = "none"', "the door needs an input: set door_input"),
        ('url = "modbus-tcp://io"\nunit = 300', r"safe_io\.unit'"),
        ('url = "modbus-tcp://io"\nrelease_seconds = 0', r"safe_io\.release_seconds'"),
    ],
)
def test_mistakes_stop_start_up_with_the_key_named(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, f"[safe_io]\n{body}\n"))


def test_a_digit_run_in_the_url_is_refused_without_being_repeated(tmp_path: Path) -> None:
    digits = "4" * 6 + "9" * 6
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, f'[safe_io]\nurl = "modbus-tcp://h{digits}"\n'))
    assert digits not in str(caught.value)


def test_an_empty_url_means_no_module(tmp_path: Path) -> None:
    """`url = ""` (a site that keeps the section for later): no module, the kiosk runs as before."""
    from kiosk.app_factory import build_safe_io

    settings = load_settings(write(tmp_path, '[safe_io]\nurl = ""\nrelease_seconds = 3\n'))
    assert settings.safe_io is None
    assert build_safe_io(settings) is None
