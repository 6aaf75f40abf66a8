"""The two-person step shared by opening and closing the safe: a second person signs in, at least one of
the two is a responsible officer, and both confirm the checklist."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kiosk.domain.staff import StaffMember
from kiosk.tui.screens.dialogs import ChecklistModal
from kiosk.tui.screens.signin import SignInModal

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp


async def second_person_and_checklist(
    app: KioskApp,
    first: StaffMember,
    title_key: str,
    required: Sequence[str],
    *,
    second: StaffMember | None = None,
) -> tuple[StaffMember, list[str]] | None:
    """(second person, confirmed items), or None when someone cancelled or no officer is among the two.

    `second` skips the sign-in when the witness has already signed in for this flow.
    """
    if second is None:
        second = await app.push_screen_wait(SignInModal("signin.second", exclude_id=first.id))
        if second is None:
            return None
    if not (first.is_officer or second.is_officer):
        app.show_verdict("two_person", app.t("signin.need_officer"))
        return None
    confirmed = await app.push_screen_wait(
        ChecklistModal(title_key, list(required), (first.display, second.display))
    )
    if confirmed is None:
        return None
    return second, list(confirmed)
