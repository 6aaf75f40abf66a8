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
