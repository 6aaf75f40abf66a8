"""操作マニュアル: the clerks' manual inside the app, in the kiosk's current language."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import MarkdownViewer

from kiosk.tui.screens.base import KioskScreen

MANUALS_DIR = Path(__file__).parent.parent
MANUAL = MANUALS_DIR / "manual_ja.md"  # Japanese is the default and the fallback
MANUALS: dict[str, Path] = {"ja": MANUAL, "en": MANUALS_DIR / "manual_en.md"}


def manual_path(language: str) -> Path:
    """The manual file for `language`; Japanese for any language without its own manual."""
    return MANUALS.get(language, MANUAL)


class HelpScreen(KioskScreen):
    """The manual (MarkdownViewer with a table of contents). Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "key.back")]

    def heading(self) -> str:
        return self.kiosk.t("help.title")

    def compose_body(self) -> ComposeResult:
        # Read at compose time: a language switch recomposes every screen, so an open manual follows it.
        text = manual_path(self.kiosk.language).read_text(encoding="utf-8")
        yield MarkdownViewer(text, show_table_of_contents=False, id="manual")

    def on_mount(self) -> None:
        self.query_one(MarkdownViewer).focus()

    def action_back(self) -> None:
        self.app.pop_screen()
