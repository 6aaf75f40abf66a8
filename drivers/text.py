"""Text checks shared by every input path, applied as early as possible.

The My Number guard lives here, at the bottom of the import graph, so that a driver can refuse a
12-digit value before it becomes a `Scan`, a log line or an exception message (番号法 Art. 20).

The rule (one rule for scans, typed text, payloads, columns and config): NFKC; every Unicode decimal
digit (category Nd: full-width, Arabic-Indic, Devanagari …) counts as a digit; any run of separators
(punctuation P*, spaces Z*, symbols S*, format and control characters C*, combining marks M*) that
stands between two digits is ignored; a run of 12 or more digits is the shape of an individual number
and is refused. The refusal is by reason code only, never by value.
"""

from __future__ import annotations

import re
import unicodedata

INDIVIDUAL_NUMBER_LENGTH = 12

# Reason codes, stable strings that may be logged and stored (never the value itself).
REASON_MYNUMBER = "mynumber_refused"
REASON_NON_ASCII = "non_ascii"
REASON_EMPTY = "empty"
REASON_BAD_TAG = "bad_tag"

# Categories (first letter) that do not break a run of digits: P* punctuation, Z* spaces and line
# separators, S* symbols (U+2212 minus, ＋ …), C* control/format (U+200B zero-width space, soft hyphen)
# and M* combining marks (a mark on a digit still reads as that digit; stricter than the letter of the
# rule, never looser).
_SEPARATOR_CLASSES = frozenset("PZSCM")
_ANY_DIGIT = re.compile(r"\d")  # `re` matches every Unicode Nd digit with \d
_HEX = re.compile(r"[0-9A-F]+")


def normalise(text: str) -> str:
    """NFKC-normalise and strip surrounding white space (full-width IME digits become ASCII)."""
    return unicodedata.normalize("NFKC", text).strip()


def digit_runs(text: str) -> list[str]:
    """The runs of digits in `text` after NFKC, as ASCII, with separators between digits dropped.

    `digit_runs("１２-34 5a6")` is `["12345", "6"]`. Use `longest_digit_run` for the guard itself.
    """
    value = unicodedata.normalize("NFKC", text)
    runs: list[str] = []
    current: list[str] = []
    for ch in value:
        if ch.isdecimal():  # exactly the Nd category
            current.append(str(unicodedata.decimal(ch)))
        elif current and unicodedata.category(ch)[0] in _SEPARATOR_CLASSES:
            continue  # between digits if another digit follows; harmless otherwise
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def longest_digit_run(text: str) -> int:
    """Length of the longest run of digits (see `digit_runs`); 0 when there is none."""
    return max((len(r) for r in digit_runs(text)), default=0)


def holds_individual_number(text: str) -> bool:
    """True when `text` holds a run of 12 or more digits by the rule above (anywhere in it)."""
    if len(text) < INDIVIDUAL_NUMBER_LENGTH and text.isascii():
        return False  # the hot path (codes, IDs, labels); NFKC only ever lengthens non-ASCII text
    value = unicodedata.normalize("NFKC", text)
    if len(_ANY_DIGIT.findall(value)) < INDIVIDUAL_NUMBER_LENGTH:
        return False
    return any(len(r) >= INDIVIDUAL_NUMBER_LENGTH for r in digit_runs(value))


def looks_like_individual_number(text: str) -> bool:
    """True when the text holds the shape of an individual number (12 or more digits in a row).

    The guard refuses the shape, not only valid numbers: checking the check digit would mean
    processing the number, and a mistyped one is still somebody's personal data. Separators a clerk,
    a scanner or an attacker might add (`.` `/` `_` `−` `—`, a zero-width space) do not make it less
    of a number, and neither does text around it.
    """
    return holds_individual_number(text)


def screen_text(text: str) -> tuple[str | None, str | None]:
    """Normalise scanner text and apply the guard: `(clean, None)` or `(None, reason)`."""
    if holds_individual_number(text):
        return None, REASON_MYNUMBER
    value = normalise(text)
    if not value:
        return None, REASON_EMPTY
    if not value.isascii():
        return None, REASON_NON_ASCII
    return value, None


def is_twelve_decimal_digits(text: str) -> bool:
    """True for exactly 12 decimal digits once separators are dropped (the form a tag ID may not take)."""
    runs = digit_runs(text)
    if len(runs) != 1 or len(runs[0]) != INDIVIDUAL_NUMBER_LENGTH:
        return False
    # Nothing but digits and separators: "E2001234…" is a hex EPC, not a 12-digit value.
    value = unicodedata.normalize("NFKC", text)
    return all(ch.isdecimal() or unicodedata.category(ch)[0] in _SEPARATOR_CLASSES for ch in value)


def screen_tag(text: str, length: int | None = None) -> tuple[str | None, str | None]:
    """An RFID tag ID (UHF EPC, HF UID): upper-case hex, `length` hex digits when given.

    Tag IDs are identifiers with a format, so they are validated as such instead of by the digit-run
    rule (a 96-bit EPC may well hold twelve decimal digits in a row); an ID that is exactly 12 decimal
    digits is still refused as `mynumber_refused`. Returns `(tag, None)` or `(None, reason)`.
    """
    if is_twelve_decimal_digits(text):
        return None, REASON_MYNUMBER
    value = normalise(text).upper()
    if not value:
        return None, REASON_EMPTY
    if not value.isascii() or not _HEX.fullmatch(value):
        # Not a tag ID at all: text around 12 digits is refused as what it holds.
        return None, REASON_MYNUMBER if holds_individual_number(value) else REASON_BAD_TAG
    if length is not None and len(value) != length:
        return None, REASON_BAD_TAG
    return value, None
