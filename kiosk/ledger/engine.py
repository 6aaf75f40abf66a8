"""Engines with the ledger's durability settings, and the schema upgrade at start-up."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from kiosk.fs import create_private_file

# Every SQLite connection: WAL so readers never block the writer, FULL so a committed event survives
# a power cut, foreign keys on, and recursive triggers so `INSERT OR REPLACE` fires the DELETE trigger.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA recursive_triggers=ON",
    "PRAGMA busy_timeout=10000",
)


log = logging.getLogger(__name__)

# SQLite's own checkpoint runs inside the COMMIT that fills the WAL past 1,000 pages: a scan writes about
# nine pages, so one scan in a hundred paid for copying the whole WAL into the file and syncing it (the
# scan's p99). The ledger's connections turn that off and a background thread checkpoints instead
# (`WalCheckpointer`). Durability is unchanged: a commit is durable once the WAL is synced.
WRITER_PRAGMAS = ("PRAGMA wal_autocheckpoint=0",)

# Execution option that marks a read-only unit of work (see _sqlite_begin).
READ_ONLY = "ledger_read_only"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let us issue BEGIN ourselves (pysqlite's implicit transactions defer the write lock).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (*SQLITE_PRAGMAS, *WRITER_PRAGMAS):
        cursor.execute(pragma)
    cursor.close()


class WalCheckpointer:
    """Checkpoints a SQLite ledger's WAL off the writers' path: when the kiosk is quiet, or at a bound.

    Every connection handed back to the pool reports the rows it changed (`total_changes`). Past
    `every_rows` since the last checkpoint a daemon thread waits for a quiet moment (no commit for
    `quiet_s`) and then runs a PASSIVE checkpoint on a connection of its own. A checkpoint writes and
    fsyncs the main file; beside a scan it doubles that scan's fsync wait, which was the scan's whole
    p99 tail. While scans never pause (a stocktake pouring in), the WAL is still bounded: past
    `bound_rows` the checkpoint runs at once. PASSIVE never waits for, or blocks, a writer, and a crash
    at any point of it loses nothing (the frames stay in the WAL, committed and synced, until copied).

    Measured bounds: a scan changes 3 rows (event, card, chain head) and writes 7 pages of WAL (those
    rows and their index entries, since migration 0017: about 29 KB), so `bound_rows` 4,000 (some 1,300
    scans without a pause) keeps the WAL under roughly 40 MB, and a checkpoint then is about one scan in
    a thousand.
    After a checkpoint the WAL file is written again from its start and keeps its size: only a commit
    past that size grows the file, and its fsync then also writes the new size (about 0.1 ms here).
    The thread starts when first needed and ends after `idle_s` without work; when the
    last connection closes, SQLite checkpoints the rest itself.
    """

    def __init__(
        self,
        database: Path,
        *,
        every_rows: int = 300,
        quiet_s: float = 1.0,
        bound_rows: int = 4000,
        idle_s: float = 30.0,
    ) -> None:
        self.database = database
        self.every_rows = every_rows
        self.quiet_s = quiet_s
        self.bound_rows = bound_rows
        self.idle_s = idle_s
        self.checkpoints = 0  # completed runs (the tests watch it)
        self.bounded = 0  # of which were run at the bound, not in a quiet moment
        self._rows = 0
        self._last_write = 0.0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._full = threading.Event()  # the WAL reached its bound: stop waiting for quiet
        self._thread: threading.Thread | None = None

    def checkin(self, dbapi_connection: Any, record: Any) -> None:
        """Pool `checkin` listener: count the rows this connection changed since it last came back."""
        total = getattr(dbapi_connection, "total_changes", None)
        if total is None:
            return
        before = record.info.get("wal_rows", 0)
        record.info["wal_rows"] = total
        changed = max(0, total - before)
        if not changed:
            return
        with self._lock:
            self._rows += changed
            self._last_write = time.monotonic()
            if self._rows < self.every_rows:
                return
            # Event.set takes a lock and notifies even when already set: every commit while a
            # checkpoint waits for its quiet moment paid it (3 % of a scan's Python time).
            if self._rows >= self.bound_rows and not self._full.is_set():
                self._full.set()
            if not self._wake.is_set():
                self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
                self._thread.start()

    @property
    def due(self) -> bool:
        """Whether enough rows wait in the WAL for the next quiet moment to checkpoint them."""
        with self._lock:
            return self._rows >= self.every_rows

    def _run(self) -> None:
        while True:
            if not self._wake.wait(self.idle_s):
                with self._lock:
                    if not self._wake.is_set():
                        self._thread = None
                        return
            self._wake.clear()
            with self._lock:
                if self._rows < self.every_rows:
                    continue  # a late wake-up for rows the last checkpoint already took
            bounded = self._wait_for_quiet()
            with self._lock:
                self._rows = 0
                self._full.clear()
            if self.checkpoint() and bounded:
                self.bounded += 1

    def _wait_for_quiet(self) -> bool:
        """Sleep until no commit came for `quiet_s`, or the WAL reached its bound (returns True then)."""
        while True:
            with self._lock:
                if self._rows >= self.bound_rows:
                    return True
                wait = self._last_write + self.quiet_s - time.monotonic()
            if wait <= 0:
                return False
            self._full.wait(wait)

    def checkpoint(self) -> bool:
        """One PASSIVE checkpoint now (on the calling thread). A failure is logged; the next retries."""
        try:
            con = sqlite3.connect(self.database, timeout=0, isolation_level=None)
            try:
                con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            finally:
                con.close()
        except sqlite3.Error as exc:
            # Nothing is lost: the frames stay in the WAL (committed and synced) for the next try.
            log.warning("background WAL checkpoint of the ledger failed: %s", exc)
            return False
        self.checkpoints += 1
        return True


# What `presize_wal` grows a SQLite ledger's WAL file to: about the checkpointer's bound (`bound_rows`,
# some 1,300 scans of 7 pages), so a day's scans overwrite the file instead of growing it.
WAL_PRESIZE_BYTES = 32 * 1024 * 1024


def presize_wal(engine: Engine, size: int = WAL_PRESIZE_BYTES) -> bool:
    """Grow a SQLite ledger's WAL file to `size` bytes through SQLite itself, committing nothing.

    SQLite deletes the WAL when a kiosk closes its last connection, and each commit that then makes the
    file longer also has its fsync write the new size: the first ~1,300 scans after a start took 0.79
    ms at p50 against 0.56 once the file had its size (bench, 2026-12-08). Here one write transaction
    (the kiosk's start, after its check) fills a scratch table with zero blobs through a 16-page cache,
    so SQLite spills them into the WAL as frames of a transaction that is then rolled back: never part
    of the database, skipped by recovery after a crash, overwritten by the next commits. The file is
    synced once here, not in a clerk's first commit. Returns whether the file grew; a failure (the disk
    full, the ledger busy) is logged and changes nothing.
    """
    database = sqlite_database(engine)
    if database is None:
        return False
    wal = Path(f"{database}-wal")
    try:
        if wal.exists() and wal.stat().st_size >= size:
            return False
        # One of the engine's connections stays open meanwhile: closing the scratch connection must
        # not be the ledger's last close, which would checkpoint and delete the WAL just grown.
        with engine.connect():
            con = sqlite3.connect(database, timeout=10, isolation_level=None)
            try:
                con.execute("PRAGMA cache_size=16")
                con.execute("BEGIN IMMEDIATE")
                try:
                    con.execute("CREATE TABLE kiosk_wal_presize (b BLOB)")
                    for _ in range(size // 1048576 + 8):  # bounded: a cache that never spills ends it
                        if wal.exists() and wal.stat().st_size >= size:
                            break
                        con.execute("INSERT INTO kiosk_wal_presize VALUES (zeroblob(1048576))")
                finally:
                    con.execute("ROLLBACK")
            finally:
                con.close()
            fd = os.open(wal, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    except (sqlite3.Error, OSError) as exc:
        log.warning("could not grow the ledger's WAL file ahead of the scans: %s", exc)
        return False
    return True


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock at BEGIN, so two writers never both read the head and then race.
    # Read-only work (history, reports, verify) asks for a plain BEGIN and never waits for a writer.
    # Straight on the driver's connection: `exec_driver_sql` cost a scan about 25 µs of execution
    # machinery for one fixed statement. A failure (the lock still busy after `busy_timeout`) is
    # raised as `exec_driver_sql` raised it, wrapped in SQLAlchemy's `DBAPIError` without parameters.
    dbapi = conn.connection.dbapi_connection
    if dbapi.in_transaction:
        # The ledger's writer began this unit's transaction itself (`Writer`, kiosk.ledger.service);
        # an ORM session or a Core statement of the unit joins it.
        return
    sqlite_statement(conn, "BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def sqlite_statement(conn: Any, sql: str) -> None:
    """BEGIN IMMEDIATE, COMMIT or ROLLBACK on a SQLite connection's driver connection; a failure is raised
    as SQLAlchemy's `DBAPIError` (parameters hidden), as `Connection.execute` would raise it."""
    try:
        conn.connection.dbapi_connection.execute(sql)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(
            sql, None, exc, sqlite3.Error, hide_parameters=True, dialect=conn.dialect
        ) from exc


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the ledger. SQLite files are created (with their folder) private to this user."""
    parsed = make_url(url)
    # A statement's parameters never reach an error message, a log or a traceback: they can hold a
    # new member's PIN hash or a name (one PostgreSQL length error printed a scrypt hash).
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            _prepare_private_file(Path(database))
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        if database and database != ":memory:":
            checkpointer = WalCheckpointer(Path(database))
            _CHECKPOINTERS[engine] = checkpointer
            event.listen(engine, "checkin", checkpointer.checkin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **kwargs)


# One per SQLite file engine; weak, so a disposed and dropped engine takes its checkpointer with it.
_CHECKPOINTERS: weakref.WeakKeyDictionary[Engine, WalCheckpointer] = weakref.WeakKeyDictionary()


def sqlite_database(engine: Engine) -> Path | None:
    """The file of a SQLite ledger's engine (None for PostgreSQL or an in-memory database)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).absolute()


def wal_checkpointer(engine: Engine) -> WalCheckpointer | None:
    """The background checkpointer of a SQLite file engine made by `make_engine` (else None)."""
    return _CHECKPOINTERS.get(engine)


def _prepare_private_file(path: Path) -> None:
    # The ledger names staff and cards: other local users must not read it (nor its WAL files).
    create_private_file(path)
    for suffix in ("", "-wal", "-shm"):
        p = Path(f"{path}{suffix}")
        if p.exists() and stat.S_IMODE(p.stat().st_mode) & 0o077:
            p.chmod(0o600)


# The newest migration (kiosk/ledger/migrations/versions); tests/ledger/test_schema_head.py holds it to
# Alembic's own head.
HEAD_REVISION = "0017"


def at_head(engine: Engine) -> bool:
    """Whether the database already has the newest schema (one read, no Alembic import)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:
        return False  # no schema yet (a new database): Alembic creates it
    return found == [HEAD_REVISION]


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema with Alembic (run at every start-up). A database already
    at the newest revision is left alone without importing Alembic: its import is 0.2 s of every
    start of the kiosk and of every command."""
    if at_head(engine):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


# What the kiosk's PostgreSQL application role may do: read everything, append events, move the head,
# and keep the projections. Never UPDATE/DELETE events (the triggers refuse it too), never TRUNCATE,
# ALTER, DROP or disable a trigger (only the owner may, and the kiosk never connects as the owner).
APP_GRANTS = {
    "events": "SELECT, INSERT",
    "ledger_head": "SELECT, UPDATE",
    "ledger_meta": "SELECT",
    "alembic_version": "SELECT",
    "staff": "SELECT, INSERT, UPDATE",
    "cards": "SELECT, INSERT, UPDATE",
    "rfid_bindings": "SELECT, INSERT",
    "safe_sessions": "SELECT, INSERT, UPDATE",
    "pick_list": "SELECT, INSERT",
    "stocktakes": "SELECT, INSERT, UPDATE",
    "stocktake_expected": "SELECT, INSERT",
    "stocktake_scans": "SELECT, INSERT, UPDATE",
    "alert_state": "SELECT, INSERT, UPDATE",  # the alert sender's lease and cursor (a cache)
}


def grant_app_role(engine: Engine, role: str) -> None:
    """PostgreSQL: give the application role exactly APP_GRANTS (run by the owner after migrating).

    Tables the core adds later get no privilege until listed here: a missing grant fails loudly.
    """
    if engine.dialect.name != "postgresql":
        raise ValueError("application roles exist on PostgreSQL only")
    from sqlalchemy import inspect, text

    if not role.replace("_", "").isalnum():
        raise ValueError(f"{role!r} is not a plain role name")
    with engine.begin() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
        tables = set(inspect(conn).get_table_names())
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"'))
        for table, privileges in APP_GRANTS.items():
            if table in tables:
                conn.execute(text(f'GRANT {privileges} ON "{schema}"."{table}" TO "{role}"'))
        # USAGE for new ids; SELECT so that pg_dump (kiosk backup) can read the sequences as this role.
        conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"'))
