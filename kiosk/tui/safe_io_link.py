"""The safe's door/lock module as a device of the app: one thread reads the driver and only posts.

The driver (`drivers.safe_io.device.SafeIo`) keeps the drivers' contract but yields door, lock and
module events instead of scans, and reconnects on its own (an outage is an event, not an exception):
so its loop never ends on an outage, unlike a scanner's. Every event goes to the app as one
`SafeIoReported` message; the app hands it to the core (`Desk.observe_safe`), which decides.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from drivers.errors import DeviceUnavailable, DriverError
from kiosk.tui.messages import SafeIoReported

log = logging.getLogger(__name__)

READ_TIMEOUT = 0.2  # seconds: how quickly the worker notices that the app is stopping


@dataclass
class SafeIoLink:
    """The app's handle on the module: the driver, its name and the stop flag."""

    device: Any  # drivers.safe_io.device.SafeIo (or anything with its contract)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def name(self) -> str:
        return str(getattr(self.device, "name", "safe-io"))


def safe_io_loop(link: SafeIoLink, post: Callable[[Message], object]) -> None:
    """Open the module and post each of its events until the app stops (runs in a worker thread)."""
    device = link.device
    try:
        device.open()
    except DeviceUnavailable as exc:
        # The driver queued ModuleStatus(offline) and keeps trying on each read.
        log.warning("%s: %s", link.name, exc)
    try:
        while not link.stop.is_set():
            try:
                event = device.read(READ_TIMEOUT)
            except DriverError as exc:
                log.warning("%s: %s", link.name, exc)
                return
            if event is not None:
                post(SafeIoReported(link.name, event))
    finally:
        try:
            device.close()
        except (DriverError, OSError) as exc:
            log.warning("%s: error while closing (%s)", link.name, type(exc).__name__)
