"""The safe I/O driver and its simulator pull in neither the UI, the database nor the kiosk."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import drivers.safe_io, drivers.safe_io.device, simulator.safe_io, simulator.hub
print(json.dumps(sorted(m.split(".")[0] for m in sys.modules)))
"""

PLAIN = """
import json, sys
import drivers.safe_io
print(json.dumps(sorted(m.split(".")[0] for m in sys.modules)))
"""


def loaded(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_driver_and_simulator_load_neither_textual_nor_sqlalchemy_nor_kiosk() -> None:
    modules = loaded(PROBE)
    assert {"drivers", "simulator", "pymodbus"} <= modules
    for forbidden in ("textual", "sqlalchemy", "alembic", "kiosk"):
        assert forbidden not in modules, forbidden


def test_the_url_and_the_sans_io_half_need_no_pymodbus() -> None:
    # kiosk.config checks [safe_io] at start on every kiosk, with or without the module.
    assert "pymodbus" not in loaded(PLAIN)
