"""A storage failure is one line: no SQL parameters (a PIN hash, a name) in the error or the log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kiosk.desk.errors import StorageError, storage_errors
from kiosk.ledger.engine import make_engine, upgrade


def test_the_engine_hides_parameters_and_the_core_gives_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'l.sqlite3'}")
    upgrade(engine)
    secret = "scrypt$16384$8$1$" + "ab" * 16  # shaped like a stored PIN hash
    caplog.set_level(logging.DEBUG)
    with pytest.raises(IntegrityError) as raw, engine.begin() as conn:
        # The events table refuses a row without its NOT NULL columns.
        conn.execute(
            text("INSERT INTO events (seq, kind, payload) VALUES (:s, :k, :p)"),
            {"s": 1, "k": secret, "p": secret},
        )
    assert secret not in str(raw.value)
    with pytest.raises(StorageError) as wrapped, storage_errors():
        raise raw.value
    assert "\n" not in wrapped.value.reason
    assert secret not in wrapped.value.reason
    assert secret not in caplog.text
    engine.dispose()


def test_a_write_lock_held_elsewhere_is_a_storage_error_and_readers_still_read(tmp_path: Path) -> None:
    """BEGIN runs straight on the driver's connection; what it raises is still SQLAlchemy's error (with
    no parameters), which the core turns into `StorageError("locked")`. Read-only work never waits."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from kiosk.ledger.engine import READ_ONLY

    path = tmp_path / "l.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer (a CLI command, a second process) holds the file
    try:
        with engine.connect() as conn:
            # The ledger waits `busy_timeout` (10 s) for a writer; a short wait keeps the test short.
            conn.connection.dbapi_connection.execute("PRAGMA busy_timeout=50")  # type: ignore[union-attr]
            with pytest.raises(OperationalError) as raw, conn.begin():
                pass
        with pytest.raises(StorageError) as wrapped, storage_errors():
            raise raw.value
        assert wrapped.value.code == "locked"
        with engine.connect().execution_options(**{READ_ONLY: True}) as reader, reader.begin():
            assert reader.execute(text("SELECT count(*) FROM events")).scalar_one() >= 0
    finally:
        other.execute("ROLLBACK")
        other.close()
        engine.dispose()
