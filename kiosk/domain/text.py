"""Text shown to people: control characters made visible, never obeyed by a terminal.

Ledger data (a staff name, a reason, a location) may hold `ESC [2J` (clear the screen), a carriage return
that overwrites the line before it, a C1 CSI (U+009B) or a bidi override (U+202E) that reverses what
follows. `visible()` writes each such character as `\\x1b`, `\\r`, `\\u202e` …; the CLI (`kiosk.cli.output`)
and the TUI (`kiosk.tui.safe_text`) both show data through it.
"""

from __future__ import annotations

import unicodedata

__all__ = ["is_control", "visible"]


def is_control(ch: str) -> bool:
    """C* (controls, format characters such as bidi overrides, surrogates, private use, unassigned) and the
    line/paragraph separators U+2028/U+2029."""
    category = unicodedata.category(ch)
    return category[0] == "C" or category in ("Zl", "Zp")


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(value: object, *, keep_newlines: bool = False, keep_tabs: bool = False) -> str:
    """`str(value)` with every control character escaped (`\\n` kept only when `keep_newlines`, `\\t`
    only when `keep_tabs`: a line and a column the caller itself wrote)."""
    text = str(value)
    if text.isprintable() and "\u2028" not in text and "\u2029" not in text:
        return text  # the common case: nothing to escape
    kept = ("\n" if keep_newlines else "") + ("\t" if keep_tabs else "")
    return "".join(_escape(ch) if is_control(ch) and ch not in kept else ch for ch in text)


def shown_path(path: object) -> str:
    """A file path for a message: every run of 12 or more digits (by the My Number guard's rule:
    separators between digits ignored) has its digits replaced by `#`, so the message itself is shown
    with its real reason instead of being replaced by the guard's refusal. Shorter runs are kept."""
    from drivers.text import INDIVIDUAL_NUMBER_LENGTH

    text = unicodedata.normalize("NFKC", str(path))
    out = list(text)
    i = 0
    while i < len(text):
        if not text[i].isdecimal():
            i += 1
            continue
        # A span: digits, and separators standing between two digits.
        digits = [i]
        j = i + 1
        while j < len(text):
            ch = text[j]
            if ch.isdecimal():
                digits.append(j)
            elif unicodedata.category(ch)[0] not in "PZSCM":
                break
            j += 1
        if len(digits) >= INDIVIDUAL_NUMBER_LENGTH:
            for k in digits:
                out[k] = "#"
        i = digits[-1] + 1
    return "".join(out)
