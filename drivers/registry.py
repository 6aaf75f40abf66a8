"""A lazy registry: driver name -> (module, class), imported only when chosen.

Heavy optional dependencies (OpenCV, zbar, evdev) load only for the drivers a kiosk configures.
"""

from __future__ import annotations

import importlib
from typing import Any

from drivers.errors import DriverNotUsable

# Each entry: name -> "module:Class". Modules with optional dependencies expose `is_usable()`.
DRIVERS: dict[str, str] = {}


def register(name: str, target: str) -> None:
    """Register a driver under `name` as "package.module:ClassName" (no import happens here)."""
    DRIVERS[name] = target


def names() -> list[str]:
    """The registered driver names, sorted."""
    return sorted(DRIVERS)


def load(name: str) -> type[Any]:
    """Import and return the driver class for `name`.

    Raises KeyError for an unknown name and `DriverNotUsable` when the module says it cannot run here.
    """
    try:
        target = DRIVERS[name]
    except KeyError:
        raise KeyError(f"unknown driver {name!r}; known: {', '.join(names()) or 'none'}") from None
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    check = getattr(module, "is_usable", None)
    if check is not None:
        usable, why = check()
        if not usable:
            raise DriverNotUsable(f"driver {name!r} cannot run here: {why}")
    cls: type[Any] = getattr(module, class_name)
    return cls
