"""Dialogs of the office's jobs: pick a file from a list, pick one of a few words, confirm a summary.

Nothing here types a path or parses what a person chose: each dialog dismisses with one of the values
it was given (or None on Esc).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiosk.tui.safe_text import plain
from kiosk.tui.screens.base import KioskModal

V = TypeVar("V")


class ChooseModal(KioskModal[V | None], Generic[V]):
    """A list of choices (arrow keys, Enter); dismisses with the chosen value, None on Esc.

    `choices` are (label, value); labels are shown as plain text (file names and folders are not markup).
    """

    def __init__(self, title: str, prompt: str, choices: Sequence[tuple[str, V]]) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.prompt), classes="label")
            yield OptionList(
                *(Option(plain(label), id=str(n)) for n, (label, _) in enumerate(self.choices)),
                id="choices",
            )
            yield Static(self.kiosk.t("choose.hint"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#choices", OptionList).focus()

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index][1])


class ConfirmModal(KioskModal[bool | None]):
    """A summary to confirm: Enter confirms (True), Esc goes back (None). `warn` draws it as a warning."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.back"),
        Binding("enter", "confirm", "choose.confirm", show=False),
    ]

    def __init__(self, title: str, body: str, *, warn: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.warn = warn

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -error" if self.warn else "dialog"):
            yield Static(plain(("！ " if self.warn else "") + self.title_text), classes="dialog-title")
            yield Static(plain(self.body), id="confirm-body")
            yield Static(self.kiosk.t("choose.confirm_hint"), classes="hint")

    def action_confirm(self) -> None:
        self.dismiss(True)
