"""F5 on a scanning screen types a management ID by hand; a staff badge scanned there switches the user."""

from __future__ import annotations

from textual.widgets import Input

from kiosk.domain.status import CardStatus
from kiosk.tui.screens.dialogs import EntryModal
from kiosk.tui.screens.session import SessionScreen
from kiosk.tui.screens.signin import SignInModal
from tests.tui.conftest import BOOKED, Office, open_safe, verdict, wait_for


async def test_a_typed_id_is_taken_out_with_source_manual(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, EntryModal))
        app.screen.query_one("#entry", Input).value = BOOKED[1]
        await pilot.press("enter")
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")
        card = office.ledger.card(BOOKED[1])
        assert card is not None
        assert card.status is CardStatus.OUT
        assert office.ledger.events(card_id=BOOKED[1])[-1].source == "manual"


async def test_a_badge_scanned_in_a_session_asks_that_person_to_sign_in(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
        office.scan("C002")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, SignInModal) and app.screen.query_one("#badge", Input).value == "C002"
            ),
        )
