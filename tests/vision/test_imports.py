"""The vision and RFID modules load their heavy libraries only when used (the lazy-registry rule)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import drivers, drivers.decode, drivers.camera, drivers.camera_sources, drivers.rfid, drivers.rfid_uhf
import simulator.render, simulator.camera, simulator.uhf, simulator.rfid
from drivers import registry
print(json.dumps({"modules": sorted(m.split(".")[0] for m in sys.modules), "drivers": registry.names()}))
"""


def test_heavy_libraries_load_only_when_used() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    loaded = set(result["modules"])
    for forbidden in ("cv2", "zxingcpp", "pyzbar", "barcode", "PIL", "textual", "sqlalchemy", "kiosk"):
        assert forbidden not in loaded, forbidden
    assert {"camera", "rfid-uhf", "decode-zxing", "decode-pyzbar"} <= set(result["drivers"])


def test_registry_loads_the_camera_and_uhf_reader() -> None:
    from drivers import registry
    from drivers.camera import Camera
    from drivers.rfid_uhf import UhfReader

    assert registry.load("camera") is Camera
    assert registry.load("rfid-uhf") is UhfReader
