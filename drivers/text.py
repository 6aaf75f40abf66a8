"""Text checks shared by every input path, applied as early as possible.

The My Number guard lives here, at the bottom of the import graph, so that a driver can refuse a
12-digit value before it becomes a `Scan`, a log line or an exception message (番号法 Art. 20).
"""

from __future__ import annotations

import re
import unicodedata

INDIVIDUAL_NUMBER_LENGTH = 12
_ALL_DIGITS = re.compile(r"[0-9]+")

# Reason codes, stable strings that may be logged and stored (never the value itself).
REASON_MYNUMBER = "mynumber_refused"
REASON_NON_ASCII = "non_ascii"
REASON_EMPTY = "empty"


def normalise(text: str) -> str:
    """NFKC-normalise and strip surrounding white space (full-width IME digits become ASCII)."""
    return unicodedata.normalize("NFKC", text).strip()


def looks_like_individual_number(text: str) -> bool:
    """True when the text is exactly 12 digits after normalisation: the shape of an individual number.

    The guard refuses the shape, not only valid numbers: checking the check digit would mean
    processing the number, and a mistyped one is still somebody's personal data.
    """
    value = normalise(text)
    # Separators a clerk or a scanner might add (spaces, hyphens) do not make it less of a number.
    compact = re.sub(r"[\s\-‐ー－]", "", value)
    return len(compact) == INDIVIDUAL_NUMBER_LENGTH and _ALL_DIGITS.fullmatch(compact) is not None


def screen_text(text: str) -> tuple[str | None, str | None]:
    """Normalise scanner text and apply the guard: `(clean, None)` or `(None, reason)`."""
    if looks_like_individual_number(text):
        return None, REASON_MYNUMBER
    value = normalise(text)
    if not value:
        return None, REASON_EMPTY
    if not value.isascii():
        return None, REASON_NON_ASCII
    return value, None
