"""The scan path writes on one connection of its own (no pool checkout: no ping, no reset ROLLBACK), and
on PostgreSQL a lost connection is found and replaced: a loss while the kiosk is idle costs nothing, a
loss in the middle of a scan is a storage error with nothing of the scan kept, and the next scan works.

The loss is made with `pg_terminate_backend` on the kiosk's write connection (as the superuser): what a
server restart does to each client connection, without restarting the server the other tests share.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import event, text

from kiosk.desk import Desk
from kiosk.desk.errors import StorageError
from kiosk.desk.safe import scan_in_unit
from kiosk.domain.events import EventKind
from kiosk.domain.management_id import ManagementId
from kiosk.domain.safe_session import ScanMode
from kiosk.domain.status import CardStatus
from kiosk.domain.verdicts import VerdictCode
from kiosk.ledger.engine import make_engine
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.conftest import PG_URL, Crew, PgSchema
from tests.ledger.helpers import ids, receive


def _backend_pid(ledger: Ledger) -> int:
    # A unit on this thread runs on the ledger's write connection.
    with ledger.unit() as u:
        return int(u.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _wait_for(condition: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.005)


def test_scans_share_one_connection_and_outlive_its_loss(
    ledger: Ledger, crew: Crew, desk: Desk, db_url: str, request: pytest.FixtureRequest
) -> None:
    cards = ids(5)
    receive(ledger, cards)
    desk.book(cards, crew.supervisor)
    session = desk.open_safe(crew.officer, crew.clerk, desk.settings.session.opening_checklist)

    def take_out(card: str) -> Any:
        return desk.scan(session.id, ManagementId.parse(card), ScanMode.TAKE_OUT, crew.clerk, device="k1")

    pool_checkouts: list[object] = []
    event.listen(ledger.engine, "checkout", lambda *_: pool_checkouts.append(1))
    assert take_out(cards[0]).ok
    assert take_out(cards[1]).ok
    assert pool_checkouts == []  # the scans never went through the pool (no ping, no reset)
    if not db_url.startswith("postgresql"):
        return

    assert PG_URL is not None
    schema: PgSchema = request.getfixturevalue("pg_schema")
    admin = make_engine(PG_URL)
    owner = make_engine(schema.owner_url)
    try:
        # Lost while idle (a restart between two scans): the next scan goes through on a new connection.
        opened = ledger.writer.opened
        pid = _backend_pid(ledger)
        with admin.begin() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
        assert take_out(cards[2]).ok
        assert ledger.writer.opened == opened + 1
        assert _backend_pid(ledger) != pid

        # Lost in the middle of a scan: another connection holds the card's row, so the scan waits at
        # its UPDATE of the card with its event already inserted; then its connection is terminated.
        head = ledger.head()
        pid = _backend_pid(ledger)
        outcome: list[object] = []

        def scan_in_thread() -> None:
            try:
                outcome.append(take_out(cards[3]))
            except StorageError as exc:
                outcome.append(exc)

        with owner.connect() as holder:
            holder.execute(
                text("SELECT status FROM cards WHERE management_id = :m FOR UPDATE"), {"m": cards[3]}
            )
            scanning = threading.Thread(target=scan_in_thread)
            scanning.start()

            def waiting_for_the_card() -> bool:
                with admin.connect() as conn:
                    return (
                        conn.execute(
                            text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
                        ).scalar()
                        == "Lock"
                    )

            _wait_for(waiting_for_the_card, "the scan to wait for the card's row")
            assert ledger.head()[0] == head[0]  # the scan holds the chain head, uncommitted
            with admin.begin() as conn:
                assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
            scanning.join(timeout=60)
            holder.rollback()
        assert not scanning.is_alive()
        assert len(outcome) == 1
        assert isinstance(outcome[0], StorageError), outcome
        assert outcome[0].code == "unavailable"
        # Nothing of the scan was kept: the head, the card and the events are as before it.
        assert ledger.head() == head
        assert ledger.card(cards[3]).status is CardStatus.IN_SAFE  # type: ignore[union-attr]
        assert ledger.events(limit=1)[0].seq == head[0]
        # The next scan works, on a new connection, and the chain verifies.
        opened = ledger.writer.opened
        pool_checkouts.clear()
        verdict = take_out(cards[3])
        assert verdict.ok
        assert verdict.seq == head[0] + 1
        assert ledger.writer.opened == opened + 1
        assert len(pool_checkouts) == 1  # the new connection
        assert _backend_pid(ledger) != pid

        # Another kiosk takes the card between this scan's read of the facts and its lock of the head:
        # the facts are read again under the lock, differ, and the scan runs again, locked from the
        # start: refused as already out, never a second take-out.
        other = Ledger(ledger.engine, pepper=ledger.pepper, kiosk="kiosk-2", clock=ledger.clock)
        other_desk = Desk(other, desk.settings)
        other_session = other_desk.open_safe(
            crew.deputy, crew.clerk2, desk.settings.session.opening_checklist
        )
        pid = _backend_pid(ledger)
        outcome.clear()
        with other.unit() as u:  # holds the chain's head until it commits
            scanning = threading.Thread(target=lambda: outcome.append(take_out(cards[4])))
            scanning.start()
            _wait_for(waiting_for_the_card, "the scan to wait for the chain's head")
            taken = scan_in_unit(
                u,
                other_session.id,
                ManagementId.parse(cards[4]),
                ScanMode.TAKE_OUT,
                crew.clerk2,
                witness=None,
                override=None,
                device="k2",
                source=None,
            )
            assert taken.ok
        scanning.join(timeout=60)
        assert not scanning.is_alive()
        assert outcome[0].code is VerdictCode.ALREADY_OUT, outcome
        taken_out = [e for e in ledger.events(card_id=cards[4]) if e.kind == EventKind.CARD_TAKEN_OUT]
        assert [e.device for e in taken_out] == ["k2"]
        report = verify(ledger)
        assert report.ok, report.problem
    finally:
        owner.dispose()
        admin.dispose()
