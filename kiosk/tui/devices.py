"""The device side of the app: one thread per device that reads and only posts messages.

The loop below runs in a Textual thread worker. It never touches a widget: everything it learns
becomes a message (`kiosk.tui.messages`). When the device goes away the loop closes it and ends; the app
schedules the reopen with `set_timer` and a growing backoff, so a missing scanner costs no CPU.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from textual.message import Message
from textual.timer import Timer

from drivers.contract import DeviceStatus, ScanDevice
from drivers.errors import DeviceUnavailable, DriverError, FrameError
from kiosk.tui.messages import DeviceLost, DeviceStatusChanged, ScanArrived, ScanRejected

log = logging.getLogger(__name__)

READ_TIMEOUT = 0.2  # seconds: how quickly a worker notices that the app is stopping
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 8.0


@dataclass
class DeviceLink:
    """The app's bookkeeping for one device: its status, reconnect attempts and the stop flag."""

    device: ScanDevice
    status: DeviceStatus = DeviceStatus.OFFLINE
    failures: int = 0  # consecutive failed opens (sets the backoff)
    stop: threading.Event = field(default_factory=threading.Event)
    timer: Timer | None = None
    running: bool = False

    @property
    def name(self) -> str:
        return self.device.name

    def next_delay(self) -> float:
        """The backoff before the next reopen: 0.5 s, 1 s, 2 s … up to 8 s."""
        return float(min(BACKOFF_MAX, BACKOFF_FIRST * (2 ** max(0, self.failures - 1))))


def device_loop(link: DeviceLink, post: Callable[[Message], object]) -> None:
    """Open the device and read until it goes away or the app stops (runs in a worker thread)."""
    device = link.device
    name = device.name
    try:
        device.open()
    except DeviceUnavailable as exc:
        post(DeviceLost(name, f"open failed: {exc}"))
        return
    except (DriverError, OSError) as exc:
        post(DeviceLost(name, f"open failed: {type(exc).__name__}"))
        return
    post(DeviceStatusChanged(name, DeviceStatus.ONLINE))
    try:
        while not link.stop.is_set():
            try:
                scan = device.read(READ_TIMEOUT)
            except FrameError as exc:
                post(ScanRejected(name, exc.reason))
                continue
            except DeviceUnavailable as exc:
                post(DeviceLost(name, str(exc)))
                return
            except Exception as exc:  # a driver bug must not take the kiosk down
                log.exception("%s: unexpected error in read", name)
                post(DeviceLost(name, type(exc).__name__))
                return
            if scan is not None:
                post(ScanArrived(name, scan))
    finally:
        try:
            device.close()
        except (DriverError, OSError) as exc:
            log.warning("%s: error while closing (%s)", name, type(exc).__name__)
