"""The application core enforces the table on a real ledger (SQLite and PostgreSQL): people are re-read
inside every write, refusals roll the work back and are recorded as refused attempts."""

from __future__ import annotations

import pytest

from kiosk.desk import Desk, NotAllowed
from kiosk.domain.authz import Act
from kiosk.domain.management_id import ManagementId
from kiosk.domain.safe_session import Override, ScanMode
from kiosk.domain.staff import AuthError, Role
from kiosk.domain.status import CardStatus
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.conftest import PINS, Crew, FakeClock
from tests.ledger.helpers import ids, receive


def refused(ledger: Ledger, reason: str, attempted: str | None = None) -> int:
    return sum(
        1
        for e in ledger.events()
        if e.kind == "refused"
        and e.data.get("reason") == reason
        and (attempted is None or e.data.get("attempted") == attempted)
    )


def open_safe(desk: Desk, crew: Crew) -> int:
    return desk.open_safe(crew.officer, crew.clerk, desk.settings.session.opening_checklist).id


def test_opening_needs_two_distinct_people_one_an_officer(desk: Desk, crew: Crew, ledger: Ledger) -> None:
    checklist = desk.settings.session.opening_checklist
    with pytest.raises(NotAllowed) as same:
        desk.open_safe(crew.officer, crew.officer, checklist)
    assert same.value.reason == "same_person"
    with pytest.raises(NotAllowed) as clerks:
        desk.open_safe(crew.clerk, crew.clerk2, checklist)
    assert clerks.value.reason == "need_officer"
    assert desk.current_session() is None
    assert refused(ledger, "same_person", "open_safe") == 1
    assert refused(ledger, "need_officer", "open_safe") == 1


def test_a_stale_snapshot_of_a_deactivated_officer_cannot_open_or_take_out(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    receive(ledger, ids(2))
    desk.book(ids(2), crew.supervisor)
    sid = open_safe(desk, crew)
    desk.deactivate(crew.admin, crew.supervisor, "O001")
    # crew.officer still says active=True: the core re-reads the person inside the write.
    verdict = desk.scan(sid, ManagementId.parse(ids(1)[0]), ScanMode.TAKE_OUT, crew.officer)
    assert (verdict.ok, verdict.code, verdict.detail) == (False, "not_allowed", "inactive")
    assert ledger.card(ids(1)[0]).status is CardStatus.IN_SAFE  # type: ignore[union-attr]
    desk.close_safe(sid, crew.deputy, crew.clerk, desk.settings.session.closing_checklist)
    with pytest.raises(NotAllowed) as stale:
        desk.open_safe(crew.officer, crew.clerk, desk.settings.session.opening_checklist)
    assert stale.value.reason == "inactive"
    assert refused(ledger, "inactive") == 2


def test_a_stale_outgoing_officer_cannot_hand_over_the_safe(desk: Desk, crew: Crew, ledger: Ledger) -> None:
    """The outgoing officer of a handover (保管責任者の引継ぎ) is re-read inside the write too."""
    from kiosk.domain.staff import TwoPersonError

    desk.deactivate(crew.admin, crew.supervisor, "O001")
    with pytest.raises((NotAllowed, TwoPersonError)) as stale:
        desk.officer_handover(crew.officer, crew.deputy, crew.supervisor)  # crew.officer: active=True, stale
    assert stale.value.reason == "inactive"
    assert not [e for e in ledger.events() if e.kind == "officer_handover"]
    desk.reactivate(crew.admin, crew.supervisor, "O001")
    desk.officer_handover(crew.officer, crew.deputy, crew.supervisor)
    assert [e.actor_id for e in ledger.events() if e.kind == "officer_handover"] == [crew.deputy.id]


def test_only_the_sessions_people_act_and_a_third_joins_by_a_two_person_step(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    cards = ids(2)
    receive(ledger, cards)
    desk.book(cards, crew.supervisor)
    sid = open_safe(desk, crew)
    outsider = desk.scan(sid, ManagementId.parse(cards[0]), ScanMode.TAKE_OUT, crew.clerk2)
    assert (outsider.code, outsider.detail) == ("not_allowed", "not_in_session")
    with pytest.raises(NotAllowed):
        desk.join_session(sid, crew.clerk2, crew.clerk2)  # nobody of the session confirmed
    desk.join_session(sid, crew.clerk2, crew.clerk)
    assert desk.scan(sid, ManagementId.parse(cards[0]), ScanMode.TAKE_OUT, crew.clerk2).code == "taken_out"
    assert crew.clerk2.id in desk.session_people(sid)


def test_the_booker_cannot_take_out_alone_and_the_override_needs_another_supervisor(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    cards = ids(3)
    receive(ledger, cards)
    desk.book(cards[:1], crew.officer)  # booked by the officer who then opens the safe
    sid = open_safe(desk, crew)
    own = desk.scan(sid, ManagementId.parse(cards[0]), ScanMode.TAKE_OUT, crew.officer)
    assert (own.code, own.detail) == ("not_on_pick_list", "booked_by_taker")
    unbooked = desk.scan(sid, ManagementId.parse(cards[1]), ScanMode.TAKE_OUT, crew.clerk)
    assert (unbooked.code, unbooked.detail) == ("not_on_pick_list", "not_on_pick_list")
    by_clerk = desk.scan(
        sid,
        ManagementId.parse(cards[1]),
        ScanMode.TAKE_OUT,
        crew.clerk,
        override=Override(crew.clerk2, "本人来庁"),
    )
    assert (by_clerk.code, by_clerk.detail) == ("not_allowed", "need_supervisor")
    approved = desk.scan(
        sid,
        ManagementId.parse(cards[0]),
        ScanMode.TAKE_OUT,
        crew.officer,
        override=Override(crew.supervisor, "予約外来庁"),
    )
    assert approved.code == "taken_out"
    event = ledger.events(card_id=cards[0])[-1]
    assert event.data["override_by"] == crew.supervisor.id
    booking = next(e for e in ledger.events(card_id=cards[0]) if e.kind == "pick_list_added")
    assert booking.actor_id == crew.officer.id


def test_a_hand_over_needs_a_witness_other_than_the_actor(desk: Desk, crew: Crew, ledger: Ledger) -> None:
    card = ids(1)
    receive(ledger, card)
    desk.book(card, crew.supervisor)
    sid = open_safe(desk, crew)
    assert desk.scan(sid, ManagementId.parse(card[0]), ScanMode.TAKE_OUT, crew.clerk).ok
    nobody = desk.scan(sid, ManagementId.parse(card[0]), ScanMode.HAND_OVER, crew.clerk)
    assert nobody.code == "need_witness"
    self_witness = desk.scan(
        sid, ManagementId.parse(card[0]), ScanMode.HAND_OVER, crew.clerk, witness=crew.clerk
    )
    assert (self_witness.code, self_witness.detail) == ("not_allowed", "same_person")
    witness = desk.confirm_witness("O002", PINS["O002"])
    done = desk.scan(sid, ManagementId.parse(card[0]), ScanMode.HAND_OVER, crew.clerk, witness=witness)
    assert done.code == "issued"
    issued = [e for e in ledger.events(card_id=card[0]) if e.kind == "card_issued"]
    assert (issued[0].actor_id, issued[0].witness_id) == (crew.clerk.id, crew.deputy.id)
    assert refused(ledger, "need_witness") == 1


def test_receipt_needs_an_officer_and_a_witness(desk: Desk, crew: Crew, ledger: Ledger) -> None:
    from kiosk.domain.delivery import parse_delivery

    lines = parse_delivery("management_id,kind\n" + "".join(f"{m},mynumber_card\n" for m in ids(2)))
    with pytest.raises(NotAllowed) as clerk:
        desk.receive("B-1", lines, crew.clerk, crew.officer)
    assert clerk.value.reason == "role"
    assert ledger.card(ids(1)[0]) is None
    states = desk.receive("B-1", lines, crew.officer, crew.clerk)
    assert [s.status for s in states] == [CardStatus.IN_SAFE, CardStatus.IN_SAFE]
    assert ledger.events(card_id=ids(1)[0])[0].witness_id == crew.clerk.id


def test_staff_administration_is_an_administrators_with_a_witness(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    add = {"name": "新人", "badge": "N001", "employee_no": "E-N077", "role": Role.OFFICER, "rank": 0}
    with pytest.raises(NotAllowed) as officer:
        desk.add_staff(crew.officer, crew.clerk, pin="7777", **add)  # type: ignore[arg-type]
    assert officer.value.reason == "role"
    with pytest.raises(NotAllowed) as alone:
        desk.add_staff(crew.admin, None, pin="7777", **add)  # type: ignore[arg-type]
    assert alone.value.reason == "need_second"
    member = desk.add_staff(crew.admin, crew.supervisor, pin="7777", **add)  # type: ignore[arg-type]
    added = [e for e in ledger.events() if e.kind == "staff_added"][-1]
    assert (added.actor_id, added.witness_id) == (crew.admin.id, crew.supervisor.id)
    assert added.data["employee_no"] == "E-N077"
    # One person, one account: the same employee number, or the badge in another case, is refused.
    with pytest.raises(ValueError, match="employee number"):
        desk.add_staff(crew.admin, crew.supervisor, pin="7777", **{**add, "badge": "N001-B"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="badge"):
        desk.add_staff(
            crew.admin, crew.supervisor, pin="7777", **{**add, "badge": "n001", "employee_no": "E-X"}
        )  # type: ignore[arg-type]
    assert desk.sign_in("ｎ００１", "7777").id == member.id  # full-width, lower case: the same badge
    demoted = desk.set_role(crew.admin, crew.supervisor, "N001", Role.CLERK, None)
    assert demoted.role is Role.CLERK
    desk.deactivate(crew.admin, crew.supervisor, "N001")
    with pytest.raises(AuthError):
        desk.sign_in("N001", "7777")
    desk.reactivate(crew.admin, crew.supervisor, "N001")
    desk.reset_pin(crew.admin, crew.supervisor, "N001", "8888")
    assert desk.sign_in("N001", "8888").role is Role.CLERK
    kinds = [e.kind for e in ledger.events() if e.data.get("staff") == member.id]
    assert kinds == [
        "staff_added",
        "staff_role_changed",
        "staff_deactivated",
        "staff_reactivated",
        "staff_pin_reset",
    ]
    mine = [e for e in ledger.events() if e.kind.startswith("staff_") and e.data.get("staff") == member.id]
    assert all((e.actor_id, e.witness_id) == (crew.admin.id, crew.supervisor.id) for e in mine)
    with pytest.raises(ValueError, match="last active administrator"):
        desk.deactivate(crew.admin, crew.supervisor, "A001")
    assert verify(ledger).ok


def test_a_lockout_runs_out_and_an_administrator_may_unlock_sooner(
    desk: Desk, crew: Crew, ledger: Ledger, clock: FakeClock
) -> None:
    for _ in range(5):
        with pytest.raises(AuthError):
            desk.sign_in("C001", "0000")
    with pytest.raises(AuthError, match="locked"):
        desk.sign_in("C001", PINS["C001"])
    clock.advance(minutes=31)
    assert desk.sign_in("C001", PINS["C001"]).id == crew.clerk.id
    assert any(e.kind == "staff_lock_expired" for e in ledger.events())
    for _ in range(5):
        with pytest.raises(AuthError):
            desk.sign_in("C001", "0000")
    with pytest.raises(NotAllowed):
        desk.unlock(crew.officer, crew.supervisor, "C001")  # not an administrator
    desk.unlock(crew.admin, crew.supervisor, "C001")
    assert desk.sign_in("C001", PINS["C001"]).id == crew.clerk.id


def test_stocktake_start_and_finish_by_two_one_an_officer_and_scans_name_the_counter(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    cards = ids(3)
    receive(ledger, cards)
    with pytest.raises(NotAllowed):
        desk.stocktake_start(crew.clerk, crew.clerk2)
    view = desk.stocktake_start(crew.clerk, crew.officer)
    for mid in cards:
        desk.stocktake_scan(view.id, mid, crew.clerk2, source="manual")
    counted = [e for e in ledger.events() if e.kind == "stocktake_counted"]
    assert {e.actor_id for e in counted} == {crew.clerk2.id}
    assert {e.source for e in counted} == {"manual"}
    with pytest.raises(NotAllowed):
        desk.stocktake_finish(view.id, {}, crew.clerk, crew.clerk)
    outcome = desk.stocktake_finish(view.id, {}, crew.clerk, crew.officer)
    assert outcome.result is not None
    assert (outcome.result.expected, outcome.result.found) == (3, 3)


def test_a_cancelled_card_waits_in_the_safe_is_counted_and_can_go_missing_and_be_found(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    from kiosk.domain.stocktake import Decision, MissingDecision
    from kiosk.ledger import retention_ops

    card = ids(1)[0]
    receive(ledger, [card])
    # Cancel it through the ledger path the disposal scan uses (the retention rules are tested apart).
    with ledger.unit() as u:
        u.card_event("card_cancelled", card, payload={"location": "disposal-1"}, actor_id=crew.officer.id)
    assert ledger.card(card).status is CardStatus.CANCELLED  # type: ignore[union-attr]
    view = desk.stocktake_start(crew.officer, crew.clerk)
    assert view.expected == 1  # the cancelled card is in the safe, so it is expected
    decisions = {card: MissingDecision(Decision.RECORD_MISSING, "見当たらない")}
    desk.stocktake_finish(view.id, decisions, crew.officer, crew.clerk)
    assert ledger.card(card).status is CardStatus.MISSING  # type: ignore[union-attr]
    desk.record_found(card, crew.officer, crew.clerk, note="廃棄用トレイの奥")
    # Found again, it goes back to waiting for disposal, not to the issuable stock.
    assert ledger.card(card).status is CardStatus.CANCELLED  # type: ignore[union-attr]
    assert retention_ops is not None
    assert verify(ledger).ok


def test_every_act_refused_by_the_core_leaves_the_chain_verifiable(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    from kiosk.ledger import staff_ops

    with pytest.raises(NotAllowed), desk.act(Act.STAFF_UNLOCK, crew.clerk, crew.officer) as u:
        staff_ops.unlock_staff(u, "C002", ledger.pepper)
    assert refused(ledger, "role", "staff_unlock") == 1
    assert verify(ledger).ok


def test_free_text_with_a_hidden_number_or_control_characters_is_refused_and_recorded_by_field(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    from kiosk.domain.management_id import Refusal

    card = ids(1)[0]
    receive(ledger, [card])
    digits = "".join(str((3 * i + 1) % 10) for i in range(12))  # built at run time
    hidden = f"入院中 {digits[:4]}\u200b{digits[4:8]}\u2212{digits[8:]} 連絡待ち"
    for reason in (hidden, "入院\x1b[2J", "   "):
        with pytest.raises(Refusal):
            desk.hold(card, reason, crew.officer)
    assert ledger.card(card).hold_reason is None  # type: ignore[union-attr]
    reasons = [e.data["reason"] for e in ledger.events() if e.kind == "refused"]
    assert reasons[-3:] == ["mynumber_refused", "control_character", "empty"]
    assert all(e.data.get("attempted") == "hold.reason" for e in ledger.events() if e.kind == "refused")
    assert digits not in "".join(e.payload for e in ledger.events())
    # The stored form is NFKC: full-width letters and spaces fold.
    state = desk.hold(card, "長期入院　ＡＢ", crew.officer)
    assert state.hold_reason == "長期入院 AB"
