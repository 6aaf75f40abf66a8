"""操作マニュアル: the clerks' manual, in Japanese, inside the app."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import MarkdownViewer

from kiosk.tui.screens.base import KioskScreen

MANUAL = Path(__file__).parent.parent / "manual_ja.md"


class HelpScreen(KioskScreen):
    """The manual (MarkdownViewer with a table of contents). Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "key.back")]

    def heading(self) -> str:
        return self.kiosk.t("help.title")

    def compose_body(self) -> ComposeResult:
        yield MarkdownViewer(MANUAL.read_text(encoding="utf-8"), show_table_of_contents=False, id="manual")

    def on_mount(self) -> None:
        self.query_one(MarkdownViewer).focus()

    def action_back(self) -> None:
        self.app.pop_screen()
