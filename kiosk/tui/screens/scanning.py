"""What every screen that takes card scans shares: a staff badge scanned switches the user, and F5
types an ID by hand (a label that will not scan).

Whether a value is a registered badge is a ledger query, so it runs on the reader thread like every
other; the scans that arrive while it runs wait behind it in a queue and are then handled in the order
they came (none is dropped, none overtakes the badge).
"""

from __future__ import annotations

from collections import deque
from functools import partial
from typing import TYPE_CHECKING

from textual import work

from kiosk.desk import StorageError
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.tui.screens.base import KioskScreen
from kiosk.tui.screens.dialogs import EntryModal

if TYPE_CHECKING:
    from kiosk.desk import Desk

Held = tuple[str, str | None, str | None]  # (value, device, source)


class ScanningScreen(KioskScreen):
    """A full screen that records card scans; subclasses say what a scan that is not a badge does
    (`scan_value`) and what a typed ID does (`typed_id`)."""

    def __init__(self) -> None:
        super().__init__()
        self._held: deque[Held] = deque()
        self.checking_badge = False  # a badge look-up is on the reader thread; scans wait behind it

    def may_be_badge(self, text: str, *, source: str | None) -> bool:
        """False for a management ID or refused input (never a badge), without asking the ledger."""
        try:
            ManagementId.parse(text)
            return False
        except Refusal as exc:
            return exc.reason in ("not_digits", "wrong_length")

    def take_scan(self, text: str, *, device: str | None, source: str | None) -> None:
        """A scanned or typed value, in arrival order: a badge switches the person, anything else goes
        to `scan_value`."""
        self._held.append((text, device, source))
        if not self.checking_badge:
            self._next_held()

    def _next_held(self) -> None:
        while self._held and not self.checking_badge:
            text, device, source = self._held[0]
            if not self.may_be_badge(text, source=source):
                self._held.popleft()
                self.scan_value(text, device=device, source=source)
                continue
            self.checking_badge = True
            self.kiosk.submit(
                partial(_registered, self.kiosk.desk, text),
                self._badge_known,
                read=True,
                failed=self._badge_unknown,
            )

    def _badge_known(self, is_badge: bool) -> None:
        self.checking_badge = False
        if not self._held:
            return
        text, device, source = self._held.popleft()
        if is_badge:
            # The sign-in is asked for now, in the order of the scans: the verdict before it is cleared
            # here, and a card scanned right behind the badge keeps its own verdict.
            self.kiosk.reset_verdict()
            self.switch_user(text, clear_verdict=False)
        else:
            self.scan_value(text, device=device, source=source)
        self._next_held()

    def _badge_unknown(self, exc: BaseException) -> None:
        # The ledger could not say (storage): not a badge, as before; the scan's own verdict follows.
        if not isinstance(exc, StorageError):
            self.kiosk.ledger_failed(exc)
        self._badge_known(False)

    def scan_value(self, text: str, *, device: str | None, source: str | None) -> None:
        """A scan or typed value that is not a staff badge."""
        raise NotImplementedError

    @work(exclusive=True, group="flow")
    async def switch_user(self, badge: str | None, *, clear_verdict: bool = True) -> None:
        await self.kiosk.ensure_user(force=True, badge=badge, clear_verdict=clear_verdict)

    @work(exclusive=True, group="flow")
    async def action_manual(self) -> None:
        app = self.kiosk
        text = await app.push_screen_wait(EntryModal(app.t("key.manual"), app.t("entry.id"), digits=True))
        if text:
            self.typed_id(text)

    def typed_id(self, text: str) -> None:
        """An ID typed with F5 (source "manual")."""
        raise NotImplementedError


def _registered(desk: Desk, text: str) -> bool:
    return desk.person_by_badge(text) is not None
