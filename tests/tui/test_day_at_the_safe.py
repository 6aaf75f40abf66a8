"""A whole day at the safe, driven by simulated scans and keys, checked on the ledger and the screen."""

from __future__ import annotations

from kiosk.domain.status import CardStatus
from kiosk.ledger.verify import verify
from kiosk.tui.screens.dialogs import ChecklistModal, CloseBlockedModal, EntryModal
from kiosk.tui.screens.home import HomeScreen
from kiosk.tui.screens.session import SessionScreen
from kiosk.tui.screens.signin import SignInModal
from tests.ledger_ops import current_session, get_session, outstanding
from tests.tui.conftest import BOOKED, CARDS, Office, open_safe, screen_text, sign_in, verdict, wait_for


async def test_open_take_out_hand_over_put_back_and_close(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        session = current_session(office.ledger)
        assert session is not None
        officer = office.ledger.staff_by_badge("O001")
        clerk = office.ledger.staff_by_badge("C001")
        assert officer is not None
        assert clerk is not None
        assert (session.operator_id, session.witness_id) == (officer.id, clerk.id)
        assert f"利用中#{session.id}" in screen_text(app)

        # Take out three booked cards (the default mode is 持出).
        for mid in BOOKED[:3]:
            office.scan(mid)
            await wait_for(
                pilot, lambda mid=mid: verdict(app).code == "taken_out" and mid in verdict(app).text_shown
            )
        assert outstanding(office.ledger, session.id) == sorted(BOOKED[:3])
        assert "持出OK" in verdict(app).text_shown
        assert "▲" in verdict(app).text_shown

        # Hand one over (交付): the witness confirms this hand-over now, with badge and PIN.
        await pilot.press("f4")
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "C001")
        await wait_for(pilot, lambda: verdict(app).code == "issued")
        issued = [e for e in office.ledger.events(card_id=BOOKED[0]) if e.kind == "card_issued"]
        assert len(issued) == 1
        assert issued[0].actor_id == officer.id
        assert issued[0].witness_id == clerk.id

        # Put back the other two.
        await pilot.press("f3")
        for mid in BOOKED[1:3]:
            office.scan(mid)
            await wait_for(
                pilot, lambda mid=mid: verdict(app).code == "put_back" and mid in verdict(app).text_shown
            )
        assert outstanding(office.ledger, session.id) == []

        # Close: the second person and the closing checklist.
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O002")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistModal))
        await pilot.press("enter")  # not every item ticked yet: refused
        assert isinstance(app.screen, ChecklistModal)
        await pilot.press("1", "2", "3", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert verdict(app).code == "session_closed"
        closed = get_session(office.ledger, session.id)
        assert closed is not None
        assert closed.closed_at is not None
        assert current_session(office.ledger) is None

    assert office.ledger.card(BOOKED[0]).status is CardStatus.ISSUED  # type: ignore[union-attr]
    assert office.ledger.card(BOOKED[1]).status is CardStatus.IN_SAFE  # type: ignore[union-attr]
    assert verify(office.ledger).ok


async def test_close_is_refused_while_a_card_is_out_until_two_people_record_it_missing(
    office: Office,
) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        session = current_session(office.ledger)
        assert session is not None
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")

        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, CloseBlockedModal))
        assert BOOKED[0] in screen_text(app)
        await pilot.press("escape")  # back: the session stays open
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
        assert current_session(office.ledger) is not None

        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, CloseBlockedModal))
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O002")
        await wait_for(pilot, lambda: isinstance(app.screen, EntryModal))
        await pilot.press(*"not found", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistModal))
        await pilot.press("1", "2", "3", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))

    card = office.ledger.card(BOOKED[0])
    assert card is not None
    assert card.status is CardStatus.MISSING
    missing = [e for e in office.ledger.events(card_id=BOOKED[0]) if e.kind == "card_missing"]
    assert missing
    assert missing[0].witness_id is not None
    assert missing[0].actor_id != missing[0].witness_id
    assert current_session(office.ledger) is None
    assert verify(office.ledger).ok


async def test_opening_needs_a_responsible_officer(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        from tests.tui.conftest import devices_online

        await devices_online(pilot, app)
        await sign_in(pilot, office, "C001")
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "C002")
        await wait_for(pilot, lambda: verdict(app).code == "two_person")
        assert "保管責任者" in verdict(app).text_shown
    assert current_session(office.ledger) is None


async def test_a_restart_resumes_the_open_session(office: Office) -> None:
    from tests.ledger_ops import open_session

    officer = office.ledger.staff_by_badge("O001")
    clerk = office.ledger.staff_by_badge("C001")
    assert officer
    assert clerk
    checklist = office.settings.session.opening_checklist
    session = open_session(office.ledger, officer, clerk, required=checklist, confirmed=checklist)
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
        assert f"#{session.id}" in screen_text(app)
        # Nobody is signed in after a restart: a scan asks for a badge first.
        office.scan(CARDS[0])
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "C001")
        office.scan(CARDS[0])
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")
    assert CARDS[0] in outstanding(office.ledger, session.id)
