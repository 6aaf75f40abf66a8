"""What every screen that takes card scans shares: a staff badge scanned switches the user, and F5
types an ID by hand (a label that will not scan)."""

from __future__ import annotations

from textual import work

from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.tui.screens.base import STORAGE_ERRORS, KioskScreen
from kiosk.tui.screens.dialogs import EntryModal


class ScanningScreen(KioskScreen):
    """A full screen that records card scans; subclasses say what a typed ID does (`typed_id`)."""

    def is_badge(self, text: str) -> bool:
        """True for a registered staff badge (never for a management ID or refused input)."""
        try:
            ManagementId.parse(text)
            return False
        except Refusal as exc:
            if exc.reason not in ("not_digits", "wrong_length"):
                return False
        try:
            return self.kiosk.ledger.staff_by_badge(text) is not None
        except STORAGE_ERRORS:
            return False

    @work(exclusive=True, group="flow")
    async def switch_user(self, badge: str | None) -> None:
        await self.kiosk.ensure_user(force=True, badge=badge)

    @work(exclusive=True, group="flow")
    async def action_manual(self) -> None:
        app = self.kiosk
        text = await app.push_screen_wait(EntryModal(app.t("key.manual"), app.t("entry.id"), digits=True))
        if text:
            self.typed_id(text)

    def typed_id(self, text: str) -> None:
        """An ID typed with F5 (source "manual")."""
        raise NotImplementedError
