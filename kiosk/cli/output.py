"""Terminal output that ledger data cannot take over: every control character is shown, not obeyed.

`echo` prints a message with its control characters escaped (`\\x1b`, `\\r`, `\\u202e` …; see
`kiosk.domain.text.visible`), keeping the newlines and tabs of a message the CLI itself wrote, so that
`staff list`, `cards show`, the due lists and the stocktake status show a hostile name literally. Use
`clean()` for a single value inside a longer line (it escapes newlines and tabs too, so a value cannot
forge a line or a column of its own).
"""

from __future__ import annotations

import re

import click

from kiosk.domain.guard import looks_like_individual_number
from kiosk.domain.text import visible

__all__ = ["REDACTED", "clean", "echo", "redacted"]

REDACTED = (
    "refused: the input holds 12 or more digits in a row (the shape of an individual number); not shown"
)


def clean(value: object, *, keep_newlines: bool = False) -> str:
    """`str(value)` with every control character escaped (`\\n` kept only when `keep_newlines`)."""
    return visible(value, keep_newlines=keep_newlines)


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """`click.echo` with the message's control characters escaped (its own newlines and tabs kept)."""
    click.echo(visible(message, keep_newlines=True, keep_tabs=True), err=err, nl=nl)


_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2})")


def redacted(message: str) -> str:
    """`message`, or a fixed refusal when it holds 12 or more digits (an error echoing what was typed).

    Escapes (`\\u200b`, `\\x1b`, as Click and repr write them) are read as the characters they stand
    for first: written out, their letters would hide a run of digits split by zero-width spaces.
    """
    unescaped = _ESCAPE.sub(lambda m: chr(int(m.group()[2:], 16)), message)
    return REDACTED if looks_like_individual_number(unescaped) else message
