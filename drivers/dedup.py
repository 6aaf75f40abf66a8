"""Double-read suppression, sans-IO: the same code from the same device within a window counts once.

Scanners in presentation mode re-read a label that stays under the window; a clerk who scans twice in
a hurry means it once. The window slides: every repeat restarts it, so a label held under the scanner
is reported once however long it stays, and a deliberate rescan after a pause of `window` seconds
counts again.
"""

from __future__ import annotations

from drivers.scan import Scan

DEFAULT_WINDOW = 1.5  # seconds


class Deduplicator:
    """`accept(scan, now)` is True for a scan to report, False for a double read.

    `now` is seconds on any monotonic clock, passed in (never read here). `window=0` disables it.
    """

    def __init__(self, window: float = DEFAULT_WINDOW) -> None:
        if window < 0:
            raise ValueError("window must be >= 0")
        self.window = window
        self._last_seen: dict[tuple[str, str], float] = {}

    def accept(self, scan: Scan, now: float) -> bool:
        """Record `scan` at `now`; True when it is not a repeat within the window."""
        if self.window == 0:
            return True
        self._expire(now)
        key = (scan.source, scan.code)
        previous = self._last_seen.get(key)
        self._last_seen[key] = now
        return previous is None or now - previous > self.window

    def forget(self) -> None:
        """Forget every recent code (e.g. when a stocktake round starts)."""
        self._last_seen.clear()

    def _expire(self, now: float) -> None:
        if len(self._last_seen) > 64:
            self._last_seen = {k: t for k, t in self._last_seen.items() if now - t <= self.window}
