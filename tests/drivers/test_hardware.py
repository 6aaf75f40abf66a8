"""The contract against a real scanner on site (deselected unless KIOSK_HARDWARE=1).

    KIOSK_HARDWARE=1 KIOSK_SCANNER_URL=/dev/serial/by-id/usb-...-if00 KIOSK_SCANNER_BAUD=115200 \\
        .venv/bin/pytest -m hardware tests/drivers/test_hardware.py -s

The technician scans a management-ID label when asked, then unplugs and replugs the scanner.
"""

from __future__ import annotations

import os

import pytest

from drivers.contract import DeviceStatus
from drivers.damm import is_valid
from drivers.errors import DeviceUnavailable
from drivers.scan import Scan
from drivers.serial_scanner import SerialScanner
from tests.drivers.conftest import read_until, wait_online

pytestmark = pytest.mark.hardware

URL = os.environ.get("KIOSK_SCANNER_URL", "")


@pytest.fixture
def scanner() -> SerialScanner:
    if not URL:
        pytest.skip("set KIOSK_SCANNER_URL to the scanner's stable path")
    dev = SerialScanner(URL, baudrate=int(os.environ.get("KIOSK_SCANNER_BAUD", "9600")))
    dev.open()
    yield dev  # type: ignore[misc]
    dev.close()


def test_real_scanner_reads_a_label_then_survives_replug(scanner: SerialScanner) -> None:
    print("\nscan a management-ID label now")  # noqa: T201
    scan = read_until(scanner, lambda x: isinstance(x, Scan), deadline=60)
    assert is_valid(scan.code), "the label is not a management ID (Damm check failed)"
    assert scanner.read(0.5) is None
    print("unplug the scanner now")  # noqa: T201
    read_until(scanner, lambda x: isinstance(x, DeviceUnavailable), deadline=60)
    print("plug it back in")  # noqa: T201
    wait_online(scanner, deadline=60)
    assert scanner.status is DeviceStatus.ONLINE
    print("scan the label again")  # noqa: T201
    assert read_until(scanner, lambda x: isinstance(x, Scan), deadline=60).code == scan.code
