"""The safe's own signals: a door contact and an electric lock on a Modbus I/O module (RTU or TCP).

- `drivers.safe_io.target`: the URL (`modbus-tcp://HOST:PORT?...`, `modbus-rtu:///dev/...?...`) and
  the wiring it names, checked with clear errors (`SafeIoSettingsError`). Plain Python.
- `drivers.safe_io.sense`: sans-IO: input bits and loop readings (with the time passed in) to
  `DoorChanged`, `LineChanged` events; `LockChanged` and `ModuleStatus` complete the event stream.
- `drivers.safe_io.device`: `SafeIo`, the I/O part over pymodbus: `open()`, `read(timeout)` -> event or
  None, `close()`, and `release(seconds)` / `engage()` for the relay.

This package is not in `drivers.registry`: that registry maps scanner names to `ScanDevice` classes,
and the safe's module yields door events, not scans. `SafeIo` loads pymodbus only when
`drivers.safe_io.device` is imported; `is_usable()` says whether it can be.
"""

from __future__ import annotations

import importlib.util

from drivers.safe_io.sense import (
    DoorChanged,
    DoorState,
    LineChanged,
    LineState,
    LockChanged,
    LockState,
    ModuleStatus,
    SafeIoEvent,
    SafeIoSense,
)
from drivers.safe_io.target import (
    LineLimits,
    LockKind,
    Polarity,
    SafeIoSettingsError,
    SafeIoTarget,
    parse_url,
)


def is_usable() -> tuple[bool, str]:
    """(True, "") when pymodbus is installed, else (False, what to install)."""
    if importlib.util.find_spec("pymodbus") is None:
        return False, "pymodbus is not installed: pip install 'pymodbus>=3.16,<3.17'"
    return True, ""


__all__ = [
    "DoorChanged",
    "DoorState",
    "LineChanged",
    "LineLimits",
    "LineState",
    "LockChanged",
    "LockKind",
    "LockState",
    "ModuleStatus",
    "Polarity",
    "SafeIoEvent",
    "SafeIoSense",
    "SafeIoSettingsError",
    "SafeIoTarget",
    "is_usable",
    "parse_url",
]
