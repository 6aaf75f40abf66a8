"""Disposal batches: prepared from the eligible list, approved, scanned out by two people, disposed."""

from __future__ import annotations

import pytest

from kiosk.desk import Desk
from kiosk.domain.card_state import office_date
from kiosk.domain.retention import RetentionPolicy, parse_dated_ids
from kiosk.domain.staff import TwoPersonError
from kiosk.domain.status import CardStatus
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.conftest import Crew, FakeClock
from tests.ledger.helpers import ids, receive
from tests.ledger_ops import (
    DisposalError,
    approve_disposal,
    due_lists,
    finish_disposal,
    list_batches,
    open_session,
    prepare_disposal,
    record_sent,
    scan_into_disposal,
    set_hold,
)

POLICY = RetentionPolicy()


def make_eligible(ledger: Ledger, clock: FakeClock, cards: list[str], waiting: list[str]) -> None:
    """`cards` become eligible today; `waiting` had their reminder only 89 days ago."""
    receive(ledger, cards + waiting)
    today = office_date(clock())
    record_sent(ledger, "notice", parse_dated_ids(cards + waiting, default=today, today=today))
    record_sent(ledger, "reminder", parse_dated_ids(cards, default=today, today=today))
    clock.advance(days=2)
    if waiting:
        record_sent(
            ledger,
            "reminder",
            parse_dated_ids(waiting, default=office_date(clock()), today=office_date(clock())),
        )
    clock.advance(days=89)


def test_the_whole_flow_keeps_the_history_and_names_both_people(
    ledger: Ledger, clock: FakeClock, crew: Crew
) -> None:
    a, b, c, w = ids(4)
    make_eligible(ledger, clock, [a, b, c], [w])
    assert [x.management_id for x in due_lists(ledger, POLICY).eligible] == [a, b, c]

    safe = open_session(ledger, crew.officer, crew.deputy, required=[], confirmed=[]).id
    batch = prepare_disposal(ledger, POLICY, crew.officer)  # default: every eligible card
    assert batch.cards == (a, b, c)
    assert batch.state == "prepared"
    with pytest.raises(DisposalError, match="approved") as not_yet:
        finish_disposal(ledger, batch.id, crew.officer, crew.deputy, "裁断")
    assert not_yet.value.reason == "wrong_state"
    v = scan_into_disposal(ledger, POLICY, batch.id, a, crew.officer, crew.deputy, session_id=safe)
    assert (v.ok, v.code) == (False, "wrong_state")

    with pytest.raises(DisposalError) as who:
        approve_disposal(ledger, batch.id, crew.officer)
    assert who.value.reason == "need_supervisor"
    batch = approve_disposal(ledger, batch.id, crew.supervisor)
    assert batch.state == "approved"
    assert batch.names[crew.supervisor.id] == "課長 三子"

    for mid in (a, b):
        v = scan_into_disposal(ledger, POLICY, batch.id, mid, crew.officer, crew.deputy, session_id=safe)
        assert (v.ok, v.code) == (True, "cancelled"), v.message
        assert v.card is not None
        assert v.card.status is CardStatus.CANCELLED
    again = scan_into_disposal(ledger, POLICY, batch.id, a, crew.officer, crew.deputy, session_id=safe)
    assert (again.ok, again.code) == (False, "already_scanned")
    stranger = scan_into_disposal(ledger, POLICY, batch.id, w, crew.officer, crew.deputy, session_id=safe)
    assert (stranger.ok, stranger.code) == (False, "not_in_batch")
    with pytest.raises(TwoPersonError):
        scan_into_disposal(ledger, POLICY, batch.id, c, crew.officer, crew.officer, session_id=safe)

    with pytest.raises(DisposalError, match="method"):
        finish_disposal(ledger, batch.id, crew.officer, crew.deputy, " ")
    done = finish_disposal(ledger, batch.id, crew.officer, crew.deputy, "裁断（シュレッダー）")
    assert done.state == "disposed"
    assert done.disposed == (a, b)
    assert done.not_scanned == (c,)
    assert done.method == "裁断（シュレッダー）"
    assert {done.names[done.operator_id], done.names[done.witness_id]} == {"保管 正子", "保管 副男"}  # type: ignore[index]
    assert ledger.card(a).status is CardStatus.DISPOSED  # type: ignore[union-attr]
    assert ledger.card(c).status is CardStatus.IN_SAFE  # type: ignore[union-attr]
    kinds = [e.event.kind for e in ledger.history(a)]
    assert kinds == [
        "card_received",
        "card_stored",
        "card_notice_sent",
        "card_reminder_sent",
        "refused",  # scanned before the batch was approved
        "card_cancelled",
        "refused",  # scanned twice
        "card_disposed",
    ]
    disposed_event = ledger.history(a)[-1]
    assert (disposed_event.actor_name, disposed_event.witness_name) == ("保管 正子", "保管 副男")
    assert [b.state for b in list_batches(ledger)] == ["disposed"]
    assert verify(ledger).ok


def test_a_card_not_eligible_is_refused_with_the_reason(ledger: Ledger, clock: FakeClock, crew: Crew) -> None:
    a, w = ids(2)
    make_eligible(ledger, clock, [a], [w])
    (unknown,) = ids(1, start=90)
    head = ledger.head()
    with pytest.raises(DisposalError) as info:
        prepare_disposal(ledger, POLICY, crew.officer, [a, w, unknown])
    problems = info.value.problems
    assert len(problems) == 2
    assert problems[0].startswith(f"{w}: period_running: the retention period runs until ")
    assert problems[1] == f"{unknown}: unknown_id: not in the ledger"
    events = ledger.events()[head[0] :]
    assert [(e.kind, e.card_id) for e in events] == [("refused", w), ("refused", None)]
    assert "period_running" in events[0].payload

    with pytest.raises(DisposalError, match="no card is eligible"):
        prepare_disposal(ledger, RetentionPolicy.from_preset("no-disposal"), crew.officer)


def test_a_card_put_on_hold_after_approval_is_refused_at_the_scan(
    ledger: Ledger, clock: FakeClock, crew: Crew
) -> None:
    a, b = ids(2)
    make_eligible(ledger, clock, [a, b], [])
    batch = approve_disposal(ledger, prepare_disposal(ledger, POLICY, crew.officer).id, crew.supervisor)
    set_hold(ledger, b, "本人から連絡あり", actor_id=crew.officer.id)
    safe = open_session(ledger, crew.officer, crew.clerk, required=[], confirmed=[]).id
    v = scan_into_disposal(ledger, POLICY, batch.id, b, crew.officer, crew.clerk, session_id=safe)
    assert (v.ok, v.code) == (False, "on_hold")
    assert ledger.card(b).status is CardStatus.IN_SAFE  # type: ignore[union-attr]
    assert ledger.events(limit=1)[0].kind == "refused"
    with pytest.raises(DisposalError) as info:
        prepare_disposal(ledger, POLICY, crew.officer, [a])
    assert "already in disposal batch" in info.value.problems[0]


def test_the_preparer_cannot_approve_and_a_finished_batch_is_closed(
    ledger: Ledger, clock: FakeClock, crew: Crew
) -> None:
    (a,) = ids(1)
    make_eligible(ledger, clock, [a], [])
    batch = prepare_disposal(ledger, POLICY, crew.supervisor)
    with pytest.raises(DisposalError) as info:
        approve_disposal(ledger, batch.id, crew.supervisor)
    assert info.value.reason == "same_person"
    with pytest.raises(DisposalError) as nothing:
        approve_disposal(ledger, batch.id + 999, crew.supervisor)
    assert nothing.value.reason == "unknown_batch"


def test_cards_leave_the_safe_for_disposal_only_while_it_is_open(
    ledger: Ledger, clock: FakeClock, crew: Crew, desk: Desk
) -> None:
    a, b = ids(2)
    make_eligible(ledger, clock, [a, b], [])
    batch = desk.disposal_approve(desk.disposal_prepare(crew.officer).id, crew.supervisor)
    # No open safe session: refused and recorded, the card stays in the safe.
    v = desk.disposal_scan(batch.id, a, crew.officer, crew.deputy, session_id=None)
    assert (v.ok, v.code, v.detail) == (False, "not_allowed", "no_session")
    assert ledger.card(a).status is CardStatus.IN_SAFE  # type: ignore[union-attr]
    assert ledger.events(limit=1)[0].kind == "refused"
    safe = desk.open_safe(crew.officer, crew.clerk, desk.settings.session.opening_checklist).id
    # A person who is not one of the open session's people cannot take cards out of it.
    v = desk.disposal_scan(batch.id, a, crew.deputy, crew.officer, session_id=safe)
    assert (v.ok, v.code, v.detail) == (False, "not_allowed", "not_in_session")
    v = desk.disposal_scan(batch.id, a, crew.officer, crew.clerk, session_id=safe)
    assert (v.ok, v.code) == (True, "cancelled")
