"""Wake-ups when the ledger's chain head moves, from any process: what pushes the supervisor's page.

A subscriber gives a callable; it is called, on the signal's own thread, soon after every committed
unit that moved the head (by any kiosk, the CLI or this process), and once after each (re)connection,
since commits may have been missed while the source was down. A wake-up is a hint, never data: the
subscriber re-reads the head, so a spurious wake-up costs one cheap read and a lost one is made good by
the subscriber's own slow refresh. One thread per engine serves every subscriber; it starts with the
first subscription and ends when the last one is dropped.

- **PostgreSQL**: a trigger on `ledger_head` (migration 0016) sends NOTIFY on the schema's channel in the
  writer's transaction, so the notification leaves when the unit commits, and never for a rollback. A
  dedicated connection (the engine's own connect settings, autocommit, `application_name` =
  LISTENER_NAME) LISTENs; when it is lost (a server restart, `pg_terminate_backend`, a network cut seen
  by a keep-alive query after KEEPALIVE_S of silence) it is reopened after a back-off of 0.1 s doubling
  to 2 s, and the subscribers are woken once it is back.
- **SQLite**: the rule is `PRAGMA data_version` on a dedicated connection every SQLITE_POLL_S (20 ms).
  Any commit by any other connection, in any process, changes it; one check is a short read
  transaction on the WAL index in shared memory, 22–31 µs measured at load 13–18 on 2 cores
  (`kiosk bench`: `supervise_sqlite_poll_us`), so about 0.1–0.15 % of one core at 50 checks a second,
  and it adds 10 ms on average (20 at most) to the page's latency. Watching the -wal file with
  inotify instead was rejected: the event fires on the commit frame's write(), before its fsync and
  before the WAL index makes the commit visible, so a reader woken by it may still see the old head
  and then get no further event.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

log = logging.getLogger(__name__)

SQLITE_POLL_S = 0.02
KEEPALIVE_S = 10.0  # PostgreSQL: a silent listener checks its connection this often
RETRY_FIRST_S = 0.1
RETRY_MAX_S = 2.0
LISTENER_NAME = "kiosk head listener"
# The channel of the schema holding `ledger_head`; the same expression as migration 0016's trigger.
_CHANNEL_SQL = (
    "SELECT left('kiosk_head.' || n.nspname, 63) FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = 'ledger_head'::regclass"
)

Wake = Callable[[], None]


class EngineGone(Exception):
    """The engine was dropped: nobody can read the head any more, so the signal's thread ends."""


class HeadSignal:
    """Calls every subscriber soon after the ledger's head moves (see the module's docstring)."""

    def __init__(self, engine: Engine, *, poll_s: float = SQLITE_POLL_S) -> None:
        # Weakly: the per-engine cache below must not keep a disposed engine alive through its signal.
        self._engine = weakref.ref(engine)
        self.dialect = engine.dialect.name
        self.database = engine.url.database
        self.poll_s = poll_s
        self.connections = 0  # (re)connections of the source so far (the tests watch it)
        self.listener_pid: int | None = None  # PostgreSQL: the listening backend, while connected
        self._subscribers: dict[int, Wake] = {}
        self._next_id = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def pushes(self) -> bool:
        """False for a ledger that no other connection can watch (an in-memory SQLite database)."""
        if self.dialect == "postgresql":
            return True
        return self.dialect == "sqlite" and bool(self.database) and self.database != ":memory:"

    def subscribe(self, wake: Wake) -> Callable[[], None]:
        """Call `wake` after every move of the head until the returned function is called."""
        with self._lock:
            key = self._next_id
            self._next_id += 1
            self._subscribers[key] = wake
            if self._thread is None or not self._thread.is_alive():
                self._stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(self._stop,), name="head-signal", daemon=True
                )
                self._thread.start()

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers.pop(key, None)
                if not self._subscribers and self._thread is not None:
                    self._stop.set()  # the thread ends at its next check (within a second)
                    self._thread = None

        return unsubscribe

    def _wake_all(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers.values())
        for wake in subscribers:
            try:
                wake()
            except Exception:  # one subscriber's failure (a closed event loop) must not starve the rest
                log.exception("head signal: a subscriber failed")

    def _run(self, stop: threading.Event) -> None:
        watch = self._listen if self.dialect == "postgresql" else self._poll
        retry = RETRY_FIRST_S
        quiet = False  # an outage is logged once, not at every retry
        while not stop.is_set():
            connected = self.connections
            try:
                watch(stop)
                return
            except EngineGone:
                return
            except Exception as exc:  # any failure of the source: reconnect, never die
                self.listener_pid = None
                if self.connections != connected:  # it was up, then lost: start the back-off again
                    retry, quiet = RETRY_FIRST_S, False
                log.log(
                    logging.DEBUG if quiet else logging.WARNING,
                    "head signal: the ledger's change source is lost (%s); retrying, at most %g s apart",
                    type(exc).__name__,
                    RETRY_MAX_S,
                    exc_info=log.isEnabledFor(logging.DEBUG),
                )
                quiet = True
            if stop.wait(retry):
                return
            retry = min(retry * 2, RETRY_MAX_S)

    def _dedicated(self) -> Any:
        """A DBAPI connection of the engine's (its connect settings and listeners), out of the pool."""
        engine = self._engine()
        if engine is None:
            raise EngineGone
        raw = engine.raw_connection()
        driver = raw.driver_connection
        raw.detach()  # closed for real when done, never handed back to the pool
        return driver

    def _listen(self, stop: threading.Event) -> None:
        from psycopg import sql

        conn = self._dedicated()
        try:
            conn.rollback()  # the pool's pre-ping may have opened a transaction; LISTEN needs none
            conn.autocommit = True
            conn.execute("SELECT set_config('application_name', %s, false)", (LISTENER_NAME,))
            channel = conn.execute(_CHANNEL_SQL).fetchone()[0]
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self.listener_pid = conn.info.backend_pid
            self.connections += 1
            self._wake_all()  # commits made while no one listened
            silent = 0.0
            while not stop.is_set():
                heard = False
                # Short waits, so an unsubscribed signal lets its connection go within a second.
                for _notify in conn.notifies(timeout=1.0):
                    heard = True
                    self._wake_all()
                    if stop.is_set():
                        return
                silent = 0.0 if heard else silent + 1.0
                if silent >= KEEPALIVE_S:
                    conn.execute("SELECT 1")  # a dead peer shows here, not in a silent wait
                    silent = 0.0
        finally:
            self.listener_pid = None
            conn.close()

    def _poll(self, stop: threading.Event) -> None:
        con = self._dedicated()
        try:
            last = con.execute("PRAGMA data_version").fetchone()[0]
            self.connections += 1
            self._wake_all()
            while not stop.wait(self.poll_s):
                version = con.execute("PRAGMA data_version").fetchone()[0]
                if version != last:
                    last = version
                    self._wake_all()
        finally:
            con.close()


# One per engine; weak, so a disposed and dropped engine takes its signal (and thread, once idle) along.
_SIGNALS: weakref.WeakKeyDictionary[Engine, HeadSignal] = weakref.WeakKeyDictionary()
_SIGNALS_LOCK = threading.Lock()


def head_signal(engine: Engine) -> HeadSignal:
    """The engine's head signal (made on first use)."""
    with _SIGNALS_LOCK:
        signal = _SIGNALS.get(engine)
        if signal is None:
            signal = _SIGNALS[engine] = HeadSignal(engine)
        return signal
