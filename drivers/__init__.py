"""Hardware drivers for the card-safe kiosk: scanners, camera, RFID.

Nothing here knows Textual, SQLAlchemy or the kiosk; see `drivers.contract` for the device contract.
Scanner drivers: `serial` (`drivers.serial_scanner.SerialScanner`), `wedge`
(`drivers.wedge_device.KeyboardWedge`, fed by the terminal UI) and `evdev`
(`drivers.evdev_scanner.EvdevScanner`), loaded through `drivers.registry`. Camera: `camera`
(`drivers.camera.Camera`, decoding in `drivers.decode`); RFID: `rfid-uhf` (`drivers.rfid_uhf.UhfReader`).
The safe's door contact and lock on a Modbus I/O module: `drivers.safe_io` (not a scanner, so not in
the registry).
"""

from drivers import registry
from drivers.contract import DeviceStatus, ScanDevice
from drivers.errors import DeviceUnavailable, DriverError, DriverNotUsable, FrameError
from drivers.scan import Scan, Symbology

registry.register("serial", "drivers.serial_scanner:SerialScanner")
registry.register("wedge", "drivers.wedge_device:KeyboardWedge")
registry.register("evdev", "drivers.evdev_scanner:EvdevScanner")
registry.register("camera", "drivers.camera:Camera")
registry.register("rfid-uhf", "drivers.rfid_uhf:UhfReader")

__all__ = [
    "DeviceStatus",
    "DeviceUnavailable",
    "DriverError",
    "DriverNotUsable",
    "FrameError",
    "Scan",
    "ScanDevice",
    "Symbology",
]
