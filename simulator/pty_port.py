"""A real tty pair standing in for a USB-serial device, for the simulated scanner and UHF reader."""

from __future__ import annotations

import contextlib
import os
import threading
import tty
from pathlib import Path


class PtyPort:
    """`os.openpty()` with an optional stable link (like /dev/serial/by-id/...).

    The driver opens `.path`. `unplug()` closes the tty and removes the link, so the driver's reads
    fail as they do when a cable is pulled; `replug()` makes a fresh tty (a new /dev/pts/N) behind the
    same link, or behind `new_path`. `lock` guards the descriptors against a concurrent unplug.
    """

    def __init__(self, link: str | Path | None = None) -> None:
        self.link = Path(link) if link is not None else None
        self.lock = threading.Lock()
        self.master = -1
        self.slave = -1
        self.tty_path = ""
        self._plug()

    @property
    def path(self) -> str:
        return str(self.link) if self.link is not None else self.tty_path

    @property
    def present(self) -> bool:
        return self.master >= 0

    def _plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing: bytes pass as the device sent them
        self.master, self.slave = master, slave
        self.tty_path = os.ttyname(slave)
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
            self.link.symlink_to(self.tty_path)

    def unplug(self) -> None:
        """The tty vanishes and the link with it."""
        with self.lock:
            if self.link is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.link.unlink()
            for fd in (self.master, self.slave):
                if fd >= 0:
                    os.close(fd)
            self.master = self.slave = -1

    def replug(self, new_path: str | None = None) -> None:
        """A fresh tty behind the link (or at `new_path`); nothing happens while still plugged in."""
        with self.lock:
            if self.master >= 0:
                return
            if new_path is not None:
                self.link = Path(new_path)
            self._plug()


class OnPtyPort:
    """Mixin for a simulated device behind a `PtyPort` (in `self.port`): where the driver opens it."""

    port: PtyPort

    @property
    def path(self) -> str:
        return self.port.path

    @property
    def tty_path(self) -> str:
        return self.port.tty_path

    @property
    def present(self) -> bool:
        return self.port.present
