"""Backends for the contract suite, and helpers that wait on conditions with deadlines.

To add a backend (camera, RFID...), add a factory to `BACKENDS`: a context manager that yields a
`Backend` (the device under test plus how to scan, unplug and replug it on the simulator).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import simulator  # noqa: F401  (registers the sim:// URL handler)
from drivers.contract import DeviceStatus, ScanDevice
from drivers.errors import DeviceUnavailable, FrameError
from drivers.evdev_scanner import EvdevScanner
from drivers.scan import Scan
from drivers.serial_scanner import SerialScanner
from drivers.wedge_device import KeyboardWedge
from simulator.cabinet import Cabinet
from simulator.hub import SimHub


@dataclass
class Backend:
    name: str
    device: ScanDevice
    scan: Callable[[str], None]
    unplug: Callable[[], None]
    replug: Callable[[], None]


def serial_sim_backend(hub: SimHub, tmp: Path) -> contextlib.AbstractContextManager[Backend]:
    @contextlib.contextmanager
    def cm() -> Iterator[Backend]:
        hub.add_serial("s1", framing="crlf", aim="]C0")
        dev = SerialScanner(hub.url("s1"), name="s1", reconnect_interval=0.05)
        yield Backend("serial-sim", dev, lambda c: hub.scan("s1", c), lambda: hub.unplug("s1"),
                      lambda: hub.replug("s1"))  # fmt: skip
        dev.close()

    return cm()


def serial_pty_backend(hub: SimHub, tmp: Path) -> contextlib.AbstractContextManager[Backend]:
    @contextlib.contextmanager
    def cm() -> Iterator[Backend]:
        pty = hub.add_pty("p1", link=tmp / "scanner-by-id", framing="stx-etx")
        dev = SerialScanner(pty.path, name="p1", baudrate=115200, reconnect_interval=0.05)
        yield Backend("serial-pty", dev, lambda c: hub.scan("p1", c), lambda: hub.unplug("p1"),
                      lambda: hub.replug("p1"))  # fmt: skip
        dev.close()

    return cm()


def wedge_backend(hub: SimHub, tmp: Path) -> contextlib.AbstractContextManager[Backend]:
    @contextlib.contextmanager
    def cm() -> Iterator[Backend]:
        kbd = hub.add_keyboard("k1")
        dev = KeyboardWedge("k1")
        kbd.connect(dev)
        yield Backend("wedge", dev, lambda c: hub.scan("k1", c), lambda: hub.unplug("k1"),
                      lambda: hub.replug("k1"))  # fmt: skip
        dev.close()

    return cm()


def wedge_paste_backend(hub: SimHub, tmp: Path) -> contextlib.AbstractContextManager[Backend]:
    """A terminal that delivers each scan as one bracketed paste, with the IME in full-width mode."""

    @contextlib.contextmanager
    def cm() -> Iterator[Backend]:
        kbd = hub.add_keyboard("k2", paste=True, ime="fullwidth")
        dev = KeyboardWedge("k2")
        kbd.connect(dev)
        yield Backend("wedge-paste", dev, lambda c: hub.scan("k2", c), lambda: hub.unplug("k2"),
                      lambda: hub.replug("k2"))  # fmt: skip
        dev.close()

    return cm()


def evdev_backend(hub: SimHub, tmp: Path) -> contextlib.AbstractContextManager[Backend]:
    @contextlib.contextmanager
    def cm() -> Iterator[Backend]:
        hub.add_evdev("e1", layout="jis")
        dev = EvdevScanner("e1", layout="jis", opener=hub.evdev_opener, reconnect_interval=0.05)
        yield Backend("evdev", dev, lambda c: hub.scan("e1", c), lambda: hub.unplug("e1"),
                      lambda: hub.replug("e1"))  # fmt: skip
        dev.close()

    return cm()


BACKENDS: dict[str, Callable[[SimHub, Path], contextlib.AbstractContextManager[Backend]]] = {
    "serial-sim": serial_sim_backend,
    "serial-pty": serial_pty_backend,
    "wedge": wedge_backend,
    "wedge-paste": wedge_paste_backend,
    "evdev": evdev_backend,
}


def _vision_and_rfid_backends() -> None:
    # The camera and the UHF reader keep the same contract (their factories live beside their tests).
    from tests.rfid.contract_backends import uhf_backend
    from tests.vision.contract_backends import camera_backend

    BACKENDS.update({"camera-sim": camera_backend, "uhf-pty": uhf_backend})


_vision_and_rfid_backends()


@pytest.fixture
def hub() -> Iterator[SimHub]:
    with SimHub(Cabinet.generate(10, seed=1)) as h:
        yield h


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, hub: SimHub, tmp_path: Path) -> Iterator[Backend]:
    with BACKENDS[request.param](hub, tmp_path) as b:
        yield b


def read_until(
    device: ScanDevice, predicate: Callable[[Any], bool], deadline: float = 5.0, step: float = 0.05
) -> Any:
    """Read until an item (Scan, FrameError or DeviceUnavailable) satisfies `predicate`; fail at the
    deadline. Returns that item."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            item: Any = device.read(step)
        except (FrameError, DeviceUnavailable) as exc:
            item = exc
        if item is not None and predicate(item):
            return item
    pytest.fail(f"condition not met within {deadline} s")


def wait_online(device: ScanDevice, deadline: float = 5.0) -> None:
    """Drive reads (which reconnect) until the device reports online."""
    end = time.monotonic() + deadline
    while device.status is not DeviceStatus.ONLINE:
        if time.monotonic() > end:
            pytest.fail(f"{device.name} did not come back online (status {device.status})")
        with contextlib.suppress(DeviceUnavailable, FrameError):
            device.read(0.05)


def drain(device: ScanDevice, quiet: float = 0.3) -> list[Scan | FrameError | DeviceUnavailable]:
    """Everything the device delivers until it has been quiet for `quiet` seconds."""
    out: list[Scan | FrameError | DeviceUnavailable] = []
    while True:
        try:
            item = device.read(quiet)
        except (FrameError, DeviceUnavailable) as exc:
            out.append(exc)
            continue
        if item is None:
            return out
        out.append(item)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("KIOSK_HARDWARE") == "1":
        return
    skip = pytest.mark.skip(reason="needs a real device on site: set KIOSK_HARDWARE=1")
    for item in items:
        if "hardware" in item.keywords:
            item.add_marker(skip)
