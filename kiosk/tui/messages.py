"""Messages the device workers post to the app (the only thing a worker thread ever does).

They are dataclasses; status messages use `can_replace`, so a flapping cable collapses to the newest
status instead of flooding the queue.
"""

from __future__ import annotations

from dataclasses import dataclass

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
