"""The reconnect loop shared by drivers that own an OS handle (serial port, evdev node).

A subclass says how to connect, read a chunk, and disconnect; this class keeps the contract:
`read(timeout)` returns a scan, None, or raises `FrameError` (one rejected frame) or
`DeviceUnavailable` (once, when the device goes away). Later reads poll for the device every
`reconnect_interval` seconds, sleeping in between (never spinning), reopen it and carry on, so a worker
that keeps calling `read` survives unplug and replug. Status changes go to `on_status`.

A device with a path (`_watch_path()`) is also watched with inotify (`drivers.hotplug`): the reopen is
tried the moment its directory changes, so a scan sent 50 ms after a replug is read rather than lost
before the port was opened. Polling stays as the fallback (no inotify, a permission that changes
later).
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from drivers.contract import DeviceStatus
from drivers.errors import DeviceUnavailable, FrameError
from drivers.hotplug import PathWatcher
from drivers.scan import DEFAULT_DEDUP_WINDOW, Deduplicator, Scan

log = logging.getLogger(__name__)

DEFAULT_RECONNECT_INTERVAL = 0.25  # seconds between attempts to reopen an unplugged device
_TICK = 0.1  # the longest a single blocking OS read lasts, so partial frames time out promptly

StatusCallback = Callable[[str, DeviceStatus], None]


def why_unavailable(exc: BaseException) -> str:
    """A short, stable reason an open failed: "path absent", "permission denied", "busy" or the error.

    The status bar and the log show it beside 切断 / offline, so a technician knows what to fix.
    """
    err = getattr(exc, "errno", None)
    text = str(exc).lower()
    if (
        isinstance(exc, FileNotFoundError)
        or err == errno.ENOENT
        or "no such file" in text
        or "absent" in text
    ):
        return "path absent"
    if isinstance(exc, PermissionError) or err in (errno.EACCES, errno.EPERM) or "permission denied" in text:
        return "permission denied"
    if err == errno.EBUSY or "busy" in text or "could not exclusively lock" in text:
        return "busy (another program has it open)"
    if err == errno.ENODEV or "unplugged" in text or "no such device" in text:
        return "device gone"
    return type(exc).__name__


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
        dedup_window: float = DEFAULT_DEDUP_WINDOW,
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
        self._watcher: PathWatcher | None = None
        self.last_error = ""  # why the last open failed ("absent", "permission denied", "busy", ...)

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
            self.last_error = why_unavailable(exc)
            self._set_status(DeviceStatus.OFFLINE)
            self._next_attempt = time.monotonic() + self.reconnect_interval
            raise DeviceUnavailable(f"{self.name}: cannot open ({self.last_error}): {exc}") from None
        self._connected = True
        self.last_error = ""
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
                    self._wait_for_device(max(wait, 0.0))
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
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.close()
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

    def _watch_path(self) -> str | None:
        """The filesystem path whose appearance means the device is back (None: poll only)."""
        return None

    def _wait_for_device(self, wait: float) -> None:
        """Sleep until the next reopen attempt, or until the device's path changes (inotify)."""
        if self._watcher is None:
            path = self._watch_path()
            if path is not None:
                self._watcher = PathWatcher(path)
        watcher = self._watcher
        if watcher is None or not watcher.uses_inotify:
            time.sleep(wait)
            return
        # Wake at least every 0.1 s, so that close() from another thread is noticed promptly.
        if watcher.wait(min(wait, _TICK)):
            self._next_attempt = 0.0  # something appeared: try to open it now

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
            why = why_unavailable(exc)
            if why != self.last_error:
                log.warning("%s: cannot open (%s)", self.name, why)
            else:
                log.debug("%s: still unavailable (%s)", self.name, exc)
            self.last_error = why
            self._next_attempt = time.monotonic() + self.reconnect_interval
            return False
        self._connected = True
        self.last_error = ""
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
