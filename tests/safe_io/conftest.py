"""A simulated safe I/O module (pymodbus's own server) over TCP or a pty pair, and the driver on it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from drivers.safe_io.device import SafeIo, quiet_stack_logs
from drivers.safe_io.sense import SafeIoEvent
from simulator.safe_io import SimSafeModule

quiet_stack_logs()


@pytest.fixture(params=["tcp", "rtu"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def module(transport: str) -> Iterator[SimSafeModule]:
    with SimSafeModule("safe", transport=transport) as m:
        yield m


def open_driver(module: SimSafeModule, **options: object) -> SafeIo:
    """The driver on `module`, quick to poll and to retry (the defaults are for a site)."""
    options = {"poll_ms": 50, "reconnect_max_s": 1, **options}
    driver = SafeIo(module.url, **options)
    driver.open()
    return driver


def wait_event(
    driver: SafeIo, wanted: Callable[[SafeIoEvent], bool], timeout: float = 10.0
) -> list[SafeIoEvent]:
    """Read until an event satisfies `wanted`; every event read, in order (a generous deadline, no timing)."""
    seen: list[SafeIoEvent] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = driver.read(0.2)
        if event is None:
            continue
        seen.append(event)
        if wanted(event):
            return seen
    raise AssertionError(f"not seen within {timeout} s; saw {seen}")
