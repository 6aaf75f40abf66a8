"""Process-wide settings of a running kiosk (the TUI, and the benchmark that measures its scan path)."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Once the kiosk is up, before the first scan: take what start-up built out of the collector's walk.

    Imports (Textual, SQLAlchemy, OpenCV) and the screens leave a few hundred thousand long-lived
    objects. Python's full collection walked all of them every seven hundred scans or so: one scan in
    seven hundred waited 50–60 ms for it, on the clerk's screen. Frozen objects are still freed by
    reference counting; only cycles among them are no longer collected, and start-up builds them once.
    """
    gc.collect()
    gc.freeze()
