"""Hardware drivers for the card-safe kiosk: scanners, camera, RFID.

Nothing here knows Textual, SQLAlchemy or the kiosk; see `drivers.contract` for the device contract.
"""

from drivers.contract import DeviceStatus, ScanDevice
from drivers.errors import DeviceUnavailable, DriverError, DriverNotUsable, FrameError
from drivers.scan import Scan, Symbology

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
