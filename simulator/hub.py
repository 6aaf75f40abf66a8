"""The hub a test (or the demo) holds: named simulated devices and the faults to inject into them.

    hub = SimHub(Cabinet.generate(20))
    line = hub.add_serial("counter")            # reachable as hub.url("counter") == "sim://<id>/counter"
    scanner = SerialScanner(hub.url("counter"))
    hub.scan("counter", hub.cabinet.ids()[0])
    hub.unplug("counter"); hub.replug("counter")

The camera and the UHF reader join with `hub.add_camera(name)` / `hub.add_uhf(name)`, the safe's I/O
module with `hub.add_safe_io(name)` (any other device
with `hub.attach(name, device)`); anything that has
`name`, `scan(code)`, `unplug()`, `replug(new_path=None)` and `close()` is a `SimDevice`. Optional
faults (`garbage`, `send_raw`, `split`, `merged`, `stall`, `resume`) are looked up by name, so a device
offers the ones that make sense for it.

Live hubs are kept in a registry keyed by `hub.id` (weakly), so the `sim://` pyserial URL handler in
another thread can find the device a driver asks for; there is no other module state.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from simulator.cabinet import Cabinet


@runtime_checkable
class SimDevice(Protocol):
    """What the hub needs from any simulated device."""

    name: str

    def scan(self, code: str) -> None: ...

    def unplug(self) -> None: ...

    def replug(self, new_path: str | None = None) -> None: ...

    def close(self) -> None: ...


_HUBS: weakref.WeakValueDictionary[str, SimHub] = weakref.WeakValueDictionary()
_COUNTER = itertools.count(1)
_LOCK = threading.Lock()


def find_hub(hub_id: str) -> SimHub:
    """The live hub with this id (for URL handlers); KeyError when it is gone."""
    return _HUBS[hub_id]


class SimHub:
    """A set of named simulated devices over one virtual cabinet. Use as a context manager."""

    def __init__(self, cabinet: Cabinet | None = None, *, hub_id: str | None = None) -> None:
        self.cabinet = cabinet if cabinet is not None else Cabinet()
        with _LOCK:
            self.id = hub_id or f"hub{next(_COUNTER)}"
            if self.id in _HUBS:
                raise ValueError(f"a hub with id {self.id!r} is already live")
            _HUBS[self.id] = self
        self.devices: dict[str, SimDevice] = {}

    # -- devices ---------------------------------------------------------------------------------
    def attach(self, name: str, device: SimDevice) -> SimDevice:
        """Add a device under `name` (camera, UHF reader and other simulators join this way)."""
        if name in self.devices:
            raise ValueError(f"device {name!r} already attached")
        self.devices[name] = device
        return device

    def device(self, name: str) -> SimDevice:
        try:
            return self.devices[name]
        except KeyError:
            raise KeyError(f"no simulated device {name!r}; have {sorted(self.devices)}") from None

    def rename(self, old: str, new: str) -> None:
        """Move a device to a new name (a sim:// device replugged under a new path)."""
        if new in self.devices:
            raise ValueError(f"device {new!r} already attached")
        dev = self.devices.pop(old)
        dev.name = new
        self.devices[new] = dev

    def add_serial(self, name: str, **format_options: Any) -> Any:
        """A serial scanner reachable at `hub.url(name)`; options go to `ScanFormat`."""
        from simulator.serial_sim import ScanFormat, SimSerialLine

        return self.attach(name, SimSerialLine(name, ScanFormat(**format_options), hub=self))

    def add_pty(self, name: str, link: str | Path | None = None, **format_options: Any) -> Any:
        """A serial scanner on a real pseudo-terminal (`.path` is `link` when given, else the tty)."""
        from simulator.serial_sim import PtySerialScanner, ScanFormat

        return self.attach(name, PtySerialScanner(name, link=link, fmt=ScanFormat(**format_options)))

    def add_keyboard(self, name: str, **options: Any) -> Any:
        """A wedge scanner typing into a `KeyboardWedge` (connect it with `.connect(wedge)`)."""
        from simulator.keys import SimKeyboard

        return self.attach(name, SimKeyboard(name, **options))

    def add_evdev(self, name: str, **options: Any) -> Any:
        """An evdev input node; pass `hub.evdev_opener` to `EvdevScanner(opener=...)`."""
        from simulator.keys import SimEvdevNode

        return self.attach(name, SimEvdevNode(name, **options))

    def add_camera(self, name: str, **options: Any) -> Any:
        """A webcam over this hub's cabinet (`simulator.camera.SimCamera`); pass it to `Camera(...)`."""
        from simulator.camera import SimCamera

        return self.attach(name, SimCamera(name, self.cabinet, **options))

    def add_uhf(self, name: str, **options: Any) -> Any:
        """A UHF reader on a pty over this hub's cabinet (`simulator.uhf.SimUhfReader`); open `.path`."""
        from simulator.uhf import SimUhfReader

        return self.attach(name, SimUhfReader(name, self.cabinet, **options))

    def add_safe_io(self, name: str, **options: Any) -> Any:
        """The safe's Modbus I/O module (`simulator.safe_io.SimSafeModule`), started; the driver opens
        `.url`. `options`: transport ("tcp" or "rtu"), unit, door_input, relay, line_input, polarity, lock."""
        from simulator.safe_io import SimSafeModule

        return self.attach(name, SimSafeModule(name, **options).start())

    def url(self, name: str) -> str:
        """The pyserial URL of a `add_serial` device."""
        return f"sim://{self.id}/{name}"

    def evdev_opener(self, path: str) -> Any:
        """Opens `path` (a device name on this hub) like `evdev.InputDevice`; FileNotFoundError if absent."""
        from simulator.keys import SimEvdevNode

        dev = self.devices.get(path)
        if not isinstance(dev, SimEvdevNode):
            raise FileNotFoundError(path)
        return dev.open_handle()

    # -- actions and faults ----------------------------------------------------------------------
    def scan(self, name: str, code: str) -> None:
        self.device(name).scan(code)

    def unplug(self, name: str) -> None:
        self.device(name).unplug()

    def replug(self, name: str, new_path: str | None = None) -> None:
        self.device(name).replug(new_path)

    def fault(self, name: str, fault: str, *args: Any, **kwargs: Any) -> Any:
        """Call an optional fault on a device: garbage, send_raw, split, merged, stall, resume, ..."""
        method = getattr(self.device(name), fault, None)
        if method is None:
            raise TypeError(f"device {name!r} does not simulate {fault!r}")
        return method(*args, **kwargs)

    def garbage(self, name: str, data: bytes) -> None:
        self.fault(name, "garbage", data)

    def close(self) -> None:
        """Unplug and release every device (ptys, links); the hub leaves the registry."""
        for dev in list(self.devices.values()):
            dev.close()
        self.devices.clear()
        _HUBS.pop(self.id, None)

    def __enter__(self) -> SimHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
