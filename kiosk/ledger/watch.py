"""No window: what a kiosk does around every unit of work of a ledger it opened, and the lock it holds.

- **The checkpoint follows the head.** After every committed unit the head file beside the
  checkpoint (two MACed sector-sized slots written in turn in place, outside the database) moves to
  the new head, so a copy of the ledger file taken at 09:00 and put back at 11:00 is behind it at the
  next start, not only behind the last daily close. The write is seen by every process at once; the
  flush to disk (fdatasync) is batched, at most SYNC_INTERVAL_S after a write, so a unit pays one
  small write and, at most once a second, one flush (`kiosk bench`: checkpoint_per_scan_*).
- **A replaced ledger stops the kiosk.** Before each unit commits, the ledger file must still be the
  file the kiosk opened (same device and inode) and its head must not be behind the last head this
  kiosk committed or read; otherwise the unit raises `LedgerReplaced` before anything is written, and
  so does every later unit (the kiosk shows a red verdict and records nothing more).
- **The lock.** A running kiosk holds a shared lock beside the ledger for its lifetime; `kiosk restore`
  takes it exclusively and refuses while any kiosk holds it, and a kiosk does not start while a restore
  holds it. (An advisory lock on this machine: kiosks on other PCs sharing a PostgreSQL ledger are not
  seen; see docs/integrity.md.)
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.fs import make_private_dir
from kiosk.ledger.anchors import (
    HEAD_SLOT,
    Anchor,
    AnchorError,
    LedgerReplaced,
    head_file,
    head_slot,
    now_text,
)

if TYPE_CHECKING:
    from kiosk.config import Settings

log = logging.getLogger(__name__)

LOCK_NAME = ".ledger.lock"
# The head file is written after every unit and flushed to disk at most this long after a write.
SYNC_INTERVAL_S = 1.0


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class LedgerWatch:
    """The per-unit checks and the checkpoint of one opened ledger (see the module's docstring)."""

    def __init__(
        self, *, database: Path | None, checkpoint: Path, pepper: bytes, ledger_id: str, head_seq: int
    ) -> None:
        self.database = database
        self.identity = _identity(database) if database is not None else None
        self.checkpoint = checkpoint
        self.pepper = pepper
        self.ledger_id = ledger_id
        self.known_seq = head_seq
        self.stopped: str | None = None
        self.checkpoint_failed = False
        self.checkpoint_seconds = 0.0  # time spent writing checkpoints (for `kiosk bench`)
        self.last_seconds = 0.0  # the last checkpoint's
        self.checkpoints = 0
        self._fd = -1  # the head file, opened at the first commit and kept open
        self._slot = 0
        self._synced_at = -SYNC_INTERVAL_S  # the first write is flushed at once
        self._dirty = False

    def sync(self) -> None:
        """Flush a head written since the last flush (`close`, and a test that cuts the power)."""
        if self._fd >= 0 and self._dirty:
            os.fdatasync(self._fd)
            self._synced_at = time.monotonic()
            self._dirty = False

    def close(self) -> None:
        """Flush and close the head file (the process is done with the ledger)."""
        if self._fd >= 0:
            self.sync()
            os.close(self._fd)
            self._fd = -1

    def check(self, head_seq: int) -> None:
        """Inside a unit, with the head read under the write lock. Raises LedgerReplaced."""
        if self.stopped is None:
            if self.database is not None and _identity(self.database) != self.identity:
                self.stopped = (
                    f"the ledger file {self.database.name} was replaced or removed under this running "
                    "kiosk (it is another file now)"
                )
            elif head_seq < self.known_seq:
                self.stopped = (
                    f"the ledger's head went back from seq {self.known_seq} to seq {head_seq} under this "
                    "running kiosk (an older copy was put in its place)"
                )
        if self.stopped is not None:
            log.error("ledger replaced: %s; this kiosk writes nothing more", self.stopped)
            raise LedgerReplaced(
                f"{self.stopped}: nothing was recorded. Stop the kiosk and call the supervisor "
                "(README: Integrity)."
            )
        self.known_seq = head_seq

    def committed(self, seq: int, digest: str) -> None:
        """After a unit committed: the head file moves to its head (MACed; flushed within a second)."""
        self.known_seq = max(self.known_seq, seq)
        started = time.perf_counter()
        try:
            slot = head_slot(self.pepper, Anchor(seq, digest, now_text(), "", self.ledger_id))
            if self._fd < 0:
                path = head_file(self.checkpoint)
                make_private_dir(path.parent)
                self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            # One sector-sized slot in place, in turn: no temporary file, no rename. The write is seen
            # at once by every process (a copy put back is refused from now on); the flush to disk is
            # batched, at most SYNC_INTERVAL_S after the write (a power cut can only leave the file a
            # little behind the ledger, never ahead of it: it is written after the commit).
            os.pwrite(self._fd, slot, self._slot * HEAD_SLOT)
            self._slot ^= 1
            now = time.monotonic()
            if now - self._synced_at >= SYNC_INTERVAL_S:
                os.fdatasync(self._fd)
                self._synced_at = now
                self._dirty = False
            else:
                self._dirty = True
        except (OSError, AnchorError) as exc:
            # The unit is committed: say so, never pretend it failed. The window is open until the next
            # checkpoint that can be written; the log says so once.
            if not self.checkpoint_failed:
                log.error(
                    "cannot write the checkpoint %s: %s",
                    self.checkpoint.name,
                    getattr(exc, "strerror", None) or type(exc).__name__,
                )
            self.checkpoint_failed = True
            return
        self.checkpoint_failed = False
        self.last_seconds = time.perf_counter() - started
        self.checkpoint_seconds += self.last_seconds
        self.checkpoints += 1


def lock_path(settings: Settings) -> Path:
    """The lock file both a running kiosk and `kiosk restore` use: beside a SQLite ledger, else in the
    data directory."""
    from kiosk.config import data_paths, sqlite_file

    database = sqlite_file(settings.ledger.url)
    if database is not None:
        return database.with_name(f".{database.name}.lock")
    return data_paths(settings).root / LOCK_NAME


@dataclass
class Hold:
    """A lock on the ledger held by this process (shared: a running kiosk; exclusive: a restore)."""

    path: Path
    fd: int

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing the descriptor releases the lock
            self.fd = -1


class LedgerBusy(Exception):
    """The lock is held the other way (a restore under way, or a kiosk running)."""


def take(settings: Settings, *, exclusive: bool) -> Hold:
    """Take the ledger lock without waiting. Raises LedgerBusy."""
    from kiosk.fs import make_private_dir

    path = lock_path(settings)
    make_private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        if exclusive:
            raise LedgerBusy(
                "a kiosk is running on this ledger (it holds the ledger lock): stop every kiosk, "
                "supervisor view and timer on this PC first, then restore"
            ) from None
        raise LedgerBusy("a restore of this ledger is under way: wait until it is done") from None
    return Hold(path, fd)
