"""Dialogs of the office jobs: a form of a few one-line fields, and a yes/no confirmation.

A form's fields are plain one-line inputs (keyboard only): Enter moves to the next field and confirms
on the last; the check the job gives returns the first field at fault with a message. A scan lands only
in a field that takes scans (a badge), never in a PIN or a name; a value with the shape of an individual
number is cleared at once and never passed on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Static

from kiosk.domain.guard import looks_like_individual_number
from kiosk.domain.text import is_control
from kiosk.tui.safe_text import plain
from kiosk.tui.screens.base import KioskModal
from kiosk.tui.screens.dialogs import EntryModal

Values = dict[str, str]
Check = Callable[[Values], tuple[str, str] | None]


@dataclass(frozen=True, slots=True)
class FormField:
    """One line of a form: its key, its label, and how it is typed."""

    key: str
    label: str
    value: str = ""
    password: bool = False
    restrict: str | None = None
    max_length: int = 100
    scans: bool = False  # a scan may fill it (a badge field)


class FormModal(KioskModal[Values | None]):
    """Fill the fields and confirm; dismisses with the values (stripped), or None on Esc."""

    # Compact, so a form of seven fields fits 80×24; the dialog scrolls to the focused field when not.
    DEFAULT_CSS = """
    FormModal .form-body {
        height: auto;
        max-height: 100%;
    }
    FormModal .form-label {
        margin-top: 0;
        color: $text-muted;
    }
    FormModal Input {
        height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
    }
    FormModal Input:focus {
        border: none;
        background: $primary 40%;
    }
    """

    def __init__(self, title: str, fields: Sequence[FormField], check: Check | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.fields = list(fields)
        self.check = check

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog form-body"):
            yield Static(plain(self.title_text), classes="dialog-title")
            for f in self.fields:
                yield Static(plain(f.label), classes="form-label")
                yield Input(
                    value=f.value,
                    id=f"field-{f.key}",
                    password=f.password,
                    restrict=f.restrict,
                    max_length=f.max_length,
                )
            yield Static("", id="message")
            yield Static(self.kiosk.t("staff.form.hint"), classes="hint")

    def on_mount(self) -> None:
        self.input(self.fields[0].key).focus()

    def input(self, key: str) -> Input:
        return self.query_one(f"#field-{key}", Input)

    def values(self) -> Values:
        return {f.key: self.input(f.key).value.strip() for f in self.fields}

    def say(self, text: str) -> None:
        message = self.query_one("#message", Static)
        message.update(plain("✖ " + text if text else ""))
        message.set_class(bool(text), "-error")
        if text:
            self.kiosk.ring(2)

    def _field_of(self, widget: object) -> int | None:
        for n, f in enumerate(self.fields):
            if widget is self.input(f.key):
                return n
        return None

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        """A scan fills a field that takes scans (a badge) and moves on; anywhere else it is refused."""
        n = self._field_of(self.kiosk.focused)
        if n is None or not self.fields[n].scans:
            self.say(self.kiosk.t("staff.form.not_here"))
            return True
        if looks_like_individual_number(text):
            self.say(self.kiosk.t("signin.refused"))
            return True
        self.input(self.fields[n].key).value = text.strip()
        self._next(n)
        return True

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        n = self._field_of(event.input)
        if n is not None:
            self._next(n)

    def _next(self, n: int) -> None:
        if n + 1 < len(self.fields):
            self.input(self.fields[n + 1].key).focus()
            return
        self.confirm()

    def confirm(self) -> None:
        values = self.values()
        for f in self.fields:
            value = values[f.key]
            if looks_like_individual_number(value) or any(is_control(ch) for ch in value):
                self.input(f.key).value = ""
                self.input(f.key).focus()
                key = "signin.refused" if looks_like_individual_number(value) else "entry.control"
                self.say(self.kiosk.t(key))
                return
        problem = self.check(values) if self.check else None
        if problem is not None:
            key, text = problem
            self.input(key).focus()
            self.say(text)
            return
        self.dismiss(values)


class ConfirmModal(KioskModal[bool | None]):
    """A question: Enter confirms, Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.back"),
        Binding("enter", "yes", "confirm.yes", show=False),
    ]

    def __init__(self, title: str, question: str) -> None:
        super().__init__()
        self.title_text = title
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.question), classes="label", id="question")
            yield Static(self.kiosk.t("confirm.yes"), classes="hint")

    def action_yes(self) -> None:
        self.dismiss(True)


class TypedEntryModal(EntryModal):
    """One line typed on the keyboard (a reference, a reason): a scan is refused here, never taken as
    the value (the next card scanned while the dialog is open must not become its reference)."""

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        message = self.query_one("#message", Static)
        message.update(plain("✖ " + self.kiosk.t("entry.typed_only")))
        message.add_class("-error")
        self.kiosk.ring(2)
        return True
