"""Sign-in (サインイン): scan a staff badge, type the PIN (masked). Lockout after 5 failures.

After an administrator reset the PIN, the PIN is one-time: the sign-in then asks its owner for a new PIN,
twice, and the core sets it (`Desk.change_pin`) before the member can do anything else.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from drivers.damm import is_management_id
from kiosk.desk import StorageError
from kiosk.domain.guard import looks_like_individual_number
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.staff import AuthError, Role, StaffMember
from kiosk.tui.safe_text import plain
from kiosk.tui.screens.base import KioskModal


def is_card_label(text: str) -> bool:
    """A management-ID label (or a misread one: ten digits): never a badge."""
    try:
        ManagementId.parse(text)
        return True
    except Refusal as exc:
        return exc.reason == "check_digit"


class SignInModal(KioskModal[StaffMember | None]):
    """Ask for a badge and PIN; dismiss with the authenticated member of staff (None on Esc).

    `exclude_id`: the person already signed in for a two-person step (the second must differ).
    `role`: a required role (a supervisor approving an override).
    A management-ID label scanned or typed into the badge field is refused with a message: a card read
    while this dialog waits never lands in the badge or PIN field.
    """

    clears_verdict = True

    def __init__(
        self,
        prompt_key: str = "signin.first",
        *,
        badge: str | None = None,
        exclude_id: int | None = None,
        role: Role | None = None,
        prompt_values: dict[str, object] | None = None,
        clear_verdict: bool = True,
    ) -> None:
        super().__init__(clear_verdict=clear_verdict)
        self.prompt_key = prompt_key
        self.prompt_values = prompt_values or {}
        self.initial_badge = badge
        self.exclude_id = exclude_id
        self.role = role
        self.failures = 0
        # A one-time PIN accepted: (badge, that PIN) while the member types a new PIN, then the new PIN.
        self._one_time: tuple[str, str] | None = None
        self._new_pin: str | None = None

    def compose(self) -> ComposeResult:
        t = self.kiosk.t
        with Vertical(classes="dialog"):
            yield Static(t("signin.title"), classes="dialog-title")
            # A name in the prompt is ledger data: shown as plain text, never as markup.
            yield Static(Text(t(self.prompt_key, **self.prompt_values)), id="prompt")
            yield Static(t("signin.badge"), classes="label")
            yield Input(placeholder=t("signin.scan_badge"), id="badge", max_length=64)
            yield Static(t("signin.pin"), classes="label")
            yield Input(
                placeholder=t("signin.enter_pin"), id="pin", password=True, restrict=r"[0-9]*", max_length=12
            )
            yield Static("", id="message")
            yield Static(t("signin.cancel"), classes="hint")

    def on_mount(self) -> None:
        if self.initial_badge:
            self.query_one("#badge", Input).value = self.initial_badge
            self.query_one("#pin", Input).focus()
        else:
            self.query_one("#badge", Input).focus()

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        """A scanned badge fills the badge field and moves on to the PIN."""
        self._take_badge(text)
        return True

    def _take_badge(self, text: str) -> None:
        badge = self.query_one("#badge", Input)
        if looks_like_individual_number(text):
            badge.value = ""
            self._say(self.kiosk.t("signin.refused"), error=True)
            return
        if is_card_label(text):
            # A card, not a person: the fields keep what they hold, the message says what happened.
            if badge.value.strip() == text.strip():
                badge.value = ""
            self._say(self.kiosk.t("signin.not_a_badge"), error=True)
            return
        badge.value = text.strip()
        self._say("")
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#badge")
    def _badge_entered(self, event: Input.Submitted) -> None:
        self._take_badge(event.value)

    @on(Input.Submitted, "#pin")
    async def _pin_entered(self, event: Input.Submitted) -> None:
        t = self.kiosk.t
        badge = self.query_one("#badge", Input).value.strip()
        pin_input = self.query_one("#pin", Input)
        pin = pin_input.value
        pin_input.value = ""
        if self._one_time is not None:
            await self._new_pin_entered(pin)
            return
        if not badge:
            self.query_one("#badge", Input).focus()
            return
        if looks_like_individual_number(badge):
            self.query_one("#badge", Input).value = ""
            self._say(t("signin.refused"), error=True)
            return
        if is_card_label(badge):
            self.query_one("#badge", Input).value = ""
            self.query_one("#badge", Input).focus()
            self._say(t("signin.not_a_badge"), error=True)
            return
        if is_management_id(pin):
            # A card label a keyboard-wedge scanner typed into the PIN field: no PIN has that form, so it
            # is not tried (and never counts towards the lockout).
            self._say(t("signin.not_a_badge"), error=True)
            return
        app = self.kiosk
        try:
            # The core authenticates (lockout, the attempt on record), on the ledger thread.
            member = await app.call(lambda: app.desk.sign_in(badge, pin, device=app.desk.kiosk))
        except AuthError as exc:
            self.failures += 1
            if exc.reason == "wrong_pin":
                self._say(t("signin.wrong_pin", remaining=exc.remaining or 0), error=True)
            else:
                self._say(t(f"signin.{exc.reason}"), error=True, locked=exc.reason == "locked")
            if exc.reason != "wrong_pin":
                self.query_one("#badge", Input).value = ""
                self.query_one("#badge", Input).focus()
            return
        except StorageError:
            self._say(t("error.ledger"), error=True)
            return
        if member.pin_change_due:
            # A one-time PIN: it authorises nothing but choosing a new one, now.
            self._one_time = (badge, pin)
            self.query_one("#badge", Input).disabled = True
            self._ask(t("signin.new_pin"))
            return
        self._accept(member)

    def _ask(self, text: str, *, error: bool = False) -> None:
        self._say(text, error=error)
        self.query_one("#pin", Input).focus()

    async def _new_pin_entered(self, pin: str) -> None:
        t = self.kiosk.t
        assert self._one_time is not None
        if self._new_pin is None:
            if not (pin.isdigit() and 4 <= len(pin) <= 12):
                self._ask(t("signin.new_pin_format"), error=True)
                return
            self._new_pin = pin
            self._ask(t("signin.new_pin_again"))
            return
        first, self._new_pin = self._new_pin, None
        if pin != first:
            self._ask(t("signin.new_pin_mismatch"), error=True)
            return
        badge, one_time = self._one_time
        app = self.kiosk
        try:
            member = await app.call(
                lambda: app.desk.change_pin(badge, one_time, first, device=app.desk.kiosk)
            )
        except AuthError as exc:
            self._one_time = None
            self.query_one("#badge", Input).disabled = False
            self._say(t(f"signin.{exc.reason}"), error=True, locked=exc.reason == "locked")
            self.query_one("#badge", Input).focus()
            return
        except ValueError:
            self._ask(t("signin.new_pin_same"), error=True)
            return
        except StorageError:
            self._say(t("error.ledger"), error=True)
            return
        self._one_time = None
        self.query_one("#badge", Input).disabled = False
        self._say(t("signin.new_pin_set"))
        self._accept(member)

    def _accept(self, member: StaffMember) -> None:
        t = self.kiosk.t
        if self.exclude_id is not None and member.id == self.exclude_id:
            self._say(t("signin.same_person"), error=True)
            self.query_one("#badge", Input).value = ""
            self.query_one("#badge", Input).focus()
            return
        if self.role is not None and member.role is not self.role:
            self._say(t("signin.need_supervisor"), error=True)
            self.query_one("#badge", Input).value = ""
            self.query_one("#badge", Input).focus()
            return
        self.dismiss(member)

    def _say(self, text: str, *, error: bool = False, locked: bool = False) -> None:
        message = self.query_one("#message", Static)
        message.update(plain(("🔒 " if locked else "✖ " if error else "") + text))
        message.set_class(error, "-error")
        message.set_class(locked, "-locked")
        if error:
            self.kiosk.ring(3)
