"""A PIN an administrator reset is one-time (issue 22): at the kiosk's sign-in its owner chooses a new
PIN, typed twice, before the sign-in counts; the one-time PIN then no longer works."""

from __future__ import annotations

import pytest

from kiosk.desk import Desk
from kiosk.domain.staff import AuthError
from kiosk.tui.screens.signin import SignInModal
from tests.conftest import PINS
from tests.tui.conftest import Office, screen_text, wait_for


async def test_a_reset_pin_asks_for_a_new_pin_twice_at_the_next_sign_in(office: Office) -> None:
    desk = Desk(office.ledger, office.settings)
    admin = desk.sign_in("A001", PINS["A001"])
    officer = desk.sign_in("O001", PINS["O001"])
    desk.reset_pin(admin, officer, "C002", "7070")
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        office.scan("C002")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        modal = app.screen
        await pilot.press(*"7070", "enter")
        await wait_for(pilot, lambda: "暗証番号がリセットされています" in screen_text(app))
        assert app.user is None  # the one-time PIN signs nobody in
        await pilot.press(*"8181", "enter")
        await wait_for(pilot, lambda: "もう一度" in screen_text(app))
        await pilot.press(*"8282", "enter")  # a typo in the confirmation
        await wait_for(pilot, lambda: "一致しません" in screen_text(app))
        assert app.screen is modal
        await pilot.press(*"8181", "enter")
        await wait_for(pilot, lambda: "もう一度" in screen_text(app))
        await pilot.press(*"8181", "enter")
        await wait_for(pilot, lambda: app.screen is not modal and app.user is not None)
        assert app.user is not None
        assert app.user.badge == "C002"
        assert not app.user.pin_change_due
    assert [e.kind for e in office.ledger.events()][-2:] == ["signed_in", "staff_pin_set"]
    with pytest.raises(AuthError):
        office.ledger.authenticate("C002", "7070")
    assert office.ledger.authenticate("C002", "8181").badge == "C002"
