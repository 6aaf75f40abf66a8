"""Issue 14, item 6: every device option, nested tables included, is checked before the kiosk starts,
and a missing or failing device says why (path absent, permission denied, busy) in the log."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

import simulator  # noqa: F401  (the sim:// URL handler)
from drivers.serial_scanner import SerialScanner
from kiosk.app_factory import build_device
from kiosk.config import ConfigError, DeviceSettings, load_settings
from kiosk.tui.devices import DeviceLink, device_loop
from kiosk.tui.messages import DeviceLost
from simulator.cabinet import make_management_id
from simulator.hub import SimHub
from tests.drivers.conftest import read_until


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_nested_tables_are_checked_at_start_naming_the_key_and_what_is_allowed(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        """
[[devices]]
name = "counter"
driver = "serial"
options = { url = "/dev/ttyACM0", rules = { prefx = "#", aim = "maybe" } }
[[devices]]
name = "webcam"
driver = "camera"
options = { source = 0, settings = { width = 1280, focs = 40 } }
[[devices]]
name = "uhf"
driver = "rfid-uhf"
options = { baudrate = 12 }
""",
    )
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    message = str(info.value)
    assert "devices[0] 'counter' (driver serial)" in message
    assert "unknown option 'rules.prefx'; allowed here: aim, code_id" in message
    assert "option 'rules.aim': Input should be 'auto', 'require' or 'off'" in message
    assert "unknown option 'settings.focs'; allowed here: exposure, focus" in message
    assert "devices[2] 'uhf' (driver rfid-uhf): option 'url' is required" in message
    assert "option 'baudrate': Input should be 9600" in message


def test_a_value_is_never_repeated_in_the_message(tmp_path: Path) -> None:
    value = "".join(str((5 * i + 2) % 10) for i in range(12))
    config = write(
        tmp_path, f'[[devices]]\nname = "s"\ndriver = "serial"\noptions = {{ url = "x", gap = "{value}" }}\n'
    )
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert value not in str(info.value)


def test_serial_rules_given_as_a_table_work_on_the_first_frame(hub: SimHub) -> None:
    hub.add_serial("s", framing="cr", prefix="#")
    device = build_device(
        DeviceSettings(
            name="counter",
            driver="serial",
            options={"url": hub.url("s"), "rules": {"prefix": "#", "symbologies": ["unknown"]}},
        )
    )
    assert isinstance(device, SerialScanner)
    device.open()
    try:
        code = make_management_id(7)
        hub.scan("s", code)
        scan = read_until(device, lambda x: hasattr(x, "code") or hasattr(x, "reason"))
        assert scan.code == code  # used to fail with AttributeError on a dict
    finally:
        device.close()


def test_camera_settings_given_as_a_table_build_the_camera(tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    (tmp_path / "stills").mkdir()
    device = build_device(
        DeviceSettings(
            name="webcam",
            driver="camera",
            options={"source": str(tmp_path / "stills"), "settings": {"width": 1280, "height": 720}},
        )
    )
    device.close()


@pytest.fixture
def hub() -> SimHub:
    with SimHub() as h:
        yield h  # type: ignore[misc]


def _run_loop(link: DeviceLink) -> list[object]:
    posted: list[object] = []
    device_loop(link, posted.append)
    return posted


def test_a_missing_device_says_path_absent_in_the_message_and_once_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    link = DeviceLink(SerialScanner(str(tmp_path / "by-id" / "usb-Scanner-if00"), name="counter"))
    with caplog.at_level(logging.WARNING):
        first = _run_loop(link)
        second = _run_loop(link)  # the app's next retry
    assert isinstance(first[0], DeviceLost)
    assert first[0].detail == "open failed: path absent"
    assert isinstance(second[0], DeviceLost)
    assert link.reason == "path absent"
    lines = [r.getMessage() for r in caplog.records if "offline" in r.getMessage()]
    assert lines == ["counter: offline: path absent"]  # once, not at every retry


def test_a_busy_device_says_so(hub: SimHub, tmp_path: Path) -> None:
    pty = hub.add_pty("p", link=tmp_path / "scanner")
    holder = SerialScanner(pty.path)
    holder.open()
    try:
        link = DeviceLink(SerialScanner(pty.path, name="counter"))
        posted = _run_loop(link)
    finally:
        holder.close()
    assert isinstance(posted[0], DeviceLost)
    assert link.reason.startswith("busy")


@pytest.mark.skipif(os.geteuid() == 0, reason="root opens any file: no permission error to see")
def test_a_device_without_permission_says_so(tmp_path: Path) -> None:
    node = tmp_path / "ttyACM0"
    node.write_text("")
    node.chmod(0)
    link = DeviceLink(SerialScanner(str(node), name="counter"))
    _run_loop(link)
    assert link.reason == "permission denied"


def test_the_reasons_an_open_fails_have_stable_names() -> None:
    import errno

    from serial import SerialException

    from drivers.device import why_unavailable

    assert why_unavailable(PermissionError(errno.EACCES, "Permission denied")) == "permission denied"
    assert why_unavailable(SerialException(errno.EACCES, "could not open port x: Permission denied")) == (
        "permission denied"
    )
    assert why_unavailable(SerialException(errno.EAGAIN, "Could not exclusively lock port x")).startswith(
        "busy"
    )
    assert why_unavailable(FileNotFoundError("x is absent")) == "path absent"


def test_wedge_and_evdev_take_an_inter_key_gap_and_rules_tables() -> None:
    pytest.importorskip("evdev")
    from kiosk.config import check_device

    evdev = DeviceSettings(
        name="wedge-scanner",
        driver="evdev",
        options={
            "path": "/dev/input/by-id/x-event-kbd",
            "layout": "jis",
            "max_key_gap_ms": 80,
            "rules": {"code_id": "denso"},
        },
    )
    check_device(evdev)
    device = build_device(evdev)
    assert device.decoder.wedge.timing.key_gap == pytest.approx(0.08)  # type: ignore[attr-defined]
    assert device.decoder.wedge.rules.code_id == "denso"  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="option 'layout': Input should be 'us' or 'jis'"):
        check_device(DeviceSettings(name="w", driver="evdev", options={"path": "/x", "layout": "de"}))
