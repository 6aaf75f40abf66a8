"""The scan decision at the safe, table-driven, from the facts alone: no database, no core.

Each row is (mode, card status or None for an unknown ID, booking, override) -> what the domain says:
the event to record with its payload, or the verdict code and recorded reason of a refusal.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.domain.card_state import CardState
from kiosk.domain.events import AtLocation, EventKind, HandedOverSeen, Issued, TakenOut
from kiosk.domain.safe_session import (
    OTHER_REASON,
    Alarm,
    Booking,
    Move,
    Override,
    Refuse,
    ScanMode,
    can_hand_over,
    decide_scan,
)
from kiosk.domain.staff import Role, StaffMember
from kiosk.domain.status import CardStatus
from kiosk.domain.verdicts import NextStep, VerdictCode

TAKER = 7
OTHER = 8
AT = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def person(staff_id: int, role: Role, *, active: bool = True) -> StaffMember:
    return StaffMember(staff_id, f"職員{staff_id}", f"B{staff_id:03d}", role, None, active, 0, f"E{staff_id}")


SUPERVISOR = person(9, Role.SUPERVISOR)
CLERK_AS_SUPERVISOR = person(10, Role.CLERK)
TAKER_AS_SUPERVISOR = person(TAKER, Role.SUPERVISOR)


def card(status: CardStatus) -> CardState:
    mid = "70000000" + "17"  # the shape of a management ID; the decision never parses it
    return CardState(
        management_id=mid,
        kind="mynumber_card",
        status=status,
        location="safe",
        batch="B-1",
        rfid_tag=None,
        applicant_ref=None,
        received_on=AT.date(),
        notice_sent_on=None,
        reminder_sent_on=None,
        closed_on=None,
        hold_reason=None,
        out_session_id=None,
        last_seq=1,
    )


BOOKED_BY_OTHER = Booking(OTHER)
BOOKED_BY_TAKER = Booking(TAKER)
OLD_BOOKING = Booking(None)  # booked before bookings named their booker

MOVES = [
    # mode, status, booking, override -> kind, payload
    (ScanMode.TAKE_OUT, CardStatus.IN_SAFE, BOOKED_BY_OTHER, None, EventKind.CARD_TAKEN_OUT, TakenOut()),
    (ScanMode.TAKE_OUT, CardStatus.IN_SAFE, OLD_BOOKING, None, EventKind.CARD_TAKEN_OUT, TakenOut()),
    (
        ScanMode.TAKE_OUT,
        CardStatus.IN_SAFE,
        None,
        Override(SUPERVISOR, " 本人来庁 "),
        EventKind.CARD_TAKEN_OUT,
        TakenOut(override_by=SUPERVISOR.id, reason="本人来庁"),
    ),
    (
        ScanMode.TAKE_OUT,
        CardStatus.IN_SAFE,
        BOOKED_BY_TAKER,
        Override(SUPERVISOR, "急ぎ"),
        EventKind.CARD_TAKEN_OUT,
        TakenOut(override_by=SUPERVISOR.id, reason="急ぎ"),
    ),
    (ScanMode.PUT_BACK, CardStatus.OUT, None, None, EventKind.CARD_PUT_BACK, AtLocation("safe")),
    (ScanMode.HAND_OVER, CardStatus.OUT, None, None, EventKind.CARD_ISSUED, Issued()),
]


@pytest.mark.parametrize(("mode", "status", "booking", "override", "kind", "payload"), MOVES)
def test_accepted_scans_name_the_event_and_its_payload(
    mode: ScanMode,
    status: CardStatus,
    booking: Booking | None,
    override: Override | None,
    kind: EventKind,
    payload: object,
) -> None:
    decision = decide_scan(mode, card(status), taker_id=TAKER, booking=booking, override=override)
    assert isinstance(decision, Move), decision
    assert (decision.kind, decision.payload) == (kind, payload)
    assert decision.code.changed


REFUSALS = [
    # mode, status (None: not a card of ours), booking, override -> code, recorded reason, attempted
    (ScanMode.TAKE_OUT, None, None, None, VerdictCode.UNKNOWN_ID, "unknown_id", "take_out"),
    (ScanMode.PUT_BACK, None, None, None, VerdictCode.UNKNOWN_ID, "unknown_id", "put_back"),
    (
        ScanMode.TAKE_OUT,
        CardStatus.OUT,
        BOOKED_BY_OTHER,
        None,
        VerdictCode.ALREADY_OUT,
        "already_out",
        "take_out",
    ),
    (ScanMode.TAKE_OUT, CardStatus.MISSING, None, None, VerdictCode.WRONG_STATUS, "wrong_status", "take_out"),
    (
        ScanMode.TAKE_OUT,
        CardStatus.IN_SAFE,
        None,
        None,
        VerdictCode.NOT_ON_PICK_LIST,
        "not_on_pick_list",
        "take_out",
    ),
    (
        ScanMode.TAKE_OUT,
        CardStatus.IN_SAFE,
        BOOKED_BY_TAKER,
        None,
        VerdictCode.NOT_ON_PICK_LIST,
        "booked_by_taker",
        "take_out",
    ),
    (
        ScanMode.TAKE_OUT,
        CardStatus.IN_SAFE,
        None,
        Override(CLERK_AS_SUPERVISOR, "急ぎ"),
        VerdictCode.OVERRIDE_REFUSED,
        "override_need_supervisor",
        "take_out",
    ),
    (
        ScanMode.TAKE_OUT,
        CardStatus.IN_SAFE,
        BOOKED_BY_TAKER,
        Override(TAKER_AS_SUPERVISOR, "自分で承認"),
        VerdictCode.OVERRIDE_REFUSED,
        "override_same_person",
        "take_out",
    ),
    (
        ScanMode.TAKE_OUT,
        CardStatus.IN_SAFE,
        None,
        Override(person(11, Role.SUPERVISOR, active=False), "急ぎ"),
        VerdictCode.OVERRIDE_REFUSED,
        "override_need_supervisor",
        "take_out",
    ),
    (
        ScanMode.PUT_BACK,
        CardStatus.IN_SAFE,
        None,
        None,
        VerdictCode.WRONG_STATUS,
        "wrong_status",
        "card_put_back",
    ),
    (
        ScanMode.HAND_OVER,
        CardStatus.IN_SAFE,
        None,
        None,
        VerdictCode.WRONG_STATUS,
        "wrong_status",
        "card_issued",
    ),
]


@pytest.mark.parametrize(("mode", "status", "booking", "override", "code", "reason", "attempted"), REFUSALS)
def test_refused_scans_name_the_code_the_reason_and_the_act(
    mode: ScanMode,
    status: CardStatus | None,
    booking: Booking | None,
    override: Override | None,
    code: VerdictCode,
    reason: str,
    attempted: str,
) -> None:
    subject = card(status) if status is not None else None
    decision = decide_scan(mode, subject, taker_id=TAKER, booking=booking, override=override)
    assert isinstance(decision, Refuse), decision
    assert (decision.code, decision.reason, decision.attempted) == (code, reason, attempted)
    assert not decision.code.changed


def test_every_status_and_mode_is_decided_and_only_the_status_machine_moves_a_card() -> None:
    # Every combination gets an answer; an accepted one is exactly a transition the machine allows.
    from kiosk.domain.status import TRANSITIONS, Action

    action = {
        ScanMode.TAKE_OUT: Action.TAKE_OUT,
        ScanMode.PUT_BACK: Action.PUT_BACK,
        ScanMode.HAND_OVER: Action.ISSUE,
    }
    for mode in ScanMode:
        for status in CardStatus:
            decision = decide_scan(mode, card(status), taker_id=TAKER, booking=BOOKED_BY_OTHER, override=None)
            allowed = (status, action[mode]) in TRANSITIONS
            assert isinstance(decision, Move) is allowed, (mode, status, decision)


# -- issue 21: an issued card at the safe is an alarm; every refusal names the next step ----------------


@pytest.mark.parametrize("mode", list(ScanMode))
def test_a_card_already_handed_over_seen_at_the_safe_is_an_alarm_in_every_mode(mode: ScanMode) -> None:
    decision = decide_scan(
        mode, card(CardStatus.ISSUED), taker_id=TAKER, booking=BOOKED_BY_OTHER, override=None
    )
    assert isinstance(decision, Alarm), decision
    assert decision.kind is EventKind.HANDED_OVER_CARD_SEEN
    assert decision.payload == HandedOverSeen(mode.value)
    assert decision.code is VerdictCode.HANDED_OVER_SEEN
    assert decision.next_step is NextStep.REPORT_SUPERVISOR
    assert not decision.code.changed


@pytest.mark.parametrize(
    ("mode", "status", "step"),
    [
        (ScanMode.HAND_OVER, CardStatus.IN_SAFE, NextStep.TAKE_OUT_FIRST),
        (ScanMode.PUT_BACK, CardStatus.IN_SAFE, NextStep.ALREADY_IN_SAFE),
        (ScanMode.TAKE_OUT, CardStatus.OUT, NextStep.HAND_OVER_OR_PUT_BACK),
        (ScanMode.TAKE_OUT, CardStatus.MISSING, NextStep.ASK_OFFICER),
        (ScanMode.HAND_OVER, CardStatus.CANCELLED, NextStep.ASK_OFFICER),
        (ScanMode.TAKE_OUT, None, NextStep.CHECK_LABEL),
        (ScanMode.HAND_OVER, None, NextStep.CHECK_LABEL),
    ],
)
def test_every_refusal_says_what_to_do_next(
    mode: ScanMode, status: CardStatus | None, step: NextStep
) -> None:
    subject = card(status) if status is not None else None
    decision = decide_scan(mode, subject, taker_id=TAKER, booking=BOOKED_BY_OTHER, override=None)
    assert isinstance(decision, Refuse), decision
    assert decision.next_step is step


def test_every_refusal_in_the_table_names_a_next_step() -> None:
    for mode, status, booking, override, *_ in REFUSALS:
        subject = card(status) if status is not None else None
        decision = decide_scan(mode, subject, taker_id=TAKER, booking=booking, override=override)
        assert isinstance(decision, Refuse)
        assert decision.next_step is not NextStep.NONE, (mode, status)


def test_can_hand_over_is_the_hand_over_decision_without_recording() -> None:
    assert can_hand_over(card(CardStatus.OUT)) is None
    in_safe = can_hand_over(card(CardStatus.IN_SAFE))
    assert in_safe is not None
    assert in_safe.next_step is NextStep.TAKE_OUT_FIRST
    issued = can_hand_over(card(CardStatus.ISSUED))
    assert issued is not None
    assert issued.code is VerdictCode.HANDED_OVER_SEEN
    unknown = can_hand_over(None)
    assert unknown is not None
    assert unknown.code is VerdictCode.UNKNOWN_ID


REASONS = ("予約外来庁", "郵送", "再交付", OTHER_REASON)


@pytest.mark.parametrize(
    ("reason", "note", "refused"),
    [
        ("郵送", "", None),
        ("再交付", "窓口で確認", None),
        ("急ぎ", "", "override_reason_not_listed"),
        (OTHER_REASON, "", "override_no_note"),
        (OTHER_REASON, "本人の都合で前倒し", None),
        ("  ", "", "override_no_reason"),
    ],
)
def test_an_override_reason_is_one_of_the_configured_reasons_and_other_needs_a_note(
    reason: str, note: str, refused: str | None
) -> None:
    override = Override(person(11, Role.SUPERVISOR), reason, note)
    decision = decide_scan(
        ScanMode.TAKE_OUT,
        card(CardStatus.IN_SAFE),
        taker_id=TAKER,
        booking=None,
        override=override,
        reasons=REASONS,
    )
    if refused is None:
        assert isinstance(decision, Move), decision
        assert decision.payload == TakenOut(override_by=11, reason=reason, note=note or None)
    else:
        assert isinstance(decision, Refuse), decision
        assert (decision.code, decision.reason) == (VerdictCode.OVERRIDE_REFUSED, refused)
