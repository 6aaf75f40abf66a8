"""Issue 21 item 9 at the kiosk: the messages a clerk meets at the counter, on the real app with the
simulator's scanner and a real ledger."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.widgets import Input

from drivers.contract import DeviceStatus
from drivers.damm import with_check_digit
from kiosk.tui.screens.dialogs import EntryModal
from kiosk.tui.screens.pick_list import PickListScreen
from kiosk.tui.screens.session import SessionScreen
from kiosk.tui.screens.signin import SignInModal
from kiosk.tui.widgets import StatusBar
from tests.conftest import PINS
from tests.tui.conftest import (
    BOOKED,
    CARDS,
    SCANNER,
    Office,
    devices_online,
    open_safe,
    screen_text,
    sign_in,
    verdict,
    wait_for,
)


async def test_a_hand_over_of_a_card_in_the_safe_says_take_it_out_first_without_asking_a_witness(
    office: Office,
) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        await pilot.press("f4")
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: verdict(app).code == "wrong_status")
        assert isinstance(app.screen, SessionScreen)  # no witness was asked for
        assert "先に持出してください" in verdict(app).text_shown
        refused = [e for e in office.ledger.events(card_id=BOOKED[0]) if e.kind == "refused"]
        assert [e.data["reason"] for e in refused] == ["wrong_status"]
        # An ID not in the ledger says what to do next, too.
        stranger = with_check_digit("700009999")
        office.scan(stranger)
        await wait_for(pilot, lambda: verdict(app).code == "unknown_id")
        assert "保管責任者に渡してください" in verdict(app).text_shown


async def test_a_card_scanned_while_the_witness_dialog_waits_never_lands_in_its_badge_field(
    office: Office,
) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")
        await pilot.press("f4")
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        modal = app.screen
        # The last verdict does not stay behind the dialog.
        assert verdict(app).code is None
        before = len(office.ledger.events())
        office.scan(BOOKED[1])  # the next card, read too early
        await wait_for(pilot, lambda: "管理IDのラベルです" in screen_text(app))
        assert modal.query_one("#badge", Input).value == ""
        assert "登録されていないバッジ" not in screen_text(app)
        # Typed into the badge field, a management ID is refused the same way (no sign-in attempt).
        await pilot.press(*BOOKED[1], "enter")
        await wait_for(pilot, lambda: modal.query_one("#badge", Input).value == "")
        assert app.screen is modal
        # A keyboard-wedge scanner typing a card's label into the PIN field: not tried as a PIN.
        office.scan("C001")
        await wait_for(pilot, lambda: modal.query_one("#badge", Input).value == "C001")
        await pilot.press(*BOOKED[1], "enter")
        await wait_for(pilot, lambda: "管理IDのラベルです" in screen_text(app))
        assert app.screen is modal
        assert not [e for e in office.ledger.events()[before:] if e.kind == "auth_failed"]
        modal.query_one("#badge", Input).value = ""
        # The witness's badge still works.
        await sign_in(pilot, office, "C001")
        await wait_for(pilot, lambda: verdict(app).code == "issued")


async def test_enter_on_an_empty_entry_says_what_is_missing(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, EntryModal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "何も入力されていません" in screen_text(app))
        assert isinstance(app.screen, EntryModal)


async def test_the_disconnect_verdict_is_cleared_when_the_scanner_is_back(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        office.hub.unplug(SCANNER)
        await wait_for(pilot, lambda: verdict(app).code == "device_problem")
        await wait_for(pilot, lambda: "切断" in str(app.screen.query_one(StatusBar).content))
        status = str(app.screen.query_one(StatusBar).content)
        assert "device gone" not in status
        office.hub.replug(SCANNER)
        await wait_for(pilot, lambda: app.links[SCANNER].status is DeviceStatus.ONLINE)
        await wait_for(pilot, lambda: verdict(app).code is None)
        assert "切断" not in str(app.screen.query_one(StatusBar).content)


@pytest.mark.parametrize("width", [80, 100])
async def test_the_status_line_keeps_the_person_at_80_and_100_columns(office: Office, width: int) -> None:
    app = office.make()
    async with app.run_test(size=(width, 24)) as pilot:
        await open_safe(pilot, office)
        bar = app.screen.query_one(StatusBar)
        await wait_for(pilot, lambda: "担当" in str(bar.content))
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        person = [line for line in lines if "担当:" in line]
        assert person, f"担当 is cut off at {width} columns"
        assert "保管 正子" in person[0]
        # The whole line fits: nothing after the person is cut off either (the clock is last).
        assert "09:30:00" in person[0].rsplit("│", 1)[-1]
        assert all(cell_len(line) <= width for line in lines)


async def test_a_clerk_books_the_pick_list_with_a_second_person(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        await sign_in(pilot, office, "C001")
        app.push_screen(PickListScreen())
        await wait_for(pilot, lambda: isinstance(app.screen, PickListScreen))
        office.scan(CARDS[6])
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        office.scan("C002")
        await wait_for(pilot, lambda: app.screen.query_one("#badge", Input).value == "C002")
        await pilot.press(*PINS["C002"], "enter")
        await wait_for(pilot, lambda: verdict(app).code == "added")
        booked = [e for e in office.ledger.events(card_id=CARDS[6]) if e.kind == "pick_list_added"]
        clerk2 = office.ledger.staff_by_badge("C002")
        assert clerk2 is not None
        assert [e.witness_id for e in booked] == [clerk2.id]
        # Cancelled: nothing is booked.
        office.scan(CARDS[7])
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PickListScreen))
        assert not [e for e in office.ledger.events(card_id=CARDS[7]) if e.kind == "pick_list_added"]
