"""The device side of the app: one thread per device that reads and only posts messages.

The loop below runs in a Textual thread worker. It never touches a widget: everything it learns
becomes a message (`kiosk.tui.messages`). When the device goes away the loop closes it and ends; the app
schedules the reopen with `set_timer` and a growing backoff, so a missing scanner costs no CPU.

Why a device is offline ("path absent", "permission denied", "busy (another program has it open)",
"device gone", or the driver's own message) is kept in `DeviceLink.reason`, sent as the `DeviceLost`
detail, and logged once per change (not at every retry), so 切断 on the status bar can say why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from textual.message import Message
from textual.timer import Timer

from drivers.contract import DeviceStatus, ScanDevice
from drivers.device import why_unavailable
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
    reason: str = ""  # why it is offline, for the status bar and the log ("" while online)

    @property
    def name(self) -> str:
        return self.device.name

    def next_delay(self) -> float:
        """The backoff before the next reopen: 0.5 s, 1 s, 2 s … up to 8 s."""
        return float(min(BACKOFF_MAX, BACKOFF_FIRST * (2 ** max(0, self.failures - 1))))


def offline_reason(device: ScanDevice, exc: BaseException) -> str:
    """A short reason a device cannot be used: the driver's own diagnosis when it has one."""
    known = getattr(device, "last_error", "")
    if isinstance(known, str) and known:
        return known
    if isinstance(exc, DeviceUnavailable):
        text = str(exc)
        if "(" in text and ")" in text:  # "name: cannot open (path absent): ..."
            return text.split("(", 1)[1].split(")", 1)[0]
        return why_unavailable(exc)
    if isinstance(exc, DriverError):
        return str(exc)  # e.g. DriverNotUsable: what to install
    return why_unavailable(exc)


def _note_reason(link: DeviceLink, reason: str) -> None:
    if reason != link.reason:
        log.warning("%s: offline: %s", link.name, reason)
    link.reason = reason


def device_loop(link: DeviceLink, post: Callable[[Message], object]) -> None:
    """Open the device and read until it goes away or the app stops (runs in a worker thread)."""
    device = link.device
    name = device.name
    try:
        device.open()
    except (DriverError, OSError) as exc:
        reason = offline_reason(device, exc)
        _note_reason(link, reason)
        post(DeviceLost(name, f"open failed: {reason}"))
        return
    if link.reason:
        log.warning("%s: online again (was: %s)", name, link.reason)
    link.reason = ""
    post(DeviceStatusChanged(name, DeviceStatus.ONLINE))
    try:
        while not link.stop.is_set():
            try:
                scan = device.read(READ_TIMEOUT)
            except FrameError as exc:
                post(ScanRejected(name, exc.reason))
                continue
            except DeviceUnavailable as exc:
                reason = offline_reason(device, exc)
                _note_reason(link, reason)
                post(DeviceLost(name, reason))
                return
            except Exception as exc:  # a driver bug must not take the kiosk down
                log.exception("%s: unexpected error in read", name)
                link.reason = f"driver error ({type(exc).__name__})"
                post(DeviceLost(name, link.reason))
                return
            if scan is not None:
                post(ScanArrived(name, scan))
    finally:
        try:
            device.close()
        except (DriverError, OSError) as exc:
            log.warning("%s: error while closing (%s)", name, type(exc).__name__)
