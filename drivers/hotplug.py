"""Waiting for a device path to appear, without polling it: inotify through ctypes (Linux), with a
plain sleep as the fallback elsewhere.

A replugged scanner's `/dev/serial/by-id/...` link (or a socat link, or a configured `/dev/ttyACM0`)
appears a few milliseconds after the kernel sees the device; a reconnect that polls every 0.25 s opens
it late, and pyserial drops whatever arrived before the port was opened. `PathWatcher(path).wait(t)`
returns as soon as something is created, moved or changed in the directory that holds `path` (or in
the nearest existing ancestor, because udev removes `/dev/serial/by-id` itself with the last device),
so the driver tries to open at once.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import logging
import os
import select
import time
from pathlib import Path

log = logging.getLogger(__name__)

IN_ATTRIB = 0x00000004
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_MASK = IN_CREATE | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF

_libc: ctypes.CDLL | None = None


def _load_libc() -> ctypes.CDLL | None:
    global _libc
    if _libc is None:
        name = ctypes.util.find_library("c")
        if name is None:
            return None
        try:
            lib = ctypes.CDLL(name, use_errno=True)
            lib.inotify_init1  # noqa: B018 - raises AttributeError where inotify does not exist
        except (OSError, AttributeError):
            return None
        _libc = lib
    return _libc


def inotify_available() -> bool:
    """True where inotify can be used (Linux with a C library that exports it)."""
    return _load_libc() is not None


class PathWatcher:
    """Wakes up when `path` may have appeared; `wait(timeout)` -> True if something changed.

    Falls back to sleeping `timeout` (returning False) where inotify is unavailable. Not thread-safe:
    one reader thread waits; `close()` releases the descriptor.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd = -1
        self._watched: Path | None = None
        lib = _load_libc()
        if lib is not None:
            fd = lib.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
            if fd >= 0:
                self._fd = fd
            else:
                log.debug("inotify_init1 failed (%s); polling instead", os.strerror(ctypes.get_errno()))

    @property
    def uses_inotify(self) -> bool:
        return self._fd >= 0

    def _watch(self) -> None:
        """Watch the directory of `path`, or its nearest existing ancestor."""
        lib = _libc
        if lib is None or self._fd < 0:
            return
        target = self.path.parent
        while not target.exists() and target != target.parent:
            target = target.parent
        if target == self._watched:
            return
        wd = lib.inotify_add_watch(self._fd, os.fsencode(target), _MASK)
        if wd < 0:
            log.debug("cannot watch %s (%s)", target, os.strerror(ctypes.get_errno()))
            return
        self._watched = target

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds for a change near `path`; True when one happened."""
        if self._fd < 0:
            time.sleep(max(0.0, timeout))
            return False
        self._watch()
        try:
            ready, _, _ = select.select([self._fd], [], [], max(0.0, timeout))
        except (OSError, ValueError):
            return False
        if not ready:
            return False
        self._drain()
        # A directory that appeared (by-id after the first device) is watched from now on.
        self._watched = None
        return True

    def _drain(self) -> None:
        while True:
            try:
                if not os.read(self._fd, 4096):
                    return
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    return
                raise

    def close(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)
