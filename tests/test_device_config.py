"""Device options in the configuration are checked against the driver before anything starts."""

from __future__ import annotations

import pytest

from kiosk.app_factory import build_device
from kiosk.config import ConfigError, DeviceSettings


def test_a_wrong_option_names_the_device_the_key_and_what_is_allowed() -> None:
    config = DeviceSettings(name="counter", driver="serial", options={"url": "loop://", "baud": 9600})
    with pytest.raises(ConfigError) as info:
        build_device(config)
    message = str(info.value)
    assert "'counter'" in message
    assert "baud;" in message
    assert "baudrate" in message


def test_an_unknown_driver_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown driver 'scaner'"):
        build_device(DeviceSettings(name="x", driver="scaner"))


def test_the_documented_serial_options_build_a_scanner() -> None:
    device = build_device(
        DeviceSettings(
            name="counter", driver="serial", options={"url": "loop://", "baudrate": 9600, "framing": "cr"}
        )
    )
    try:
        assert device.name == "counter"
    finally:
        device.close()
