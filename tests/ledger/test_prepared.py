"""The scan path's statements on the driver's cursor read and write what SQLAlchemy would (SQLite and
PostgreSQL), fail as SQLAlchemy's errors do, and the WAL is checkpointed off the writer's path."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kiosk.desk import Desk
from kiosk.desk.errors import StorageError, storage_errors
from kiosk.domain.card_state import office_date
from kiosk.domain.management_id import ManagementId
from kiosk.domain.safe_session import ScanMode
from kiosk.ledger import service
from kiosk.ledger.engine import make_engine, upgrade, wal_checkpointer
from kiosk.ledger.service import Ledger
from kiosk.ledger.statements import Prepared
from kiosk.ledger.verify import verify
from tests.conftest import Crew
from tests.ledger.helpers import ids, receive


def _a_session_with_a_card_out(desk: Desk, crew: Crew, ledger: Ledger) -> tuple[int, list[str]]:
    cards = ids(3)
    receive(ledger, cards)
    desk.book(cards, crew.supervisor)
    sid = desk.open_safe(crew.officer, crew.clerk, desk.settings.session.opening_checklist).id
    desk.join_session(sid, crew.clerk2, crew.clerk)  # a row for the UNION's second part
    assert desk.scan(sid, ManagementId.parse(cards[0]), ScanMode.TAKE_OUT, crew.clerk).code == "taken_out"
    return sid, cards


def test_each_scan_statement_reads_the_values_and_types_sqlalchemy_reads(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    sid, cards = _a_session_with_a_card_out(desk, crew, ledger)
    day = office_date(ledger.clock())
    cases: list[tuple[Prepared, dict[str, Any]]] = [
        (service._READ_HEAD, {}),
        (service._READ_PERSON, {"id": crew.clerk.id}),
        (service._SESSION_PEOPLE, {"sid": sid}),
        (service._READ_CARD, {"mid": cards[0]}),  # out: a session id, a location, dates
        (service._READ_CARD, {"mid": cards[1]}),
        (service._BOOKING, {"day": day, "mid": cards[1]}),
    ]
    with ledger.engine.connect() as conn:
        for prepared, params in cases:
            ours = prepared.rows(conn, params)
            theirs = conn.execute(prepared.statement, params).all()
            assert ours, prepared.statement
            assert [tuple(r) for r in ours] == [tuple(r) for r in theirs]
            assert [[type(v) for v in r] for r in ours] == [[type(v) for v in r] for r in theirs]
            assert [r._fields for r in ours] == [tuple(r._fields) for r in theirs]
        person = service._READ_PERSON.one_or_none(conn, {"id": crew.clerk.id})
    assert person.badge == crew.clerk.badge
    assert person.active is True


def test_what_the_scan_path_wrote_reads_back_and_verifies(desk: Desk, crew: Crew, ledger: Ledger) -> None:
    sid, cards = _a_session_with_a_card_out(desk, crew, ledger)
    assert desk.scan(sid, ManagementId.parse(cards[0]), ScanMode.PUT_BACK, crew.clerk).code == "put_back"
    newest = ledger.events(limit=2)
    assert [e.kind for e in newest] == ["card_taken_out", "card_put_back"]
    assert all(e.at.tzinfo is not None for e in newest)  # the time went in as UTC and comes back so
    card = ledger.card(cards[0])
    assert card is not None
    assert card.last_seq == newest[-1].seq
    assert card.out_session_id is None
    report = verify(ledger)  # every hash recomputed from the stored values, every projection folded
    assert report.ok, report


def test_a_failed_statement_is_sqlalchemys_error_without_its_values(ledger: Ledger, crew: Crew) -> None:
    secret = "scrypt$16384$8$1$" + "cd" * 16  # shaped like a stored PIN hash
    head = ledger.head()[0]
    row = {
        "seq": head,  # already taken: the events table refuses it
        "at": ledger.clock(),
        "kind": "refused",
        "card_id": None,
        "actor_id": crew.clerk.id,
        "witness_id": None,
        "session_id": None,
        "stocktake_id": None,
        "device": None,
        "source": None,
        "payload": secret,
        "prev_hash": "0" * 64,
        "hash": "1" * 64,
    }
    with ledger.engine.connect() as conn, pytest.raises(IntegrityError) as raised:
        service._INSERT_EVENT.run(conn, row, columns=tuple(row))
    assert secret not in str(raised.value)
    with pytest.raises(StorageError) as wrapped, storage_errors():
        raise raised.value
    assert secret not in wrapped.value.reason
    assert "\n" not in wrapped.value.reason
    with ledger.engine.connect() as conn, pytest.raises(ValueError, match="'mid'"):
        service._READ_CARD.rows(conn, {})


def test_the_wal_is_checkpointed_in_the_background_not_in_a_commit(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    checkpointer = wal_checkpointer(engine)
    assert checkpointer is not None
    with engine.connect() as conn:
        # SQLite's own checkpoint (inside the COMMIT that crosses 1,000 pages) is off for the ledger.
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)"))
    before = checkpointer.checkpoints
    for i in range(checkpointer.every_rows + 1):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO filler (body) VALUES (:b)"), {"b": "x" * 500 + str(i)})
    deadline = time.monotonic() + 10
    while checkpointer.checkpoints == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checkpointer.checkpoints > before
    # The rows reached the main file: a reader of the file alone (no WAL) sees them.
    copy = tmp_path / "file-only.sqlite3"
    copy.write_bytes(db.read_bytes())
    con = sqlite3.connect(copy)
    try:
        assert con.execute("SELECT count(*) FROM filler").fetchone()[0] > 0
    finally:
        con.close()
    engine.dispose()
