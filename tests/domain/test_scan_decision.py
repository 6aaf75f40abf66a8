"""The scan decision at the safe, table-driven, from the facts alone: no database, no core.

Each row is (mode, card status or None for an unknown ID, booking, override) -> what the domain says:
the event to record with its payload, or the verdict code and recorded reason of a refusal.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.domain.card_state import CardState
from kiosk.domain.events import AtLocation, EventKind, Issued, TakenOut
from kiosk.domain.safe_session import Booking, Move, Override, Refuse, ScanMode, decide_scan
from kiosk.domain.staff import Role, StaffMember
from kiosk.domain.status import CardStatus
from kiosk.domain.verdicts import VerdictCode

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
    (
        ScanMode.TAKE_OUT,
        CardStatus.ISSUED,
        BOOKED_BY_OTHER,
        None,
        VerdictCode.WRONG_STATUS,
        "wrong_status",
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
        ScanMode.PUT_BACK,
        CardStatus.ISSUED,
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
    (
        ScanMode.HAND_OVER,
        CardStatus.ISSUED,
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
