"""The reconnect loop shared by drivers that own an OS handle (serial port, evdev node).

A subclass says how to connect, read a chunk, and disconnect; this class keeps the contract:
`read(timeout)` returns a scan, None, or raises `FrameError` (one rejected frame) or
`DeviceUnavailable` (once, when the device goes away). Later reads poll for the device every
`reconnect_interval` seconds, sleeping in between (never spinning), reopen it and carry on, so a worker
that keeps calling `read` survives unplug and replug. Status changes go to `on_status`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from drivers.contract import DeviceStatus
from drivers.dedup import DEFAULT_WINDOW, Deduplicator
from drivers.errors import DeviceUnavailable, FrameError
from drivers.scan import Scan

log = logging.getLogger(__name__)

DEFAULT_RECONNECT_INTERVAL = 0.25  # seconds between attempts to reopen an unplugged device
_TICK = 0.1  # the longest a single blocking OS read lasts, so partial frames time out promptly

StatusCallback = Callable[[str, DeviceStatus], None]


class ReconnectingDevice:
    """Base for OS-backed scan devices; subclasses implement `_connect`, `_read_chunk`, `_disconnect`.

    `_read_chunk(timeout, now)` blocks up to `timeout` seconds and returns the scans and rejected frames
    it completed; it raises `OSError` (or a subclass-specific error listed in `_lost_errors`) when the
    device went away. `_poll(now)` returns frames that timed out without new input.
    """

    _lost_errors: tuple[type[BaseException], ...] = (OSError,)

    def __init__(
        self,
        name: str,
        *,
        dedup_window: float = DEFAULT_WINDOW,
        reconnect_interval: float = DEFAULT_RECONNECT_INTERVAL,
        on_status: StatusCallback | None = None,
    ) -> None:
        self.name = name
        self.reconnect_interval = reconnect_interval
        self.on_status = on_status
        self._dedup = Deduplicator(dedup_window)
        self._status = DeviceStatus.OFFLINE
        self._wanted = False  # open() was called and close() was not
        self._connected = False
        self._next_attempt = 0.0
        self._ready: deque[Scan | FrameError] = deque()
        # Held around every OS call on the handle, so close() never pulls it from under a read.
        self._io_lock = threading.Lock()

    # -- the contract ---------------------------------------------------------------------------
    @property
    def status(self) -> DeviceStatus:
        return self._status

    def open(self) -> None:
        """Acquire the device; raises `DeviceUnavailable` if it is absent (reads will keep trying)."""
        self._wanted = True
        if self._connected:
            return
        try:
            self._connect()
        except self._lost_errors as exc:
            self._set_status(DeviceStatus.OFFLINE)
            self._next_attempt = time.monotonic() + self.reconnect_interval
            raise DeviceUnavailable(f"{self.name}: cannot open: {exc}") from None
        self._connected = True
        self._set_status(DeviceStatus.ONLINE)

    def read(self, timeout: float | None = None) -> Scan | None:
        """The next scan, or None after `timeout` seconds (None: wait for ever).

        One thread reads; `close()` may come from another thread, and the blocked `read` then raises
        `DeviceUnavailable` within about 0.1 s.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._ready:
                item = self._ready.popleft()
                if isinstance(item, FrameError):
                    raise item
                return item
            if not self._wanted:
                raise DeviceUnavailable(f"{self.name}: not open")
            now = time.monotonic()
            remaining = None if deadline is None else deadline - now
            if not self._connected:
                with self._io_lock:
                    back = self._wanted and self._reconnect(now)
                if not back:
                    wait = self._next_attempt - now
                    if remaining is not None:
                        if remaining <= 0:
                            return None
                        wait = min(wait, remaining)
                    time.sleep(max(wait, 0.0))
                    continue
                remaining = None if deadline is None else deadline - time.monotonic()
            chunk_timeout = _TICK if remaining is None else max(0.0, min(remaining, _TICK))
            with self._io_lock:
                if not (self._wanted and self._connected):
                    continue
                try:
                    items = self._read_chunk(chunk_timeout, time.monotonic())
                except self._lost_errors as exc:
                    self._lost(exc)
                    raise DeviceUnavailable(f"{self.name}: device went away ({type(exc).__name__})") from None
                items += self._poll(time.monotonic())
                self._accept(items, time.monotonic())
            if not self._ready and deadline is not None and time.monotonic() >= deadline:
                return None

    def close(self) -> None:
        """Release the device; harmless to call twice, safe from another thread than the reader's."""
        self._wanted = False
        with self._io_lock:
            if self._connected:
                self._connected = False
                self._safe_disconnect()
            self._ready.clear()
        self._set_status(DeviceStatus.OFFLINE)

    def __enter__(self) -> ReconnectingDevice:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- for subclasses -------------------------------------------------------------------------
    def _connect(self) -> None:
        raise NotImplementedError

    def _read_chunk(self, timeout: float, now: float) -> list[Scan | FrameError]:
        raise NotImplementedError

    def _poll(self, now: float) -> list[Scan | FrameError]:
        return []

    def _disconnect(self) -> None:
        raise NotImplementedError

    def _drop_partial(self) -> int:
        """Forget a partial frame after a disconnect; return how many bytes/keys were dropped."""
        return 0

    # -- internals ------------------------------------------------------------------------------
    def _accept(self, items: list[Scan | FrameError], now: float) -> None:
        for item in items:
            if isinstance(item, Scan):
                if not self._dedup.accept(item, now):
                    log.debug("%s: double read suppressed", self.name)
                    continue
            else:
                # Reason code and length only: the frame may have been an individual number.
                log.info("%s: rejected frame (%s)", self.name, item.reason)
            self._ready.append(item)

    def _lost(self, exc: BaseException) -> None:
        log.warning("%s: device lost (%s: %s); will reconnect", self.name, type(exc).__name__, exc)
        self._connected = False
        self._safe_disconnect()
        dropped = self._drop_partial()
        if dropped:
            log.warning("%s: dropped a partial frame of %d bytes at disconnect", self.name, dropped)
        self._next_attempt = time.monotonic() + self.reconnect_interval
        self._set_status(DeviceStatus.OFFLINE)

    def _reconnect(self, now: float) -> bool:
        if now < self._next_attempt:
            return False
        self._set_status(DeviceStatus.RECONNECTING)
        try:
            self._connect()
        except self._lost_errors as exc:
            log.debug("%s: still absent (%s)", self.name, exc)
            self._next_attempt = time.monotonic() + self.reconnect_interval
            return False
        self._connected = True
        log.warning("%s: reconnected", self.name)
        self._set_status(DeviceStatus.ONLINE)
        return True

    def _safe_disconnect(self) -> None:
        try:
            self._disconnect()
        except self._lost_errors as exc:
            log.debug("%s: error while closing (%s)", self.name, exc)

    def _set_status(self, status: DeviceStatus) -> None:
        if status is self._status:
            return
        self._status = status
        if self.on_status is not None:
            self.on_status(self.name, status)
