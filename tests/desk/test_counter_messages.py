"""Issue 21 item 9 in the core: a handed-over card seen at the safe is an alarm on the chain and on the
supervisor's page, a hand-over is checked before its witness is called, every refusal names the next step,
override reasons come from the configured list, and a clerk books the pick list only with a second person."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk.desk import Desk, NotAllowed
from kiosk.domain.management_id import ManagementId
from kiosk.domain.retention import RetentionPolicy
from kiosk.domain.safe_session import OTHER_REASON, Override, ScanMode
from kiosk.domain.status import CardStatus
from kiosk.domain.verdicts import NextStep, VerdictCode
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.conftest import Crew
from tests.ledger.helpers import ids, receive


def open_safe(desk: Desk, crew: Crew) -> int:
    return desk.open_safe(crew.officer, crew.clerk, desk.settings.session.opening_checklist).id


def events(ledger: Ledger, kind: str) -> list[dict[str, object]]:
    return [{"card": e.card_id, **e.data} for e in ledger.events() if e.kind == kind]


def test_a_handed_over_card_seen_at_the_safe_is_an_alarm_on_the_chain_and_the_supervisors_page(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    cards = ids(2)
    receive(ledger, cards)
    desk.book(cards, crew.supervisor)
    sid = open_safe(desk, crew)
    mid = ManagementId.parse(cards[0])
    assert desk.scan(sid, mid, ScanMode.TAKE_OUT, crew.clerk).ok
    assert desk.scan(sid, mid, ScanMode.HAND_OVER, crew.clerk, witness=crew.officer).ok
    for mode in ScanMode:
        seen = desk.scan(sid, mid, mode, crew.clerk)
        assert (seen.ok, seen.code, seen.next_step) == (
            False,
            VerdictCode.HANDED_OVER_SEEN,
            NextStep.REPORT_SUPERVISOR,
        )
        assert seen.seq is not None
    # Three alarms on the chain (not refused attempts), each naming the card, the person and the mode.
    alarms = events(ledger, "handed_over_card_seen")
    assert [(a["card"], a["attempted"]) for a in alarms] == [(cards[0], m.value) for m in ScanMode]
    assert not [r for r in events(ledger, "refused") if r["card"] == cards[0]]
    assert ledger.card(cards[0]).status is CardStatus.ISSUED  # type: ignore[union-attr]
    assert verify(ledger).ok
    page = desk.supervision_overview(
        now=ledger.clock(), max_open_minutes=30, stocktake_every_days=30, policy=RetentionPolicy()
    )
    assert [line.management_id for line in page.handed_over_seen] == [cards[0]] * 3
    assert {line.by for line in page.handed_over_seen} == {crew.clerk.name}
    assert page.alert_count >= 3


def test_a_hand_over_is_checked_before_the_witness_and_a_refusal_says_take_it_out_first(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    cards = ids(2)
    receive(ledger, cards)
    desk.book(cards, crew.supervisor)
    sid = open_safe(desk, crew)
    # Still in the safe: no witness is asked for; the check records nothing by itself.
    before = len(ledger.events())
    check = desk.can_hand_over(cards[0])
    assert check is not None
    assert (check.code, check.next_step) == (VerdictCode.WRONG_STATUS, NextStep.TAKE_OUT_FIRST)
    assert len(ledger.events()) == before
    # The scan without a witness records the real refusal (not "need_witness") with the next step.
    verdict = desk.scan(sid, ManagementId.parse(cards[0]), ScanMode.HAND_OVER, crew.clerk)
    assert (verdict.code, verdict.next_step) == (VerdictCode.WRONG_STATUS, NextStep.TAKE_OUT_FIRST)
    assert [r["reason"] for r in events(ledger, "refused") if r["card"] == cards[0]] == ["wrong_status"]
    # Out now: the hand-over can succeed, so the witness is called (and without one it is refused).
    assert desk.scan(sid, ManagementId.parse(cards[0]), ScanMode.TAKE_OUT, crew.clerk).ok
    assert desk.can_hand_over(cards[0]) is None
    unwitnessed = desk.scan(sid, ManagementId.parse(cards[0]), ScanMode.HAND_OVER, crew.clerk)
    assert unwitnessed.code is VerdictCode.NEED_WITNESS
    assert ledger.card(cards[0]).status is CardStatus.OUT  # type: ignore[union-attr]
    # Someone who is not one of the session's people is refused as before (and offered the join step).
    outsider = desk.scan(sid, ManagementId.parse(cards[1]), ScanMode.HAND_OVER, crew.clerk2)
    assert (outsider.code, outsider.detail) == (VerdictCode.NOT_ALLOWED, "not_in_session")
    # An ID not in the ledger says what to do next.
    stranger = ids(1, start=500)[0]
    unknown = desk.can_hand_over(stranger)
    assert unknown is not None
    assert unknown.next_step is NextStep.CHECK_LABEL
    scanned = desk.scan(sid, ManagementId.parse(stranger), ScanMode.TAKE_OUT, crew.clerk)
    assert (scanned.code, scanned.next_step) == (VerdictCode.UNKNOWN_ID, NextStep.CHECK_LABEL)


def test_override_reasons_come_from_the_configured_list_and_other_needs_a_note(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    cards = ids(3)
    receive(ledger, cards)
    sid = open_safe(desk, crew)
    sup = crew.supervisor

    def take(mid: str, override: Override) -> VerdictCode:
        return desk.scan(sid, ManagementId.parse(mid), ScanMode.TAKE_OUT, crew.clerk, override=override).code

    assert take(cards[0], Override(sup, "急ぎ")) is VerdictCode.OVERRIDE_REFUSED
    assert take(cards[0], Override(sup, OTHER_REASON)) is VerdictCode.OVERRIDE_REFUSED
    assert take(cards[0], Override(sup, "郵送")) is VerdictCode.TAKEN_OUT
    assert take(cards[1], Override(sup, OTHER_REASON, "本人が時間外に来庁")) is VerdictCode.TAKEN_OUT
    reasons = [r["reason"] for r in events(ledger, "refused")]
    assert reasons == ["override_reason_not_listed", "override_no_note"]
    taken = events(ledger, "card_taken_out")
    assert [(t["reason"], t.get("note")) for t in taken] == [
        ("郵送", None),
        (OTHER_REASON, "本人が時間外に来庁"),
    ]
    assert desk.override_reasons(cards) == {cards[0]: "郵送", cards[1]: OTHER_REASON}


def test_a_clerk_books_the_pick_list_only_with_a_second_person(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    cards = ids(4)
    receive(ledger, cards)
    with pytest.raises(NotAllowed) as alone:
        desk.book(cards[:1], crew.clerk)
    assert alone.value.reason == "need_second"
    assert desk.pick_list() == []
    added, problems = desk.book(cards[:1], crew.clerk, second=crew.clerk2)
    assert (added, problems) == (cards[:1], [])
    booked = events(ledger, "pick_list_added")
    assert [b["card"] for b in booked] == cards[:1]
    assert [e.witness_id for e in ledger.events() if e.kind == "pick_list_added"] == [crew.clerk2.id]
    # An officer or a supervisor books alone, as the table says.
    assert desk.book(cards[1:2], crew.officer)[0] == cards[1:2]
    assert desk.book(cards[2:3], crew.supervisor)[0] == cards[2:3]
    # A problem is a line, an ID and a code (the screens word it), never English for the clerk.
    _, problems = desk.book([ids(1, start=700)[0], "12"], crew.officer)
    assert [(p.line, p.reason) for p in problems] == [(1, "unknown_id"), (2, "wrong_length")]


def test_the_supervisors_out_list_marks_a_take_out_without_a_booking(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    cards = ids(2)
    receive(ledger, cards)
    desk.book(cards[:1], crew.supervisor)
    sid = open_safe(desk, crew)
    assert desk.scan(sid, ManagementId.parse(cards[0]), ScanMode.TAKE_OUT, crew.clerk).ok
    override = Override(crew.supervisor, "再交付")
    assert desk.scan(sid, ManagementId.parse(cards[1]), ScanMode.TAKE_OUT, crew.clerk, override=override).ok
    page = desk.supervision_overview(
        now=ledger.clock() + timedelta(minutes=1),
        max_open_minutes=30,
        stocktake_every_days=30,
        policy=RetentionPolicy(),
    )
    assert {line.management_id: line.override_reason for line in page.out} == {
        cards[0]: None,
        cards[1]: "再交付",
    }


def test_a_handed_over_card_counted_in_a_stocktake_is_the_same_alarm(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    cards = ids(3)
    receive(ledger, cards)
    desk.book(cards, crew.supervisor)
    sid = open_safe(desk, crew)
    for mid in cards[:2]:
        assert desk.scan(sid, ManagementId.parse(mid), ScanMode.TAKE_OUT, crew.clerk).ok
        assert desk.scan(
            sid, ManagementId.parse(mid), ScanMode.HAND_OVER, crew.clerk, witness=crew.officer
        ).ok
    desk.close_safe(sid, crew.officer, crew.clerk, desk.settings.session.closing_checklist)
    st = desk.stocktake_start(crew.officer, crew.clerk)
    one = desk.stocktake_scan(st.id, cards[0], crew.officer)
    assert one.ledger_status is CardStatus.ISSUED
    desk.stocktake_many(st.id, crew.officer, [cards[1], cards[2]], source="tray_photo", device="webcam")
    desk.stocktake_scan(st.id, cards[0], crew.officer)  # counted again: one alarm per card and stocktake
    alarms = events(ledger, "handed_over_card_seen")
    assert [(a["card"], a["attempted"]) for a in alarms] == [
        (cards[0], "stocktake_scan"),
        (cards[1], "stocktake_scan"),
    ]
    assert verify(ledger).ok
