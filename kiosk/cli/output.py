"""Printing ledger data on a terminal: control characters are shown escaped, never interpreted."""

from __future__ import annotations


def clean(text: str) -> str:
    """`text` with every control character (ESC, CR, BEL, C1 …) written as `\\xNN` / `\\uNNNN`."""
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)
