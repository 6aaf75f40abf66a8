"""Ledger data on a Textual screen: shown as plain text, never parsed as markup or obeyed as escapes.

A staff name `[@click=app.quit]x` would be a live action link if it were put into a markup string, and a
name `[/]` crashes the markup parser; `ESC [2J` would clear the terminal. So no markup is ever built from
ledger data: a screen passes data to Textual through these helpers, which make a `Content` (or a Rich
`Text` for a DataTable cell) that is never parsed, with control characters made visible (`\\x1b`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.content import Content

from kiosk.domain.text import visible

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel

__all__ = ["cell", "cells", "notify", "plain", "visible"]


def plain(value: object) -> Content:
    """A `Content` showing `value` literally (its own newlines kept); for `Static(...)`/`.update(...)`."""
    return Content(visible(value, keep_newlines=True))


def cell(value: object) -> Text:
    """A DataTable cell showing `value` literally (a plain `str` cell would be parsed as markup)."""
    return Text(visible(value))


def cells(*values: object) -> tuple[Text, ...]:
    """`cell()` of each value: `table.add_row(*cells(a, b, c), key=...)`."""
    return tuple(cell(v) for v in values)


def notify(app: App[Any], message: str, *, severity: SeverityLevel = "information") -> None:
    """A toast whose text is never parsed as markup."""
    app.notify(visible(message, keep_newlines=True), severity=severity, markup=False)
