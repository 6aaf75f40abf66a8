"""`KeyboardWedge`: the terminal wedge as a `ScanDevice`, for code that wants the one contract.

The UI thread feeds keys (`feed_key`, `feed`, `feed_paste`); a worker thread calls `read(timeout)`
like on any other scanner. Thread-safe. A terminal cannot see a keyboard being unplugged, so
availability is whatever the feeding side reports (`set_available`); the simulator uses that.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from drivers.contract import DeviceStatus
from drivers.errors import DeviceUnavailable, FrameError
from drivers.payload import PayloadRules
from drivers.scan import DEFAULT_DEDUP_WINDOW, Deduplicator, Scan, Symbology
from drivers.wedge import TERMINAL_TIMING, TypedText, WedgeDecoder, WedgeResult, WedgeTiming

_POLL = 0.05


class KeyboardWedge:
    """A wedge decoder behind the `ScanDevice` contract. `TypedText` results are kept in `typed`."""

    def __init__(
        self,
        name: str = "wedge",
        *,
        timing: WedgeTiming = TERMINAL_TIMING,
        rules: PayloadRules | Mapping[str, Any] | None = None,
        dedup_window: float = DEFAULT_DEDUP_WINDOW,
        max_key_gap_ms: int | None = None,
        uid_format: str | None = None,
    ) -> None:
        self.name = name
        if max_key_gap_ms is not None:
            timing = WedgeTiming.for_max_key_gap(
                max_key_gap_ms, timing.min_length, gap_setting="max_key_gap_ms"
            )
        self.decoder = WedgeDecoder(
            name, timing=timing, rules=PayloadRules.coerce(rules, Symbology.KEYBOARD), uid_format=uid_format
        )
        self._dedup = Deduplicator(dedup_window)
        self._cond = threading.Condition()
        self._ready: deque[Scan | FrameError] = deque()
        self.typed: deque[TypedText] = deque(maxlen=32)
        self._open = False
        self._available = True
        self._lost_pending = False  # report DeviceUnavailable once per loss

    @property
    def status(self) -> DeviceStatus:
        return DeviceStatus.ONLINE if self._open and self._available else DeviceStatus.OFFLINE

    def open(self) -> None:
        with self._cond:
            if not self._available:
                raise DeviceUnavailable(f"{self.name}: keyboard absent")
            self._open = True

    def close(self) -> None:
        with self._cond:
            self._open = False
            self._ready.clear()
            self.decoder.reset()
            self._cond.notify_all()

    def set_available(self, available: bool) -> None:
        """The feeding side says the keyboard went away (False) or came back (True)."""
        with self._cond:
            if self._available and not available:
                self._lost_pending = True
                self.decoder.reset()
            self._available = available
            self._cond.notify_all()

    # -- feeding (UI thread) ----------------------------------------------------------------------
    def feed(self, char: str, t: float) -> None:
        with self._cond:
            self._take(self.decoder.feed(char, t), t)

    def feed_key(self, key: str, character: str | None, t: float) -> None:
        with self._cond:
            self._take(self.decoder.feed_key(key, character, t), t)

    def feed_paste(self, text: str, t: float) -> None:
        with self._cond:
            self._take(self.decoder.feed_paste(text, t), t)

    def _take(self, results: list[WedgeResult], now: float) -> None:
        if not self._open or not self._available:
            return
        for r in results:
            if isinstance(r, TypedText):
                self.typed.append(r)
            elif isinstance(r, FrameError) or self._dedup.accept(r, now):
                self._ready.append(r)
        if self._ready:
            self._cond.notify_all()

    # -- reading (worker thread) ------------------------------------------------------------------
    def read(self, timeout: float | None = None) -> Scan | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if not self._open:
                    raise DeviceUnavailable(f"{self.name}: not open")
                if self._lost_pending:
                    self._lost_pending = False
                    raise DeviceUnavailable(f"{self.name}: keyboard went away")
                if self._ready:
                    item = self._ready.popleft()
                    if isinstance(item, FrameError):
                        raise item
                    return item
                now = time.monotonic()
                self._take(self.decoder.poll(now), now)
                if self._ready:
                    continue
                if deadline is not None and now >= deadline:
                    return None
                wait = _POLL if deadline is None else min(_POLL, deadline - now)
                self._cond.wait(wait)
