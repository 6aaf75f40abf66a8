"""Snapshots of the main screens (frozen clock, simulator devices online). Update with
`pytest tests/tui/test_snapshots.py --snapshot-update` and review the SVGs."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from kiosk.tui.screens.dialogs import CloseBlockedModal
from kiosk.tui.screens.signin import SignInModal
from tests.tui.conftest import BOOKED, Office, devices_online, open_safe, verdict, wait_for

SIZE = (120, 40)


def test_home_screen(office: Office, snap_compare: Any) -> None:
    app = office.make()

    async def ready(pilot: Pilot[Any]) -> None:
        await devices_online(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_session_screen_after_a_take_out(office: Office, snap_compare: Any) -> None:
    app = office.make()

    async def ready(pilot: Pilot[Any]) -> None:
        await open_safe(pilot, office)
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_sign_in_of_the_second_person(office: Office, snap_compare: Any) -> None:
    app = office.make()

    async def ready(pilot: Pilot[Any]) -> None:
        from tests.tui.conftest import sign_in

        await devices_online(pilot, app)
        await sign_in(pilot, office, "O001")
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_close_refused_with_a_card_out(office: Office, snap_compare: Any) -> None:
    app = office.make()

    async def ready(pilot: Pilot[Any]) -> None:
        await open_safe(pilot, office)
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, CloseBlockedModal))

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_override_reason_chosen_from_the_list(office: Office, snap_compare: Any) -> None:
    """予定外持出の理由: the configured reasons by number key, その他 chosen and its note missing."""
    from kiosk.tui.screens.dialogs import OverrideReasonModal
    from tests.tui.conftest import CARDS, screen_text, sign_in

    app = office.make()

    async def ready(pilot: Pilot[Any]) -> None:
        await open_safe(pilot, office)
        office.scan(CARDS[-1])
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "S001")
        await wait_for(pilot, lambda: isinstance(app.screen, OverrideReasonModal))
        await pilot.press("4", "enter")
        await wait_for(pilot, lambda: "具体的に記入" in screen_text(app))

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)
