"""Messages the device workers post to the app (the only thing a worker thread ever does).

They are dataclasses; status messages use `can_replace`, so a flapping cable collapses to the newest
status instead of flooding the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from textual.message import Message

from drivers.contract import DeviceStatus
from drivers.scan import Scan


@dataclass
class ScanArrived(Message):
    """A device read a code (already framed, normalised and through the My Number guard)."""

    device: str
    scan: Scan


@dataclass
class ScanRejected(Message):
    """A device refused a frame; `reason` is a stable code, never the text itself."""

    device: str
    reason: str


@dataclass
class DeviceStatusChanged(Message):
    """A device went online, offline or is reconnecting."""

    device: str
    status: DeviceStatus
    detail: str = ""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DeviceStatusChanged) and message.device == self.device


@dataclass
class DeviceLost(Message):
    """A device's worker stopped because the device went away (or failed); the app schedules a reconnect."""

    device: str
    detail: str = ""


@runtime_checkable
class ScanTarget(Protocol):
    """A screen that takes scans: the app gives each scan (or refused frame) to the screen on top.

    Every kiosk screen and dialog is one (`KioskScreen`, `KioskModal`); each returns False for what it
    does not take, and the app then says the scan is not taken here.
    """

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        """A scanned or typed value; False when this screen takes no scans."""
        ...

    def handle_rejected(self, reason: str, *, device: str | None) -> bool:
        """A frame a driver refused (reason code only); False to let the app show it."""
        ...


@dataclass
class SafeIoReported(Message):
    """The safe's door/lock module reported an event (door, lock, loop or module status)."""

    module: str
    event: Any
