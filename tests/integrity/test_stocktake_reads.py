"""`stocktake_scans.times` and a stocktake's status are projections of events: plain-SQL edits are named.

A repeat barcode read is a `stocktake_recounted` event, a batch records the IDs it read more than once,
and no event abandons a stocktake; `kiosk verify` rebuilds each card's count and each stocktake's status.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from kiosk.domain.stocktake import Decision, MissingDecision
from kiosk.ledger import models
from kiosk.ledger.service import Ledger
from tests import ledger_ops as stocktake_ops
from tests.integrity.conftest import Office


def broken(office: Office) -> str:
    result = office.kiosk.run("verify")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "BROKEN" in result.stderr
    return result.stderr


def verifies(office: Office) -> None:
    result = office.kiosk.run("verify")
    assert result.returncode == 0, result.stderr


def times(ledger: Ledger, stocktake: int, mid: str) -> int:
    with ledger.read() as s:
        row = s.get(models.StocktakeScan, (stocktake, mid))
        assert row is not None
        return row.times


def test_a_repeat_barcode_read_is_an_event_and_its_count_edited_by_sql_is_named(office: Office) -> None:
    ledger = office.kiosk.open()
    card = office.cards[1]  # counted once by the office fixture
    again = stocktake_ops.record_scan(ledger, office.stocktake, card)
    assert again.times == 2
    assert again.seq is not None
    recorded = [e for e in ledger.events() if e.seq == again.seq]
    assert [(e.kind, e.card_id, e.stocktake_id) for e in recorded] == [
        ("stocktake_recounted", card, office.stocktake)
    ]
    ledger.engine.dispose()
    verifies(office)

    office.kiosk.sql(
        f"UPDATE stocktake_scans SET times = 7 WHERE management_id = '{card}'"  # noqa: S608
    )
    err = broken(office)
    assert f"stocktake_scans stocktake {office.stocktake} card {card}: times: is 7, the events say 2" in err


def test_a_duplicate_read_hidden_by_sql_is_named(office: Office) -> None:
    ledger = office.kiosk.open()
    card = office.cards[1]
    stocktake_ops.record_scan(ledger, office.stocktake, card)
    ledger.engine.dispose()
    # Lowering the count hides the duplicate from the stocktake's lists.
    office.kiosk.sql(f"UPDATE stocktake_scans SET times = 1 WHERE management_id = '{card}'")  # noqa: S608
    ledger = office.kiosk.open()
    assert stocktake_ops.reconcile(ledger, office.stocktake).duplicates == ()  # the attack worked ...
    ledger.engine.dispose()
    err = broken(office)  # ... and verify names it
    assert f"stocktake_scans stocktake {office.stocktake} card {card}: times: is 1, the events say 2" in err


def test_a_tray_photo_records_the_ids_it_read_twice_and_verify_rebuilds_the_counts(office: Office) -> None:
    ledger = office.kiosk.open()
    twice, once = office.cards[2], office.cards[3]
    # Two labels of one ID on one photo are two sightings; a second photo reads it once more.
    first = stocktake_ops.record_many(ledger, office.stocktake, [twice, twice, once], source="tray_photo")
    second = stocktake_ops.record_many(ledger, office.stocktake, [twice], source="tray_photo")
    assert first.seq is not None
    assert second.seq is not None
    assert times(ledger, office.stocktake, twice) == 3
    assert times(ledger, office.stocktake, once) == 1
    ledger.engine.dispose()
    verifies(office)

    office.kiosk.sql(f"UPDATE stocktake_scans SET times = 2 WHERE management_id = '{twice}'")  # noqa: S608
    err = broken(office)
    assert f"stocktake_scans stocktake {office.stocktake} card {twice}: times: is 2, the events say 3" in err
    assert f"(event {second.seq})" in err


def test_a_stocktake_marked_abandoned_by_sql_is_named(office: Office) -> None:
    # No event abandons a stocktake: the only way out is finishing it, signed by two people.
    office.kiosk.sql(f"UPDATE stocktakes SET status = 'abandoned' WHERE id = {office.stocktake}")  # noqa: S608
    ledger = office.kiosk.open()
    assert stocktake_ops.open_stocktake(ledger) is None  # the attack worked: the kiosk no longer resumes it
    ledger.engine.dispose()
    err = broken(office)
    assert f"stocktakes id {office.stocktake}: status: is 'abandoned', the events say 'open'" in err


def test_a_finished_stocktake_set_back_to_open_by_sql_is_named(office: Office) -> None:
    ledger = office.kiosk.open()
    finish_all(ledger, office)
    ledger.engine.dispose()
    verifies(office)
    office.kiosk.sql(f"UPDATE stocktakes SET status = 'open' WHERE id = {office.stocktake}")  # noqa: S608
    assert f"stocktakes id {office.stocktake}: status: is 'open', the events say 'finished'" in broken(office)


def finish_all(ledger: Ledger, office: Office) -> stocktake_ops.StocktakeResult:
    decisions = {
        mid: MissingDecision(Decision.FOUND_ELSEWHERE, "counter drawer")
        for mid in stocktake_ops.reconcile(ledger, office.stocktake).missing_ids
    }
    return stocktake_ops.finish(ledger, office.stocktake, decisions, office.officer, office.clerk)


def _legacy_start(ledger: Ledger, office: Office) -> int:
    """A stocktake as the kiosk started one before its repeat reads were events (no reads_on_chain)."""
    with ledger.unit() as u:
        row = models.Stocktake(
            kiosk=ledger.kiosk,
            started_at=u.at,
            operator_id=office.officer.id,
            witness_id=office.clerk.id,
            status="open",
        )
        u.session.add(row)
        u.session.flush()
        safe = sorted(
            u.session.execute(
                select(models.Card.management_id, models.Card.location).where(
                    models.Card.status.in_(["in_safe", "cancelled"])
                )
            ).all()
        )
        for mid, location in safe:
            u.session.add(models.StocktakeExpected(stocktake_id=row.id, management_id=mid, location=location))
        digest = hashlib.sha256(b"".join(mid.encode() + b"\n" for mid, _ in safe)).hexdigest()
        u.append(
            "stocktake_started",
            actor_id=office.officer.id,
            witness_id=office.clerk.id,
            stocktake_id=row.id,
            device=ledger.kiosk,
            payload={"expected": len(safe), "expected_sha256": digest},
        )
        return row.id


def test_an_older_stocktake_verifies_and_its_finished_reads_must_add_up(office: Office) -> None:
    ledger = office.kiosk.open()
    finish_all(ledger, office)
    legacy = _legacy_start(ledger, office)
    card = office.cards[1]
    stocktake_ops.record_scan(ledger, legacy, card)
    with ledger.unit() as u:  # the old writer: a repeat read only raised the counter, no event
        seen = u.session.get(models.StocktakeScan, (legacy, card))
        assert seen is not None
        seen.times += 1
    office.stocktake = legacy
    result = finish_all(ledger, office)
    assert len(result.duplicates) == 1
    ledger.engine.dispose()
    verifies(office)  # no event for that repeat, and none was due then: not a disagreement

    office.kiosk.sql(
        f"UPDATE stocktake_scans SET times = 1 WHERE stocktake_id = {legacy} AND management_id = '{card}'"  # noqa: S608
    )
    err = broken(office)
    assert f"stocktake_scans stocktake {legacy}: times: the reads add up to {result.reads - 1}" in err
    assert f"its finish signed {result.reads} (1)" in err
