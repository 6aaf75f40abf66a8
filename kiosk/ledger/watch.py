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
  holds it. The file lock is seen on this PC only, so on PostgreSQL (several PCs share the ledger) the
  same lock is also a PostgreSQL advisory lock keyed by the ledger's id, held on a connection of its
  own for the process's life: shared by every kiosk, exclusive for a restore. When that connection
  drops (server restart, network cut) the server releases the lock and the kiosk does not take it
  again: a restore could then run beside it. The kiosk's per-unit check still stops it when the
  restore put its head behind what it committed (`LedgerReplaced`); docs/integrity.md says so.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from kiosk.ledger.staff_journal import append as append_journal
from kiosk.ledger.staff_journal import journal_file, last_number

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from kiosk.config import Settings
    from kiosk.ledger.chain import EventRecord

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
        self,
        *,
        database: Path | None,
        checkpoint: Path,
        pepper: bytes,
        ledger_id: str,
        head_seq: int,
        kiosk: str | None = None,
    ) -> None:
        self.database = database
        self.identity = _identity(database) if database is not None else None
        self.checkpoint = checkpoint
        self.pepper = pepper
        self.ledger_id = ledger_id
        self.kiosk = kiosk  # named in each journal line: a restore on another PC reads this PC's journal
        # PostgreSQL: the PCs the chain named as keeping a journal at this PC's last staff unit, written
        # into each journal line (kiosk.ledger.kiosk_folders).
        self.known_kiosks: tuple[str, ...] | None = None
        self.known_seq = head_seq
        self.stopped: str | None = None
        self.checkpoint_failed = False
        self.checkpoint_seconds = 0.0  # time spent writing checkpoints (for `kiosk bench`)
        self.last_seconds = 0.0  # the last checkpoint's
        self.checkpoints = 0
        # The staff journal beside the checkpoint (kiosk.ledger.staff_journal): how many lines it holds,
        # written into every head slot.
        self.journal = journal_file(checkpoint)
        self.journal_count = last_number(self.journal)
        # While `restore --in-place` works on the restored chain (carried staff events, the people's
        # sign-ins) neither the journal nor the head file moves: they still say how far the replaced
        # chain went, until the restore is recorded (else a refused confirmation would move the head
        # file onto the restored chain, and the next try would see nothing dropped).
        self.paused = False
        self.journal_failed = False
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

    def committed(
        self, seq: int, digest: str, staff: tuple[list[EventRecord], dict[int, dict[str, Any]]] | None = None
    ) -> None:
        """After a unit committed: its staff events (if any) go to the staff journal, then the head file
        moves to its head (MACed; flushed within a second)."""
        self.known_seq = max(self.known_seq, seq)
        if self.paused:
            return
        if staff is not None:
            self._journal(*staff)
        started = time.perf_counter()
        try:
            slot = head_slot(
                self.pepper, Anchor(seq, digest, now_text(), "", self.ledger_id), self.journal_count
            )
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

    def _journal(self, events: list[EventRecord], rows: dict[int, dict[str, Any]]) -> None:
        # The unit is committed: a journal that cannot be written is said once in the log, never turned
        # into a failure of the act (a restore behind it is then refused: the journal is short).
        try:
            self.journal_count = append_journal(
                self.journal, self.pepper, self.ledger_id, events, rows, self.kiosk, self.known_kiosks
            )
        except OSError as exc:
            if not self.journal_failed:
                log.error("cannot write the staff journal %s: %s", self.journal.name, exc.strerror)
            self.journal_failed = True
            return
        self.journal_failed = False


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
    # PostgreSQL: the advisory lock's own connection (closing it releases the lock), and its engine.
    shared_db: tuple[Engine, Connection] | None = None

    def release(self) -> None:
        if self.shared_db is not None:
            engine, conn = self.shared_db
            self.shared_db = None
            try:
                conn.close()  # NullPool: the session ends, and with it the advisory lock
            finally:
                engine.dispose()
        if self.fd >= 0:
            os.close(self.fd)  # closing the descriptor releases the lock
            self.fd = -1


class LedgerBusy(Exception):
    """The lock is held the other way (a restore under way, or a kiosk running)."""


def take(settings: Settings, *, exclusive: bool, engine: Engine | None = None) -> Hold:
    """Take the ledger lock without waiting: the file lock on this PC and, with a PostgreSQL `engine`,
    the advisory lock every PC sharing the ledger sees. Raises LedgerBusy."""
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
    hold = Hold(path, fd)
    if engine is not None and engine.dialect.name == "postgresql":
        try:
            hold.shared_db = _take_shared_db(engine, exclusive=exclusive)
        except BaseException:
            hold.release()
            raise
    return hold


def advisory_key(ledger_id: str) -> int:
    """The advisory lock's key: a signed 64-bit number from the ledger's id (one lock per ledger, so
    ledgers in other schemas of the same database do not block each other)."""
    digest = hashlib.sha256(b"kiosk-ledger-lock\n" + ledger_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _take_shared_db(engine: Engine, *, exclusive: bool) -> tuple[Engine, Connection] | None:
    """The advisory lock on a connection of its own (not pooled: returning a pooled connection would
    keep the session, and the lock, alive). None when the database holds no ledger id yet (`init`)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    from kiosk.ledger.meta import LEDGER_ID

    own = create_engine(engine.url, poolclass=NullPool, hide_parameters=True)
    try:
        conn = own.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            found = conn.execute(
                text("SELECT value FROM ledger_meta WHERE key = :k"), {"k": LEDGER_ID}
            ).scalar()
            if found is None:
                conn.close()
                own.dispose()
                return None
            how = "pg_try_advisory_lock" if exclusive else "pg_try_advisory_lock_shared"
            got = conn.execute(text(f"SELECT {how}(:key)"), {"key": advisory_key(str(found))}).scalar()
        except BaseException:
            conn.close()
            raise
    except SQLAlchemyError as exc:
        own.dispose()
        raise LedgerBusy(f"cannot take the ledger's lock in the database: {type(exc).__name__}") from None
    except BaseException:
        own.dispose()
        raise
    if not got:
        conn.close()
        own.dispose()
        if exclusive:
            raise LedgerBusy(
                "a kiosk is running on this ledger on this or another PC (it holds the ledger's lock in "
                "the database): stop every kiosk and supervisor view on every PC that shares the "
                "ledger first, then restore"
            )
        raise LedgerBusy(
            "a restore of this ledger is under way (from this or another PC): wait until it is done"
        )
    return own, conn
