"""drivers and simulator never pull in the UI or the database (the import-linter contract, at run time)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import drivers, drivers.serial_scanner, drivers.wedge, drivers.wedge_device, drivers.evdev_scanner
import simulator, simulator.hub, simulator.serial_sim, simulator.keys, simulator.scenario
print(json.dumps(sorted(m.split(".")[0] for m in sys.modules)))
"""


def test_drivers_and_simulator_load_neither_textual_nor_sqlalchemy() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert "drivers" in loaded
    assert "simulator" in loaded
    for forbidden in ("textual", "sqlalchemy", "alembic", "kiosk", "evdev", "cv2"):
        assert forbidden not in loaded, forbidden
