"""The supervisor's read models (kiosk.desk.supervision) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from kiosk.desk import supervision
from kiosk.domain.retention import RetentionPolicy
from kiosk.domain.safe_session import Override, ScanMode
from kiosk.domain.staff import MAX_FAILED_ATTEMPTS, AuthError
from kiosk.domain.stocktake import DueReason
from kiosk.ledger.service import Ledger
from tests.ledger_ops import join_session, record_missing, scan_in_session
from tests.supervise.conftest import Office, event_count


def look(office: Office) -> supervision.Overview:
    return supervision.overview(
        office.ledger,
        now=office.clock(),
        max_open_minutes=30,
        stocktake_every_days=30,
        policy=RetentionPolicy(),
    )


def test_an_open_safe_and_a_card_out_with_who_and_since(office: Office) -> None:
    before = look(office)
    assert before.safes == ()
    assert before.out == ()
    session = office.open_safe()
    office.book(office.cards[0])
    office.clock.advance(minutes=3)
    office.take_out(session, office.cards[0])
    office.clock.advance(minutes=7)

    o = look(office)
    (safe,) = o.safes
    assert safe.kiosk == "kiosk-test"
    assert safe.is_open
    assert (safe.operator, safe.witness) == ("保管 正子", "窓口 一郎")
    assert safe.open_minutes == 10
    assert not safe.overdue
    (out,) = o.out
    assert out.management_id == office.cards[0]
    assert out.taken_by == "窓口 一郎"
    assert out.minutes_out == 7
    assert out.kiosk == "kiosk-test"
    assert dict(o.day_counts)["card_taken_out"] == 1
    assert dict(o.day_counts)["card_received"] == len(office.cards)
    assert o.in_safe == len(office.cards) - 1


def test_the_overdue_alert_comes_when_the_clock_passes_the_limit(office: Office) -> None:
    office.open_safe()
    office.clock.advance(minutes=30)
    assert not look(office).safes[0].overdue  # exactly at the limit: not yet
    office.clock.advance(seconds=61)
    o = look(office)
    assert o.safes[0].overdue
    assert o.safes[0].open_minutes == 31
    assert o.alert_count >= 1


def test_a_closed_safe_shows_closed(office: Office) -> None:
    session = office.open_safe()
    office.clock.advance(minutes=5)
    office.close_safe(session)
    (safe,) = look(office).safes
    assert not safe.is_open
    assert safe.closed_at == office.clock()
    assert not safe.overdue


def test_overrides_refusals_and_twelve_digit_attempts_are_counted(office: Office) -> None:
    session = office.open_safe()
    office.take_out(session, office.cards[1], override=Override(office.crew.supervisor, "窓口で急ぎ"))
    refused = scan_in_session(
        office.ledger, session.id, office.cards[2], ScanMode.TAKE_OUT, office.crew.clerk
    )
    assert refused.code == "not_on_pick_list"  # not booked, no override
    office.ledger.record_refusal("mynumber_refused", attempted="take_out", device="scanner")
    office.ledger.record_refusal("mynumber_refused", attempted="take_out", device="scanner")
    o = look(office)
    (override,) = o.overrides
    assert override.management_id == office.cards[1]
    assert override.approver == "課長 三子"
    assert override.reason == "窓口で急ぎ"
    assert dict(o.refusals) == {"mynumber_refused": 2, "not_on_pick_list": 1}
    assert o.mynumber_attempts == 2


def test_lockouts_and_failed_sign_ins(office: Office) -> None:
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(AuthError):
            office.ledger.authenticate("C002", "0000", device="supervise")
    o = look(office)
    assert o.failed_sign_ins == MAX_FAILED_ATTEMPTS
    assert o.lockouts_today == 1
    assert [p.name for p in o.locked] == ["窓口 二郎"]
    assert o.locked[0].locked_at == office.clock()


def test_missing_cards_open_incidents_stocktake_due_and_due_lists(office: Office) -> None:
    session = office.open_safe()
    office.book(office.cards[3])
    office.take_out(session, office.cards[3])
    verdict = record_missing(
        office.ledger, session.id, office.cards[3], office.crew.officer, office.crew.clerk, "見当たらない"
    )
    assert verdict.ok
    o = look(office)
    assert o.missing == (office.cards[3],)
    assert o.stocktake_due.reason is DueReason.NEVER
    # Cards without a notice date are on the notice-unknown work list.
    assert o.due.counts["notice_unknown"] == len(office.cards) - 1
    assert len(o.due.notice_unknown) == 5


def test_devices_say_when_nothing_is_recorded(office: Office) -> None:
    o = look(office)
    assert not o.devices_recorded
    assert o.devices_offline == ()


def test_integrity_shows_the_head_when_no_check_is_recorded(office: Office) -> None:
    o = look(office)
    seq, digest = office.ledger.head()
    assert o.integrity.last_check is None
    assert (o.integrity.head_seq, o.integrity.head_hash) == (seq, digest)
    assert o.integrity.head_at == office.clock()
    assert supervision.head_seq(office.ledger) == seq


def test_one_view_for_every_kiosk_on_the_ledger(office: Office) -> None:
    """Two kiosks on one ledger: both safes and both kiosks' cards are on the one view."""
    other = Ledger(office.ledger.engine, pepper=office.ledger.pepper, kiosk="kiosk-2", clock=office.clock)
    here = office.open_safe()
    there = office.open_safe(other)
    office.book(office.cards[4], office.cards[5])
    office.take_out(here, office.cards[4])
    office.take_out(there, office.cards[5], ledger=other)
    o = look(office)
    assert [(s.kiosk, s.is_open) for s in o.safes] == [("kiosk-2", True), ("kiosk-test", True)]
    assert {(c.management_id, c.kiosk) for c in o.out} == {
        (office.cards[4], "kiosk-test"),
        (office.cards[5], "kiosk-2"),
    }


def test_the_overview_writes_nothing(office: Office) -> None:
    office.open_safe()
    before = event_count(office.ledger), office.ledger.head()
    look(office)
    supervision.head_seq(office.ledger)
    assert (event_count(office.ledger), office.ledger.head()) == before


def test_a_third_person_who_joined_is_named_with_the_safe(office: Office) -> None:
    session = office.open_safe()
    join_session(office.ledger, session.id, office.crew.clerk2, office.crew.officer)
    (safe,) = look(office).safes
    assert safe.joined == ("窓口 二郎",)
