"""Small dialogs shared by the flows: the two-person checklist, a one-line entry, the blocked close,
and the settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from kiosk.domain.guard import looks_like_individual_number
from kiosk.domain.safe_session import OTHER_REASON
from kiosk.domain.text import is_control
from kiosk.tui.safe_text import plain
from kiosk.tui.screens.base import KioskModal


class ChecklistModal(KioskModal[list[str] | None]):
    """Both people confirm every item (number keys tick, Enter confirms). Dismisses with the items."""

    clears_verdict = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.back"),
        Binding("enter", "confirm", "check.hint", show=False),
    ]

    def __init__(self, title_key: str, items: Sequence[str], people: tuple[str, str]) -> None:
        super().__init__()
        self.title_key = title_key
        self.items = list(items)
        self.people = people
        self.ticked = [False] * len(self.items)

    def compose(self) -> ComposeResult:
        t = self.kiosk.t
        with Vertical(classes="dialog"):
            yield Static(t(self.title_key), classes="dialog-title")
            yield Static(plain(t("check.people", a=self.people[0], b=self.people[1])), classes="label")
            yield Static(self._render_items(), id="items")
            yield Static("", id="message")
            yield Static(t("check.hint"), classes="hint")

    def _render_items(self) -> Content:
        # The items come from the configuration: shown as written, never parsed as markup.
        return plain(
            "\n".join(
                f"{'[✔]' if done else '[ ]'} {n}. {item}"
                for n, (item, done) in enumerate(zip(self.items, self.ticked, strict=True), start=1)
            )
        )

    def on_key(self, event: events.Key) -> None:
        if event.character and event.character.isdigit():
            n = int(event.character) - 1
            if 0 <= n < len(self.items):
                self.ticked[n] = not self.ticked[n]
                self.query_one("#items", Static).update(self._render_items())
            event.stop()

    def action_confirm(self) -> None:
        if not all(self.ticked):
            message = self.query_one("#message", Static)
            message.update("✖ " + self.kiosk.t("check.incomplete"))
            message.add_class("-error")
            self.kiosk.ring(2)
            return
        self.dismiss(list(self.items))


class EntryModal(KioskModal[str | None]):
    """One line of text (a management ID, a note, a reason, a file path). A 12-digit value is refused
    and cleared at once, never passed on."""

    clears_verdict = True

    def __init__(self, title: str, prompt: str, *, digits: bool = False, max_length: int = 200) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.digits = digits
        self.max_length = max_length

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.prompt), classes="label")
            yield Input(id="entry", max_length=self.max_length)
            yield Static("", id="message")
            yield Static(self.kiosk.t("signin.cancel"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#entry", Input).focus()

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        # A scan while the dialog is open is what the clerk meant to type.
        self._submit(text)
        return True

    @on(Input.Submitted, "#entry")
    def _entered(self, event: Input.Submitted) -> None:
        self._submit(event.value)

    def _submit(self, value: str) -> None:
        entry = self.query_one("#entry", Input)
        if looks_like_individual_number(value):
            entry.value = ""
            message = self.query_one("#message", Static)
            message.update("⛔ " + self.kiosk.t("signin.refused"))
            message.add_class("-error")
            self.kiosk.ring(3)
            return
        if not value.strip():
            # Enter on an empty line says what is missing (it used to do nothing and say nothing).
            message = self.query_one("#message", Static)
            message.update("✖ " + self.kiosk.t("entry.empty"))
            message.add_class("-error")
            self.kiosk.ring(2)
            return
        if any(is_control(ch) for ch in value.strip()):
            # A reason or note is one line of plain text (a scan may carry what a keyboard cannot type).
            entry.value = ""
            message = self.query_one("#message", Static)
            message.update("⛔ " + self.kiosk.t("entry.control"))
            message.add_class("-error")
            self.kiosk.ring(3)
            return
        self.dismiss(value.strip())


class OverrideReasonModal(KioskModal[tuple[str, str] | None]):
    """予定外持出の理由: the supervisor picks one of the configured reasons by its number key, then may add
    a note (required with その他); ↑ goes back to the choice. Dismisses with (reason, note); Enter
    without a reason, or その他 without a note, says what is missing."""

    clears_verdict = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.back"),
        Binding("enter", "confirm", "override.choose", show=False),
        Binding("up", "choose_again", "override.choose", show=False),
    ]

    def __init__(self, reasons: Sequence[str], card_id: str) -> None:
        super().__init__()
        self.reasons = list(reasons)[:9]
        self.card_id = card_id
        self.chosen: int | None = None

    def compose(self) -> ComposeResult:
        t = self.kiosk.t
        with Vertical(classes="dialog"):
            yield Static(plain(f"{t('override.title')}  {self.card_id}"), classes="dialog-title")
            yield Static(self._render_reasons(), id="reasons")
            yield Static(t("override.note"), classes="label")
            # Disabled (never focused) until a reason is chosen: the number keys choose first.
            yield Input(id="note", max_length=200, disabled=True)
            yield Static("", id="message")
            yield Static(t("override.choose"), classes="hint")

    def _render_reasons(self) -> Content:
        # The reasons come from the configuration: shown as written, never parsed as markup.
        return plain(
            "\n".join(
                f"{'(●)' if n == self.chosen else '( )'} {n + 1}. {reason}"
                for n, reason in enumerate(self.reasons)
            )
        )

    def on_key(self, event: events.Key) -> None:
        # While the note is not being typed, a number key chooses a reason and moves on to the note.
        if isinstance(self.focused, Input):
            return
        if event.character and event.character.isdigit():
            n = int(event.character) - 1
            if 0 <= n < len(self.reasons):
                self.chosen = n
                self.query_one("#reasons", Static).update(self._render_reasons())
                self._say("")
                note = self.query_one("#note", Input)
                note.disabled = False
                note.focus()
            event.stop()

    def action_choose_again(self) -> None:
        self.query_one("#note", Input).disabled = True
        self.set_focus(None)

    def action_confirm(self) -> None:
        self._confirm(self.query_one("#note", Input).value)

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        # A label scanned now is not a reason: say so rather than type it into the note.
        self._say(self.kiosk.t("signin.not_a_badge"))
        return True

    @on(Input.Submitted, "#note")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self._confirm(event.value)

    def _confirm(self, value: str) -> None:
        t = self.kiosk.t
        note = value.strip()
        if self.chosen is None:
            self._say(t("override.empty_reason"))
            return
        reason = self.reasons[self.chosen]
        if looks_like_individual_number(note):
            self.query_one("#note", Input).value = ""
            self._say(t("signin.refused"), symbol="⛔")
            return
        if any(is_control(ch) for ch in note):
            self.query_one("#note", Input).value = ""
            self._say(t("entry.control"), symbol="⛔")
            return
        if reason == OTHER_REASON and not note:
            self._say(t("override.need_note", reason=reason))
            return
        self.dismiss((reason, note))

    def _say(self, text: str, *, symbol: str = "✖") -> None:
        message = self.query_one("#message", Static)
        message.update(plain(f"{symbol} {text}" if text else ""))
        message.set_class(bool(text), "-error")
        if text:
            self.kiosk.ring(3 if symbol == "⛔" else 2)


class CloseBlockedModal(KioskModal[str | None]):
    """Closing refused: the cards still out. M starts the two-person missing record; Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.back"),
        Binding("m", "missing", "close.missing_note", show=False),
    ]

    def __init__(self, cards: Sequence[str]) -> None:
        super().__init__()
        self.cards = list(cards)

    def compose(self) -> ComposeResult:
        t = self.kiosk.t
        with Vertical(classes="dialog -error"):
            yield Static("✖ " + t("close.blocked_title"), classes="dialog-title")
            yield Static(t("close.blocked"), classes="label")
            yield Static(plain("\n".join(f"  ▲ {c}" for c in self.cards)), id="cards")
            yield Static(t("close.blocked_hint"), classes="hint")

    def action_missing(self) -> None:
        self.dismiss("missing")


class SettingsModal(KioskModal[None]):
    """設定: the screen language."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.back"),
        Binding("1", "language('ja')", "settings.language", show=False),
        Binding("2", "language('en')", "settings.language", show=False),
    ]

    def compose(self) -> ComposeResult:
        t = self.kiosk.t
        with Vertical(classes="dialog"):
            yield Static(t("settings.title"), classes="dialog-title")
            yield Static(t("settings.language"), classes="label")

    def action_language(self, language: str) -> None:
        self.dismiss(None)
        self.kiosk.set_language(language)
