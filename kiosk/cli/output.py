"""Terminal output that ledger data cannot take over: every control character is shown, not obeyed.

A staff name, a reason or a location may hold `ESC [2J` (clear the screen), a carriage return that
overwrites the line before it, a C1 CSI (U+009B) or a bidi override that reverses what follows. `echo`
prints such characters as `\\x1b`, `\\r`, `\\u202e` … so that `staff list`, `cards show`, the due lists
and the stocktake status show them literally; the newlines of a message the CLI itself wrote are kept.
Use `clean()` for a single value inside a longer line (it escapes newlines too).
"""

from __future__ import annotations

import unicodedata

import click

__all__ = ["clean", "echo"]


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _is_control(ch: str) -> bool:
    # C* (controls, format characters such as bidi overrides, surrogates, private use, unassigned) and
    # the line/paragraph separators.
    category = unicodedata.category(ch)
    return category[0] == "C" or category in ("Zl", "Zp")


def clean(value: object, *, keep_newlines: bool = False) -> str:
    """`str(value)` with every control character escaped (`\\n` kept only when `keep_newlines`)."""
    text = str(value)
    if text.isprintable() and "\u2028" not in text and "\u2029" not in text:
        return text  # the common case: nothing to escape
    return "".join(
        _escape(ch) if _is_control(ch) and not (keep_newlines and ch == "\n") else ch for ch in text
    )


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """`click.echo` with the message's control characters escaped (its own newlines kept)."""
    click.echo(clean(message, keep_newlines=True), err=err, nl=nl)
