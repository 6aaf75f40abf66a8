"""Opening the ledger and the administration outside any act: `kiosk init`, roles, the demo ledger.

Front ends never open or build a ledger themselves: they call `open_ledger` here inside `opening(url)`,
which turns every way a ledger cannot be opened (a bad URL, a server down, an unwritable path, the
start-up check's refusal) into one `OpenRefused` with the line to show and the exit status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from kiosk.ledger.anchors import AnchorError, IntegrityRefused
from kiosk.ledger.service import Clock, Ledger, utc_now

if TYPE_CHECKING:
    from kiosk.config import Settings

__all__ = [
    "OpenRefused",
    "StorageFault",
    "dispose",
    "grant_app_role",
    "location",
    "open_ledger",
    "opening",
    "seed_fast",
]


class OpenRefused(Exception):
    """The ledger cannot be opened, or the start-up check refused it. `code`: 3 refused, 2 otherwise."""

    def __init__(self, message: str, code: int = 2) -> None:
        self.message = message
        self.code = code
        super().__init__(message)


@contextmanager
def opening(url: str) -> Iterator[None]:
    """Turn a ledger that cannot be opened (bad URL, server down, unwritable path) into `OpenRefused`."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    try:
        where = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        raise OpenRefused(
            f"ledger URL {url!r} is not a database URL (e.g. sqlite:///var/ledger.sqlite3)"
        ) from None
    try:
        yield
    except (IntegrityRefused, AnchorError) as exc:
        # The start-up check, a missing ledger or pepper: the message says what the supervisor does.
        raise OpenRefused(f"REFUSED: {exc}", code=3) from None
    except SQLAlchemyError as exc:
        # The driver's first line says what happened (refused connection, unknown database …).
        first = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        raise OpenRefused(f"cannot open the ledger at {where}: {first}") from None
    except OSError as exc:
        raise OpenRefused(f"cannot open the ledger at {where}: {exc.strerror or exc}") from None


def open_ledger(
    settings: Settings,
    *,
    create: bool = False,
    check: bool = True,
    clock: Clock = utc_now,
    hold: bool = False,
) -> Ledger:
    """Open (and upgrade) the configured ledger and run the start-up check.

    Only `create=True` (`kiosk init`, the demo) makes a new ledger and pepper. `hold=True`: a running
    kiosk holds the ledger lock for its lifetime (`kiosk restore` refuses meanwhile). Call it inside
    `opening(settings.ledger.url)` to have every failure as one `OpenRefused`.
    """
    from kiosk.ledger.service import open_ledger as open_configured

    try:
        return open_configured(settings, create=create, check=check, clock=clock, hold=hold)
    except (IntegrityRefused, AnchorError) as exc:
        if check and not create:
            # The kiosk will not start: the supervisor hears of it now, not at the next visit.
            from kiosk.desk.alerts import alert_refused_start

            alert_refused_start(settings, str(exc))
        raise


def grant_app_role(ledger: Ledger, role: str) -> None:
    """PostgreSQL: give the application role exactly what the kiosk needs (run as the owner role)."""
    from kiosk.ledger.engine import grant_app_role as grant

    grant(ledger.engine, role)


def location(ledger: Ledger) -> str:
    """Where the ledger is, for people: its URL without the password."""
    return ledger.engine.url.render_as_string(hide_password=True)


def grow_wal(ledger: Ledger) -> bool:
    """A SQLite ledger's WAL file grown ahead of a day's scans, nothing committed
    (`kiosk.ledger.engine.presize_wal`); the kiosk's start does it once scans are taken."""
    from kiosk.ledger.engine import presize_wal

    return presize_wal(ledger.engine)


def dispose(ledger: Ledger) -> None:
    """Close the ledger's connections (the process is done with it)."""
    ledger.engine.dispose()


def seed_fast(ledger: Ledger, seed: Callable[[Ledger], object]) -> None:
    """Seed a new demo ledger without a disk flush per transaction (a few hundred of them: seconds on a
    slow disk). Only the throw-away demo and training ledgers are ever written this way."""
    from sqlalchemy import event

    from kiosk.ledger.engine import make_engine

    engine = make_engine(ledger.engine.url.render_as_string(hide_password=False))

    def no_flush(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    event.listen(engine, "connect", no_flush)
    try:
        seed(Ledger(engine, pepper=ledger.pepper, kiosk=ledger.kiosk, clock=ledger.clock))
    finally:
        engine.dispose()


class StorageFault:
    """Make the ledger refuse writes, for the fault matrix (`kiosk sim run` steps `db_fault`, `db_ok`).

    `readonly` (SQLITE_READONLY) or `full` (SQLITE_FULL). The kiosk runs as root in CI, and root ignores
    file modes, so chmod cannot make the file read-only; `PRAGMA query_only` makes SQLite refuse every
    write exactly as for a read-only file. A full disk is `PRAGMA max_page_count` pinned to the current
    size: the next write that needs a new page fails with SQLITE_FULL (one that fits in a page already
    allocated still succeeds, as on a real disk that fills up).
    """

    KINDS = ("readonly", "full")

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._listener: Callable[..., None] | None = None

    def set(self, fault: str) -> None:
        from sqlalchemy import event

        self.clear()

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            cur = dbapi_connection.cursor()
            if fault == "readonly":
                cur.execute("PRAGMA query_only=ON")
            elif fault == "full":
                pages = cur.execute("PRAGMA page_count").fetchone()[0]
                cur.execute(f"PRAGMA max_page_count={int(pages)}")
            cur.close()

        if fault not in self.KINDS:
            raise ValueError(f"unknown database fault {fault!r}")
        engine = self._ledger.engine
        engine.dispose()
        event.listen(engine, "connect", on_connect)
        self._listener = on_connect

    def clear(self) -> None:
        from sqlalchemy import event

        if self._listener is not None:
            engine = self._ledger.engine
            event.remove(engine, "connect", self._listener)
            self._listener = None
            engine.dispose()
