"""The screens never import the app at run time: the app imports the screens, not the other way round.

Screens name `KioskApp` only under TYPE_CHECKING and reach it through `self.kiosk`; the app gives scans
to whichever screen is on top through the `ScanTarget` protocol. An import circle between them would
show here as `kiosk.tui.app` loaded by importing the screens alone.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import kiosk.tui.screens.base, kiosk.tui.screens.home, kiosk.tui.screens.session
import kiosk.tui.screens.stocktake, kiosk.tui.screens.history, kiosk.tui.screens.signin
import kiosk.tui.screens.dialogs, kiosk.tui.screens.pick_list, kiosk.tui.screens.due, kiosk.tui.screens.help
import kiosk.tui.screens.demo, kiosk.tui.screens.scanning, kiosk.tui.screens.two_person
print(json.dumps(sorted(sys.modules)))
"""


def test_the_screens_load_without_the_app() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert "kiosk.tui.screens.session" in loaded
    assert "kiosk.tui.app" not in loaded


def test_every_kiosk_screen_and_dialog_takes_scans_through_the_protocol() -> None:
    from kiosk.tui.messages import ScanTarget
    from kiosk.tui.screens.base import KioskModal, KioskScreen
    from kiosk.tui.screens.dialogs import EntryModal
    from kiosk.tui.screens.session import SessionScreen

    for cls in (KioskScreen, KioskModal, EntryModal, SessionScreen):
        assert issubclass(cls, ScanTarget), cls.__name__
