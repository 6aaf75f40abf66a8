"""The one synchronous contract every input device keeps (like python-can's `recv(timeout)`)."""

from __future__ import annotations

import enum
from typing import Protocol, runtime_checkable

from drivers.scan import Scan


class DeviceStatus(enum.StrEnum):
    """What the status bar shows for a device."""

    ONLINE = "online"
    OFFLINE = "offline"
    RECONNECTING = "reconnecting"


@runtime_checkable
class ScanDevice(Protocol):
    """A device that yields scans.

    - `open()` acquires the device; raises `DeviceUnavailable` if it is absent.
    - `read(timeout)` returns the next `Scan`, or None when nothing arrived within `timeout` seconds;
      raises `FrameError` for a rejected frame (the next call goes on reading) and `DeviceUnavailable`
      when the device went away.
    - `close()` releases it; calling it twice is harmless.
    """

    name: str

    @property
    def status(self) -> DeviceStatus: ...

    def open(self) -> None: ...

    def read(self, timeout: float | None = None) -> Scan | None: ...

    def close(self) -> None: ...
