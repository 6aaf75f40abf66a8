"""Safe sessions, the pick list and scans, on both databases."""

from __future__ import annotations

import pytest

from kiosk.desk import Desk
from kiosk.domain.safe_session import ChecklistIncomplete, Override, ScanMode, SessionNotClear
from kiosk.domain.staff import AuthError, TwoPersonError
from kiosk.domain.status import CardStatus
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.conftest import PINS, Crew
from tests.ledger.helpers import ids, receive
from tests.ledger_ops import (
    add_to_pick_list,
    close_session,
    current_session,
    open_session,
    outstanding,
    pick_list,
    record_missing,
    scan_in_session,
)

CHECKS = ["no bag", "no phone"]


@pytest.fixture
def stocked(ledger: Ledger, crew: Crew) -> list[str]:
    cards = ids(6)
    receive(ledger, cards)
    add_to_pick_list(ledger, cards[:3], crew.supervisor)
    return cards


def opened(ledger: Ledger, crew: Crew) -> int:
    return open_session(ledger, crew.officer, crew.clerk, required=CHECKS, confirmed=CHECKS).id


def test_a_day_at_the_safe(ledger: Ledger, crew: Crew, stocked: list[str]) -> None:
    session = opened(ledger, crew)
    assert current_session(ledger) is not None
    for mid in stocked[:3]:
        verdict = scan_in_session(ledger, session, mid, ScanMode.TAKE_OUT, crew.clerk, device="scanner-1")
        assert (verdict.ok, verdict.code) == (True, "taken_out")
    handed = scan_in_session(ledger, session, stocked[0], ScanMode.HAND_OVER, crew.clerk, witness=crew.clerk2)
    assert handed.code == "issued"
    for mid in stocked[1:3]:
        assert scan_in_session(ledger, session, mid, ScanMode.PUT_BACK, crew.clerk).code == "put_back"
    close_session(ledger, session, crew.officer, crew.clerk, required=CHECKS, confirmed=CHECKS)
    assert current_session(ledger) is None
    counts = ledger.counts()
    assert counts[CardStatus.ISSUED] == 1
    assert counts[CardStatus.IN_SAFE] == 5
    issued = ledger.history(stocked[0])[-1]
    assert (issued.event.kind, issued.actor_name, issued.witness_name) == (
        "card_issued",
        "窓口 一郎",
        "窓口 二郎",
    )
    assert verify(ledger).ok


def test_opening_needs_two_people_an_officer_and_the_checklist(ledger: Ledger, crew: Crew) -> None:
    with pytest.raises(TwoPersonError):
        open_session(ledger, crew.clerk, crew.clerk2, required=CHECKS, confirmed=CHECKS)
    with pytest.raises(TwoPersonError):
        open_session(ledger, crew.officer, crew.officer, required=CHECKS, confirmed=CHECKS)
    with pytest.raises(ChecklistIncomplete):
        open_session(ledger, crew.officer, crew.clerk, required=CHECKS, confirmed=CHECKS[:1])
    assert current_session(ledger) is None


def test_scan_verdicts_and_refusals_are_recorded(ledger: Ledger, crew: Crew, stocked: list[str]) -> None:
    session = opened(ledger, crew)
    off_list = stocked[4]
    verdict = scan_in_session(ledger, session, off_list, ScanMode.TAKE_OUT, crew.clerk)
    assert (verdict.ok, verdict.code) == (False, "not_on_pick_list")
    assert ledger.card(off_list).status is CardStatus.IN_SAFE  # type: ignore[union-attr]
    refused = ledger.events()[-1]
    assert (refused.kind, refused.data["reason"]) == ("refused", "not_on_pick_list")

    not_a_supervisor = scan_in_session(
        ledger, session, off_list, ScanMode.TAKE_OUT, crew.clerk, override=Override(crew.clerk2, "急ぎ")
    )
    assert (not_a_supervisor.ok, not_a_supervisor.code, not_a_supervisor.detail) == (
        False,
        "override_refused",
        "need_supervisor",
    )
    assert ledger.events()[-1].data == {"reason": "override_need_supervisor", "attempted": "take_out"}
    assert ledger.card(off_list).status is CardStatus.IN_SAFE  # type: ignore[union-attr]

    approved = scan_in_session(
        ledger,
        session,
        off_list,
        ScanMode.TAKE_OUT,
        crew.clerk,
        override=Override(crew.supervisor, "予約の前倒し"),
    )
    assert approved.code == "taken_out"
    assert ledger.events()[-1].data == {"override_by": crew.supervisor.id, "reason": "予約の前倒し"}

    again = scan_in_session(ledger, session, off_list, ScanMode.TAKE_OUT, crew.clerk)
    assert again.code == "already_out"
    unknown = scan_in_session(ledger, session, ids(1, start=999)[0], ScanMode.TAKE_OUT, crew.clerk)
    assert unknown.code == "unknown_id"
    garbage = scan_in_session(ledger, session, "ABC-123", ScanMode.TAKE_OUT, crew.clerk)
    assert (garbage.code, garbage.detail) == ("refused_input", "not_digits")
    back_twice = scan_in_session(ledger, session, stocked[5], ScanMode.PUT_BACK, crew.clerk)
    assert back_twice.code == "wrong_status"
    assert verify(ledger).ok


def test_closing_is_refused_until_every_card_is_back_or_recorded_missing(
    ledger: Ledger, crew: Crew, stocked: list[str]
) -> None:
    session = opened(ledger, crew)
    scan_in_session(ledger, session, stocked[0], ScanMode.TAKE_OUT, crew.clerk)
    with pytest.raises(SessionNotClear) as info:
        close_session(ledger, session, crew.officer, crew.clerk, required=CHECKS, confirmed=CHECKS)
    assert info.value.outstanding == [stocked[0]]
    assert outstanding(ledger, session) == [stocked[0]]
    with pytest.raises(TwoPersonError):
        record_missing(ledger, session, stocked[0], crew.officer, crew.officer, "窓口で紛失の疑い")
    verdict = record_missing(ledger, session, stocked[0], crew.officer, crew.clerk, "窓口で紛失の疑い")
    assert verdict.code == "marked_missing"
    close_session(ledger, session, crew.officer, crew.clerk, required=CHECKS, confirmed=CHECKS)
    assert ledger.card(stocked[0]).status is CardStatus.MISSING  # type: ignore[union-attr]
    assert verify(ledger).ok


def test_pick_list_reports_bad_lines(ledger: Ledger, crew: Crew, stocked: list[str]) -> None:
    added, problems = add_to_pick_list(ledger, [stocked[3], "123", ids(1, start=500)[0]], crew.supervisor)
    assert added == [stocked[3]]
    assert len(problems) == 2
    assert stocked[3] in pick_list(ledger)


def test_lockout_after_five_wrong_pins(ledger: Ledger, crew: Crew, desk: Desk) -> None:
    for remaining in (4, 3, 2, 1):
        with pytest.raises(AuthError) as info:
            ledger.authenticate("C001", "0000")
        assert (info.value.reason, info.value.remaining) == ("wrong_pin", remaining)
    with pytest.raises(AuthError, match="locked"):
        ledger.authenticate("C001", "0000")
    with pytest.raises(AuthError, match="locked"):
        ledger.authenticate("C001", PINS["C001"])  # even the right PIN
    desk.unlock(crew.admin, crew.officer, "C001")  # an administrator with a witness
    assert ledger.authenticate("C001", PINS["C001"]).id == crew.clerk.id
    kinds = [e.kind for e in ledger.events()]
    assert kinds.count("auth_failed") == 6
    assert "staff_locked" in kinds


def test_a_deactivated_member_cannot_sign_in_and_keeps_their_name(
    ledger: Ledger, crew: Crew, desk: Desk
) -> None:
    desk.deactivate(crew.admin, crew.officer, "C002")
    with pytest.raises(AuthError, match="inactive"):
        ledger.authenticate("C002", PINS["C002"])
    assert [m.name for m in ledger.list_staff() if not m.active] == ["窓口 二郎"]
