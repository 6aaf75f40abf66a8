"""The core's rules as a clerk meets them at the screen: the witness of a hand-over confirms it then, a
third person joins only with the confirmation of one of the two, and a person deactivated a moment ago
cannot act on the sign-in the screen still holds. Each refusal is on the record."""

from __future__ import annotations

from textual.widgets import Input

from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.domain.status import CardStatus
from kiosk.tui.screens.session import SessionScreen
from kiosk.tui.screens.signin import SignInModal
from tests.ledger_ops import current_session, outstanding
from tests.tui.conftest import BOOKED, Office, open_safe, screen_text, sign_in, verdict, wait_for


def refusals(office: Office, reason: str) -> int:
    return sum(1 for e in office.ledger.events() if e.kind == "refused" and e.data.get("reason") == reason)


async def test_a_hand_over_without_the_witness_confirming_is_not_recorded(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")
        await pilot.press("f4")
        office.scan(BOOKED[0])
        # The other person of the session is never filled in: the witness must sign in now.
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await pilot.press("escape")
        await wait_for(pilot, lambda: verdict(app).code == "need_witness")
        # The same person as the witness is refused by the dialog.
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        office.scan("O001")
        await wait_for(pilot, lambda: app.screen.query_one("#badge", Input).value == "O001")
        await pilot.press(*"1111", "enter")
        await wait_for(pilot, lambda: "同じ人" in screen_text(app), timeout=5)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
    card = office.ledger.card(BOOKED[0])
    assert card is not None
    assert card.status is CardStatus.OUT
    assert not [e for e in office.ledger.events(card_id=BOOKED[0]) if e.kind == "card_issued"]


async def test_a_third_person_joins_only_when_one_of_the_two_confirms(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)  # O001 and C001
        session = current_session(office.ledger)
        assert session is not None
        # C002 walks up and scans their badge: signed in, but not one of the session's people.
        office.scan("C002")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await pilot.press(*"4444", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen) and app.user is not None)
        assert app.user is not None
        assert app.user.badge == "C002"
        office.scan(BOOKED[1])
        # Refused (on record), and the join step asked for at once: its prompt says why (the verdict
        # does not stay behind the dialog).
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        assert "作業に加わります" in screen_text(app)
        assert outstanding(office.ledger, session.id) == []
        assert refusals(office, "not_in_session") == 1
        # The join step: one of the two who opened the safe confirms with badge and PIN.
        await sign_in(pilot, office, "C001")
        await wait_for(pilot, lambda: verdict(app).code == "joined")
        office.scan(BOOKED[1])
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")
    joined = [e for e in office.ledger.events() if e.kind == "session_joined"]
    assert len(joined) == 1
    c001, c002 = office.ledger.staff_by_badge("C001"), office.ledger.staff_by_badge("C002")
    assert c001 is not None
    assert c002 is not None
    assert (joined[0].actor_id, joined[0].witness_id) == (c002.id, c001.id)
    taken = [e for e in office.ledger.events(card_id=BOOKED[1]) if e.kind == "card_taken_out"]
    assert taken[0].actor_id == c002.id


async def test_a_member_deactivated_while_signed_in_cannot_act(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)  # O001 signed in at the screen
        # Meanwhile, at the administrator's desk, O001 is deactivated (an admin and a witness).
        desk = Desk(office.ledger, Settings())
        admin = desk.sign_in("A001", "9999")
        witness = desk.sign_in("S001", "5555")
        desk.deactivate(admin, witness, "O001")
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: verdict(app).code == "not_allowed")
        assert "無効" in verdict(app).text_shown
    assert office.ledger.card(BOOKED[0]).status is CardStatus.IN_SAFE  # type: ignore[union-attr]
    assert refusals(office, "inactive") == 1
