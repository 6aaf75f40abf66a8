"""Stocktake operations on a real ledger (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from kiosk.domain.staff import TwoPersonError
from kiosk.domain.status import CardStatus
from kiosk.domain.stocktake import Decision, DecisionError, DueReason, MissingDecision, Sighting
from kiosk.ledger import models
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from simulator.cabinet import Cabinet
from tests import ledger_ops as st
from tests.conftest import Crew, FakeClock
from tests.ledger_ops import open_session, scan_in_session
from tests.stocktake.helpers import fill_from_cabinet


def twelve_digits() -> str:
    return "".join(str(i % 10) for i in range(3, 15))


@pytest.fixture
def cabinet(ledger: Ledger, crew: Crew) -> Cabinet:
    cab = Cabinet.generate(24, seed=7)
    fill_from_cabinet(ledger, cab, actor_id=crew.officer.id)
    return cab


def test_start_needs_two_people_one_an_officer_and_freezes_the_expected_set(
    ledger: Ledger, crew: Crew, cabinet: Cabinet
) -> None:
    with pytest.raises(TwoPersonError):
        st.start(ledger, crew.clerk, crew.clerk2)
    with pytest.raises(TwoPersonError):
        st.start(ledger, crew.officer, crew.officer)
    view = st.start(ledger, crew.officer, crew.clerk)
    assert view.expected == len(cabinet)
    assert st.open_stocktake(ledger) == view
    with pytest.raises(st.StocktakeError) as exc:
        st.start(ledger, crew.deputy, crew.clerk)
    assert exc.value.reason == "already_open"
    with ledger.read() as s:
        rows = dict(
            s.execute(
                select(models.StocktakeExpected.management_id, models.StocktakeExpected.location).where(
                    models.StocktakeExpected.stocktake_id == view.id
                )
            ).all()
        )
    assert rows == {c.management_id: c.location for c in cabinet.cards.values()}


def test_each_kind_of_verdict(ledger: Ledger, crew: Crew, cabinet: Cabinet, clock: FakeClock) -> None:
    ids = cabinet.ids()
    cards = cabinet.cards
    # One card is taken out in a safe session before the stocktake: seen in the safe, it is unexpected.
    session = open_session(ledger, crew.officer, crew.clerk, required=[], confirmed=[])
    from kiosk.domain.safe_session import Override, ScanMode

    override = Override(crew.supervisor, "test")
    taken = scan_in_session(ledger, session.id, ids[-1], ScanMode.TAKE_OUT, crew.clerk, override=override)
    assert taken.ok, taken
    view = st.start(ledger, crew.officer, crew.clerk)
    assert view.expected == len(cabinet) - 1

    first = st.record_scan(ledger, view.id, ids[0])
    assert first.code is Sighting.FOUND
    assert first.seq is not None
    again = st.record_scan(ledger, view.id, ids[0], source="rfid")
    assert again.code is Sighting.DUPLICATE
    assert again.times == 2

    # Location-first counting: a shelf label, then the cards on it; a card of another shelf is misplaced.
    shelf = cards[ids[1]].location
    other = next(m for m in ids[2:-1] if cards[m].location != shelf)
    assert st.record_scan(ledger, view.id, f"L:{shelf}", device="hand-1").code is Sighting.LOCATION
    assert st.record_scan(ledger, view.id, ids[1], device="hand-1").code is Sighting.FOUND
    moved = st.record_scan(ledger, view.id, other, device="hand-1")
    assert moved.code is Sighting.MISPLACED
    assert (moved.location, moved.expected_location) == (shelf, cards[other].location)
    # Another device has its own location context.
    assert st.record_scan(ledger, view.id, ids[3], device="hand-2").location is None

    out = st.record_scan(ledger, view.id, ids[-1])
    assert out.code is Sighting.UNEXPECTED
    assert out.ledger_status is CardStatus.OUT
    stranger = "7" * 9 + "0"
    unknown = st.record_scan(ledger, view.id, stranger)
    assert unknown.code is Sighting.UNKNOWN
    bad = st.record_scan(ledger, view.id, ids[4][:-1] + str((int(ids[4][-1]) + 1) % 10))
    assert (bad.code, bad.detail) == (Sighting.REFUSED, "check_digit")
    secret = st.record_scan(ledger, view.id, twelve_digits())
    assert (secret.code, secret.detail) == (Sighting.REFUSED, "mynumber_refused")

    result = st.reconcile(ledger, view.id)
    assert [line.management_id for line in result.misplaced] == [other]
    assert [line.management_id for line in result.unexpected] == [ids[-1]]
    assert [line.management_id for line in result.unknown] == [stranger]
    assert [line.management_id for line in result.duplicates] == [ids[0]]
    assert set(result.missing_ids) == set(ids[:-1]) - {ids[0], ids[1], other, ids[3]}
    assert result.found == 4
    p = st.progress(ledger, view.id)
    assert (p.expected, p.found, p.missing, p.unknown, p.reads) == (len(ids) - 1, 4, len(ids) - 5, 1, 7)

    # The unknown ID is kept (scans table and event payload), never as a card.
    assert ledger.card(stranger) is None
    with ledger.read() as s:
        assert s.get(models.StocktakeScan, (view.id, stranger)) is not None
    assert all(twelve_digits() not in ev.payload for ev in ledger.events())
    assert verify(ledger).ok


def test_record_many_tray_photo_and_rfid_round(ledger: Ledger, crew: Crew, cabinet: Cabinet) -> None:
    view = st.start(ledger, crew.officer, crew.clerk)
    cards = list(cabinet.cards.values())
    shelf = cards[0].location
    on_shelf = [c.management_id for c in cards if c.location == shelf]
    photo = st.record_many(
        ledger, view.id, [f"L:{shelf}", *on_shelf, on_shelf[0], "junk", twelve_digits()], source="tray_photo"
    )
    assert set(photo.ids(Sighting.FOUND)) == set(on_shelf)
    assert photo.location == shelf
    assert photo.refused == {"not_digits": 1, "mynumber_refused": 1}
    rfid = st.record_many(
        ledger, view.id, tags=[c.tag_epc or "" for c in cards] * 3 + ["E2800000DEADBEEF"], source="rfid"
    )
    assert set(rfid.ids(Sighting.FOUND)) == {c.management_id for c in cards} - set(on_shelf)
    assert set(rfid.ids(Sighting.DUPLICATE)) == set(on_shelf)
    assert rfid.unbound_tags == ("E2800000DEADBEEF",)
    with ledger.read() as s:
        times = s.get_one(models.StocktakeScan, (view.id, on_shelf[0])).times
        other = s.get_one(models.StocktakeScan, (view.id, on_shelf[1])).times
    # Two labels with one ID in a photo count twice; an RFID round counts each tag once.
    assert (times, other) == (3, 2)
    result = st.reconcile(ledger, view.id)
    assert result.missing == ()
    assert result.sources == {"rfid": len(cards) - len(on_shelf), "tray_photo": len(on_shelf)}
    assert verify(ledger).ok


def test_finish_asks_a_person_for_every_missing_card(
    ledger: Ledger, crew: Crew, cabinet: Cabinet, clock: FakeClock
) -> None:
    ids = cabinet.ids()
    view = st.start(ledger, crew.officer, crew.clerk)
    lost, elsewhere, later = ids[0], ids[1], ids[2]
    st.record_many(ledger, view.id, ids[3:], source="tray_photo")
    with pytest.raises(DecisionError) as exc:
        st.finish(ledger, view.id, {}, crew.officer, crew.clerk)
    assert exc.value.reason == "undecided"
    assert exc.value.cards == tuple(sorted([lost, elsewhere, later]))
    assert ledger.card(lost).status is CardStatus.IN_SAFE  # type: ignore[union-attr]

    decisions = {
        lost: MissingDecision(Decision.RECORD_MISSING, "not in the safe; reported to the supervisor"),
        elsewhere: MissingDecision(Decision.FOUND_ELSEWHERE, "on the counter desk"),
        later: MissingDecision(Decision.SEARCH_AGAIN),
    }
    with pytest.raises(DecisionError) as exc:
        st.finish(ledger, view.id, decisions, crew.officer, crew.clerk)
    assert exc.value.reason == "search_again"
    assert st.open_stocktake(ledger) is not None
    assert ledger.events(limit=1)[0].kind == st.EV_SEARCH_AGAIN
    assert st.record_scan(ledger, view.id, later).code is Sighting.FOUND

    clock.advance(minutes=25)
    with pytest.raises(TwoPersonError):
        st.finish(ledger, view.id, decisions, crew.clerk, crew.clerk2)
    result = st.finish(ledger, view.id, decisions, crew.officer, crew.deputy)
    assert result.missing_ids == [lost]
    assert ledger.card(lost).status is CardStatus.MISSING  # type: ignore[union-attr]
    assert ledger.card(elsewhere).status is CardStatus.IN_SAFE  # type: ignore[union-attr]
    assert st.open_stocktake(ledger) is None
    kinds = [e.event.kind for e in ledger.history(lost)]
    assert kinds[-2:] == ["card_missing", "incident_opened"]
    record = st.stocktake_record(ledger, view.id)
    assert record.signed_by == (crew.officer.name, crew.deputy.name)
    assert record.duration is not None
    assert record.duration.total_seconds() == 25 * 60
    with pytest.raises(st.StocktakeError):
        st.record_scan(ledger, view.id, lost)

    # Found at the next stocktake: it comes back into the safe, with its history.
    clock.advance(days=1)
    nxt = st.start(ledger, crew.officer, crew.clerk)
    assert nxt.expected == len(ids) - 1
    seen = st.record_scan(ledger, nxt.id, lost)
    assert (seen.code, seen.ledger_status) == (Sighting.UNEXPECTED, CardStatus.MISSING)
    st.record_many(ledger, nxt.id, ids, source="rfid")
    st.finish(ledger, nxt.id, {}, crew.officer, crew.clerk)
    assert ledger.card(lost).status is CardStatus.IN_SAFE  # type: ignore[union-attr]
    assert [e.event.kind for e in ledger.history(lost)][-1] == "card_found"
    assert verify(ledger).ok


def test_record_found_outside_a_stocktake(ledger: Ledger, crew: Crew, cabinet: Cabinet) -> None:
    mid = cabinet.ids()[0]
    view = st.start(ledger, crew.officer, crew.clerk)
    st.record_many(ledger, view.id, cabinet.ids()[1:], source="rfid")
    st.finish(
        ledger, view.id, {mid: MissingDecision(Decision.RECORD_MISSING, "absent")}, crew.officer, crew.clerk
    )
    state = st.record_found(ledger, mid, crew.officer, crew.clerk, note="behind the drawer")
    assert state.status is CardStatus.IN_SAFE
    with pytest.raises(st.StocktakeError):
        st.record_found(ledger, mid, crew.officer, crew.clerk, note="twice")
    assert verify(ledger).ok


def test_due_every_n_days_and_after_a_handover(
    ledger: Ledger, crew: Crew, cabinet: Cabinet, clock: FakeClock
) -> None:
    today = date(2026, 4, 1)
    assert st.stocktake_due(ledger, today, every_days=30).reason is DueReason.NEVER
    view = st.start(ledger, crew.officer, crew.clerk)
    assert st.stocktake_due(ledger, today, every_days=30).reason is DueReason.IN_PROGRESS
    st.record_many(ledger, view.id, cabinet.ids(), source="rfid")
    st.finish(ledger, view.id, {}, crew.officer, crew.clerk)
    assert st.stocktake_due(ledger, today, every_days=30).reason is DueReason.NOT_DUE
    assert st.stocktake_due(ledger, date(2026, 5, 1), every_days=30).reason is DueReason.INTERVAL
    assert st.stocktake_due(ledger, date(2026, 5, 1), every_days=31).reason is DueReason.NOT_DUE

    with pytest.raises(TwoPersonError):
        st.record_handover(ledger, crew.officer, crew.clerk, crew.deputy)  # to a clerk
    with pytest.raises(TwoPersonError):
        st.record_handover(ledger, crew.officer, crew.deputy, crew.officer)  # no third person
    clock.advance(hours=2)
    st.record_handover(ledger, crew.officer, crew.deputy, crew.supervisor)
    due = st.stocktake_due(ledger, today, every_days=30)
    assert due.reason is DueReason.HANDOVER
    clock.advance(hours=1)
    again = st.start(ledger, crew.deputy, crew.clerk)
    st.record_many(ledger, again.id, cabinet.ids(), source="rfid")
    st.finish(ledger, again.id, {}, crew.deputy, crew.clerk)
    assert st.stocktake_due(ledger, today, every_days=30).reason is DueReason.NOT_DUE
    assert verify(ledger).ok
