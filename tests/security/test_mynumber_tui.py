"""Issue 11, "Done when", the TUI part: every dialog that takes free text refuses 12 digits in any spelling.

Under Pilot: the supervisor override's reason (a card not on today's list) and the missing-card note when
closing with a card out get each spelling (ASCII, full-width, Arabic-Indic; bare or with each separator);
each is refused in the dialog with the My Number message, nothing is recorded, and no file under the
test's folder (ledger and its WAL) holds the digits afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from kiosk.tui.screens.dialogs import CloseBlockedModal, EntryModal, OverrideReasonModal
from kiosk.tui.screens.signin import SignInModal
from tests.ledger_ops import current_session, outstanding
from tests.security.test_mynumber_property import SPELLINGS, leaks, spelled
from tests.tui.conftest import BOOKED, CARDS, Office, office, open_safe, sign_in, verdict, wait_for

__all__ = ["office"]  # the fixture, imported from the TUI tests


async def refused_every_spelling(pilot: Pilot[Any], field: str = "#entry") -> None:
    """Type each spelling into the open dialog's free-text field (an EntryModal's entry, the override
    reason's note); each is refused and the dialog stays open."""
    app = pilot.app
    dialog = (EntryModal, OverrideReasonModal)
    for script, sep in SPELLINGS:
        modal = app.screen
        assert isinstance(modal, dialog)
        entry = modal.query_one(field, Input)
        entry.value = f"理由 {spelled(script, sep)}"
        await pilot.press("enter")
        await wait_for(pilot, lambda entry=entry: entry.value == "")
        assert app.screen is modal, (script, sep)
        assert "⛔" in str(modal.query_one("#message", Static).content)
    # Item 6: a reason or note refuses control characters too (a pasted or scanned escape sequence).
    modal = app.screen
    assert isinstance(modal, dialog)
    entry = modal.query_one(field, Input)
    entry.value = "理由\x1b[2J"
    await pilot.press("enter")
    await wait_for(pilot, lambda: entry.value == "")
    assert app.screen is modal
    assert "⛔" in str(modal.query_one("#message", Static).content)
    await pilot.press("escape")


async def test_override_reason_and_missing_note_refuse_every_spelling(office: Office, tmp_path: Path) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        session = current_session(office.ledger)
        assert session is not None
        head = office.ledger.head()

        # A card not on today's pick list: the supervisor signs, then the reason dialog.
        office.scan(CARDS[-1])
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "S001")
        await wait_for(pilot, lambda: isinstance(app.screen, OverrideReasonModal))
        await pilot.press("4")  # その他: the note is where free text goes now
        await refused_every_spelling(pilot, field="#note")
        card = office.ledger.card(CARDS[-1])
        assert card is not None
        assert card.status.value == "in_safe"

        # Close with a booked card out: the missing-card note.
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")
        head = office.ledger.head()
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, CloseBlockedModal))
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O002")
        await wait_for(pilot, lambda: isinstance(app.screen, EntryModal))
        await refused_every_spelling(pilot)
        assert outstanding(office.ledger, session.id) == [BOOKED[0]]
        assert office.ledger.head()[0] <= head[0] + 2  # sign-ins only: nothing else was recorded
        assert app.is_running
    office.ledger.engine.dispose()
    assert leaks(tmp_path) == []
