"""The safe I/O driver against a real module on site (skipped unless KIOSK_HARDWARE=1).

    KIOSK_HARDWARE=1 KIOSK_SAFE_IO_URL='modbus-rtu:///dev/serial/by-id/usb-...?unit=1' \\
        .venv/bin/pytest -m hardware tests/safe_io/test_hardware.py -s

The technician opens and closes the door when asked, then cuts the module's power (or pulls its
cable) and restores it. The lock is released only with KIOSK_SAFE_IO_RELEASE=1 as well: a test
never opens a real safe unasked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from drivers.contract import DeviceStatus
from drivers.safe_io import DoorChanged, DoorState, LockChanged, LockState, ModuleStatus
from drivers.safe_io.device import SafeIo, quiet_stack_logs
from tests.safe_io.conftest import wait_event

pytestmark = pytest.mark.hardware

URL = os.environ.get("KIOSK_SAFE_IO_URL", "")


@pytest.fixture
def safe() -> Iterator[SafeIo]:
    if os.environ.get("KIOSK_HARDWARE") != "1" or not URL:
        pytest.skip("needs a module on site: set KIOSK_HARDWARE=1 and KIOSK_SAFE_IO_URL")
    quiet_stack_logs()
    driver = SafeIo(URL)
    driver.open()
    yield driver
    driver.close()


def test_real_module_sees_the_door_and_survives_a_power_cut(safe: SafeIo) -> None:
    wait_event(safe, lambda e: isinstance(e, DoorChanged) and e.initial)
    assert safe.door is DoorState.CLOSED, "close the safe's door before the test"
    print("\nopen the door now")  # noqa: T201
    wait_event(safe, lambda e: isinstance(e, DoorChanged) and e.door is DoorState.OPEN, timeout=60)
    print("close it")  # noqa: T201
    wait_event(safe, lambda e: isinstance(e, DoorChanged) and e.door is DoorState.CLOSED, timeout=60)
    if os.environ.get("KIOSK_SAFE_IO_RELEASE") == "1":
        safe.release(3)
        wait_event(safe, lambda e: isinstance(e, LockChanged) and e.lock is LockState.ENGAGED, timeout=30)
    print("cut the module's power or pull its cable")  # noqa: T201
    wait_event(safe, lambda e: isinstance(e, ModuleStatus) and e.status is DeviceStatus.OFFLINE, timeout=60)
    print("restore it")  # noqa: T201
    wait_event(safe, lambda e: isinstance(e, ModuleStatus) and e.status is DeviceStatus.ONLINE, timeout=120)
