"""The event log: append-only in the database, hash-chained, with a rebuildable projection."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kiosk.domain.delivery import DeliveryRejected
from kiosk.domain.status import CardStatus
from kiosk.ledger.chain import GENESIS_HASH, recompute
from kiosk.ledger.engine import make_engine
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.conftest import app_refusal
from tests.ledger.helpers import ids, receive
from tests.ledger_ops import bind_rfid_many


def test_events_chain_from_genesis_and_verify(ledger: Ledger) -> None:
    receive(ledger, ids(3))
    events = ledger.events()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert all(recompute(e) == e.hash for e in events)
    assert ledger.head() == (events[-1].seq, events[-1].hash)
    report = verify(ledger)
    assert report.ok, report.problem
    assert report.cards == 3


def test_times_are_utc_aware_and_survive_the_round_trip(ledger: Ledger, clock) -> None:  # type: ignore[no-untyped-def]
    receive(ledger, ids(1))
    event = ledger.events()[0]
    assert event.at == clock.now
    assert event.at.utcoffset() is not None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET kind = 'card_issued' WHERE seq = 1",
        "DELETE FROM events WHERE seq = 1",
    ],
)
def test_the_database_refuses_update_and_delete(ledger: Ledger, owner_url: str, statement: str) -> None:
    receive(ledger, ids(1))
    owner = make_engine(owner_url)  # the triggers refuse even the schema's owner
    with pytest.raises(DBAPIError, match="append-only"), owner.begin() as conn:
        conn.execute(text(statement))
    owner.dispose()
    refusal = app_refusal(owner_url)  # the kiosk's own role (PostgreSQL: refused by privilege first)
    with pytest.raises(DBAPIError, match=refusal), ledger.engine.begin() as conn:
        conn.execute(text(statement))
    assert verify(ledger).ok


def test_insert_or_replace_cannot_delete_an_event_on_sqlite(ledger: Ledger) -> None:
    if ledger.engine.dialect.name != "sqlite":
        pytest.skip("INSERT OR REPLACE is SQLite syntax")
    receive(ledger, ids(1))
    first = ledger.events()[0]
    with pytest.raises(DBAPIError, match="append-only"), ledger.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT OR REPLACE INTO events (seq, at, kind, payload, prev_hash, hash) "
                "VALUES (1, '2026-01-01 00:00:00', 'forged', '{}', :p, :h)"
            ),
            {"p": first.prev_hash, "h": first.hash},
        )
    assert ledger.events()[0].kind == first.kind


def test_truncate_is_refused_on_postgresql(ledger: Ledger, owner_url: str) -> None:
    if ledger.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE triggers exist on PostgreSQL only")
    receive(ledger, ids(1))
    owner = make_engine(owner_url)
    with pytest.raises(DBAPIError, match="append-only"), owner.begin() as conn:
        conn.execute(text("TRUNCATE events"))
    owner.dispose()
    with pytest.raises(DBAPIError, match=app_refusal(owner_url)), ledger.engine.begin() as conn:
        conn.execute(text("TRUNCATE events"))
    assert verify(ledger).ok


def test_receive_is_all_or_nothing_when_an_id_already_exists(ledger: Ledger) -> None:
    receive(ledger, ids(2))
    head = ledger.head()
    with pytest.raises(DeliveryRejected) as info:
        receive(ledger, ids(3))  # the first two exist
    assert info.value.problems == [
        f"line {n + 2}: {mid} is already in the ledger" for n, mid in enumerate(ids(2))
    ]
    assert ledger.head() == head
    assert ledger.counts()[CardStatus.IN_SAFE] == 2


def test_projection_disagreement_is_named_by_verify(ledger: Ledger) -> None:
    receive(ledger, ids(2))
    mid = ids(1)[0]
    with ledger.engine.begin() as conn:
        conn.execute(text("UPDATE cards SET status = 'issued' WHERE management_id = :m"), {"m": mid})
    report = verify(ledger)
    assert not report.ok
    assert mid in report.problem
    assert report.first_bad_seq == ledger.card(mid).last_seq  # type: ignore[union-attr]


def test_rfid_binding_is_an_event_and_resolves_tags(ledger: Ledger) -> None:
    mid = ids(1)[0]
    receive(ledger, [mid])
    ledger.bind_rfid(mid, "e2801170000002a1b2c3d4e5")
    assert ledger.card_for_tag("E2801170000002A1B2C3D4E5") == mid
    assert ledger.events()[-1].kind == "rfid_bound"
    other = ids(1, start=2)[0]
    receive(ledger, [other], batch="B2")
    with pytest.raises(ValueError, match="already bound"):
        ledger.bind_rfid(other, "E2801170000002A1B2C3D4E5")
    assert verify(ledger).ok


def test_binding_many_tags_is_all_or_nothing(ledger: Ledger) -> None:
    cards = ids(3)
    receive(ledger, cards[:2])
    head = ledger.head()
    with pytest.raises(ValueError, match="not in the ledger"):
        bind_rfid_many(ledger, [(cards[0], "AA01"), (cards[2], "AA03")])
    assert ledger.head() == head
    assert ledger.card_for_tag("AA01") is None
    states = bind_rfid_many(ledger, [(cards[0], "aa01"), (cards[1], "AA02")])
    assert [s.rfid_tag for s in states] == ["AA01", "AA02"]
    assert ledger.card_for_tag("AA02") == cards[1]
    assert verify(ledger).ok
