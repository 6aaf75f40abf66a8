"""One contract, every backend (python-can's back-to-back tests): see `BACKENDS` in conftest.py."""

from __future__ import annotations

import pytest

from drivers.contract import DeviceStatus, ScanDevice
from drivers.errors import DeviceUnavailable, FrameError
from drivers.scan import Scan
from tests.drivers.conftest import Backend, drain, read_until, wait_online

CODE = "8000000015"


def is_scan(item: object) -> bool:
    return isinstance(item, Scan)


def test_backend_is_a_scan_device(backend: Backend) -> None:
    assert isinstance(backend.device, ScanDevice)
    assert backend.device.status is DeviceStatus.OFFLINE


def test_a_scan_arrives_exactly_once(backend: Backend) -> None:
    dev = backend.device
    dev.open()
    assert dev.status is DeviceStatus.ONLINE
    backend.scan(CODE)
    scan = read_until(dev, is_scan)
    assert scan.code == CODE
    assert scan.source == dev.name
    assert scan.at.tzinfo is not None
    assert drain(dev) == []


def test_scans_arrive_in_order(backend: Backend) -> None:
    dev = backend.device
    dev.open()
    codes = ["8000000015", "8000000028", "8000000031", "8000000044"]
    for code in codes:
        backend.scan(code)
    got = [read_until(dev, is_scan).code for _ in codes]
    assert got == codes


def test_idle_read_returns_none(backend: Backend) -> None:
    backend.device.open()
    assert backend.device.read(0.1) is None
    assert backend.device.read(0) is None


def test_close_is_idempotent(backend: Backend) -> None:
    dev = backend.device
    dev.open()
    dev.close()
    dev.close()
    assert dev.status is DeviceStatus.OFFLINE
    with pytest.raises(DeviceUnavailable):
        dev.read(0.05)


def test_double_read_within_the_window_counts_once(backend: Backend) -> None:
    dev = backend.device
    dev.open()
    backend.scan(CODE)
    backend.scan(CODE)
    backend.scan("8000000028")
    assert read_until(dev, is_scan).code == CODE
    assert read_until(dev, is_scan).code == "8000000028"
    assert drain(dev) == []


def test_twelve_digits_are_refused_and_never_echoed(backend: Backend) -> None:
    dev = backend.device
    dev.open()
    value = "".join(str((7 * i) % 10) for i in range(12))
    backend.scan(value)
    err = read_until(dev, lambda x: isinstance(x, FrameError))
    assert err.reason == "mynumber_refused"
    assert value not in str(err)
    backend.scan(CODE)
    assert read_until(dev, is_scan).code == CODE


def test_unplug_reports_device_unavailable(backend: Backend) -> None:
    dev = backend.device
    dev.open()
    backend.unplug()
    read_until(dev, lambda x: isinstance(x, DeviceUnavailable))
    assert dev.status is not DeviceStatus.ONLINE
    # While it is away, reads keep returning None (they poll for it) rather than failing again.
    assert dev.read(0.1) is None


def test_open_while_unplugged_raises(backend: Backend) -> None:
    backend.unplug()
    with pytest.raises(DeviceUnavailable):
        backend.device.open()


def test_replug_resumes(backend: Backend) -> None:
    dev = backend.device
    dev.open()
    backend.scan(CODE)
    assert read_until(dev, is_scan).code == CODE
    backend.unplug()
    read_until(dev, lambda x: isinstance(x, DeviceUnavailable))
    backend.replug()
    wait_online(dev)
    backend.scan("8000000028")
    assert read_until(dev, is_scan).code == "8000000028"
    assert drain(dev) == []
