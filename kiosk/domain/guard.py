"""The My Number guard (番号法 Art. 20): a 12-digit value never reaches storage, logs or reports.

One function, `guard_text(value, field)`, is the rule for every text that reaches storage, a log, an
exception message or an output: NFKC, every decimal digit (Nd) read as ASCII, separators between
digits (P*, Z*, S*, C*, M*) ignored, and a run of 12 or more digits refused with
`Refusal("mynumber_refused")` whose message names the field, never the value. The digit rule itself lives
in `drivers.text` so that drivers refuse at the source with the very same rule.

Names and free text (`guard_name`, `guard_free_text`) also refuse control characters and empty values.
Identifiers with a format are validated as such instead: RFID tags by `validate_tag` (hexadecimal; an ID
of exactly 12 decimal digits stays refused), integers by `guard_int` (range-checked before any message
could echo them).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from drivers.text import (
    REASON_BAD_TAG,
    REASON_EMPTY,
    REASON_MYNUMBER,
    holds_individual_number,
    looks_like_individual_number,
    screen_tag,
)
from kiosk.domain.management_id import Refusal

__all__ = [
    "REASON_BAD_TAG",
    "REASON_CONTROL",
    "REASON_EMPTY",
    "REASON_MYNUMBER",
    "REASON_OUT_OF_RANGE",
    "REASON_TOO_LONG",
    "TextRefusal",
    "ensure_not_individual_number",
    "guard_free_text",
    "guard_int",
    "guard_name",
    "guard_payload",
    "guard_text",
    "looks_like_individual_number",
    "validate_digest",
    "validate_tag",
]

REASON_CONTROL = "control_character"
REASON_TOO_LONG = "too_long"
REASON_OUT_OF_RANGE = "out_of_range"
REASON_BAD_DIGEST = "bad_digest"

# The largest id an Integer column holds (batch, stocktake and session numbers are such ids).
MAX_ID = 2**31 - 1
_TWELVE_DIGITS = 10**11
_DIGEST = re.compile(r"[0-9a-f]{64}")

_MESSAGES = {
    REASON_MYNUMBER: (
        "holds 12 or more digits in a row (separators and full-width digits included): the shape of an "
        "individual number, which is never stored; nothing was written"
    ),
    REASON_CONTROL: "holds a control character or a line break; type plain text",
    REASON_EMPTY: "is empty",
    REASON_TOO_LONG: "is too long",
    REASON_BAD_TAG: "is not an RFID tag ID (hexadecimal digits of the reader's length)",
    REASON_OUT_OF_RANGE: "is out of range",
    REASON_BAD_DIGEST: "is not a SHA-256 digest",
}


class TextRefusal(Refusal):
    """A refused text: `reason` is the code, `field` names what was refused (never its value)."""

    def __init__(self, reason: str, field: str, detail: str = "") -> None:
        self.field = field
        super().__init__(reason, f"{field} {detail or _MESSAGES.get(reason, 'was refused')}")


def guard_text(value: str, field: str) -> str:
    """The stored form of `value` (its NFKC text), or `TextRefusal(mynumber_refused)` naming `field`.

    A management ID (10 digits) passes; `"1234.5678.9012"`, full-width or Arabic-Indic digits, or a
    12-digit number inside a sentence do not.
    """
    if holds_individual_number(value):
        raise TextRefusal(REASON_MYNUMBER, field)
    return unicodedata.normalize("NFKC", value)


def _refuse_controls(value: str, field: str) -> None:
    # C* (controls, format characters such as ZWJ/bidi overrides, surrogates, private use, unassigned)
    # and the line/paragraph separators U+2028/U+2029: none has a place in a name, a reason or a note.
    for ch in value:
        category = unicodedata.category(ch)
        if category[0] == "C" or category in ("Zl", "Zp"):
            raise TextRefusal(REASON_CONTROL, field)


def guard_name(value: str, field: str, *, max_length: int | None = 100) -> str:
    """A person's or place's name: the guard, no control characters or line breaks, not empty.

    Returns the stored form: NFKC, surrounding white space stripped.
    """
    text = guard_text(value, field)
    _refuse_controls(text, field)
    text = text.strip()
    if not text:
        raise TextRefusal(REASON_EMPTY, field)
    if max_length is not None and len(text) > max_length:
        raise TextRefusal(REASON_TOO_LONG, field, f"is longer than {max_length} characters")
    return text


def guard_free_text(value: str, field: str, *, max_length: int | None = 200) -> str:
    """A reason, note or method: the same strict rules as a name (no control characters, no newlines).

    Inner runs of white space are kept as typed; the stored form is NFKC and stripped.
    """
    return guard_name(value, field, max_length=max_length)


def validate_tag(value: str, length: int | None = None, field: str = "tag ID") -> str:
    """An RFID tag ID as stored: upper-case hexadecimal, `length` digits when the reader says so.

    A tag ID of exactly 12 decimal digits is refused as `mynumber_refused` (the message never repeats it).
    """
    tag, reason = screen_tag(value, length)
    if tag is None:
        raise TextRefusal(reason or REASON_BAD_TAG, field)
    return tag


def validate_digest(value: str, field: str = "digest") -> str:
    """A SHA-256 hex digest (64 lower-case hex digits), validated by format instead of the digit rule."""
    if _DIGEST.fullmatch(value) is None:
        raise TextRefusal(REASON_BAD_DIGEST, field)
    return value


def guard_int(value: int, field: str, *, low: int = 1, high: int = MAX_ID) -> int:
    """An integer argument (batch, stocktake number) within `low..high`; the message never echoes it."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise TextRefusal(REASON_OUT_OF_RANGE, field, f"must be a whole number from {low} to {high}")
    return value


# Payload keys that hold identifiers with a format: validated as such, not by the digit-run rule.
def _tag(value: str, field: str) -> None:
    validate_tag(value, field=field)


def _digest(value: str, field: str) -> None:
    validate_digest(value, field)


def _kiosk_head(value: str, field: str) -> None:
    """ "NAME@SEQ:HASH" (a kiosk PC and its newest head, issue 22) or "NAME@-": the name and seq pass the
    guard as any text ('@' and ':' break a run of digits), the hash is a 64-hex digest (which may hold
    12 digits in a row by chance)."""
    name, at, mark = value.rpartition("@")
    if not at or not name:
        raise TextRefusal("malformed", field)
    seq, colon, digest = mark.partition(":")
    guard_text(f"{name}@{seq}", field)
    if mark == "-":
        return
    if not colon or not seq.isdigit():
        raise TextRefusal("malformed", field)
    validate_digest(digest, field)


FORMATTED_KEYS: Mapping[str, Callable[[str, str], None]] = {
    "tag": _tag,
    "tags": _tag,
    "unbound_tags": _tag,
    "expected_sha256": _digest,
    # kiosk.ledger.meta / backup (issue 12): the ledger's id and the pepper's check value, and a
    # restored copy's head hash, are 64-hex digests.
    "ledger": _digest,
    "pepper_check": _digest,
    "restored_head_hash": _digest,
    "behind_anchor_hash": _digest,
    # kiosk.desk.closing: the head a daily close printed and anchored (a 64-hex event hash, which may
    # hold a run of 12 digits by chance).
    "head_hash": _digest,
    # issue 22: the head of the ledger a restore replaced, and the other kiosk PCs' heads it read.
    "replaced_head_hash": _digest,
    # A staff member's PIN hash MAC (kiosk.domain.events.PinChanged): HMAC-SHA256 hex.
    "pin_mac": _digest,
    "kiosks_read": _kiosk_head,
}


def guard_payload(value: Any, field: str) -> None:
    """Check every string in a JSON-like value (dict keys too), recursively; raise `TextRefusal`.

    `field` names the place (`"staff_added.name"`); keys listed in `FORMATTED_KEYS` are validated by
    their format. Nothing is changed: the caller stores exactly what it hashed.
    """
    _walk(value, field, None)


def _walk(value: Any, field: str, check: Callable[[str, str], None] | None) -> None:
    if isinstance(value, str):
        if check is not None:
            check(value, field)
        elif holds_individual_number(value):
            raise TextRefusal(REASON_MYNUMBER, field)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            if holds_individual_number(name):
                # The key itself would be the leak: name the place, not the key.
                raise TextRefusal(REASON_MYNUMBER, f"{field} (a key)")
            _walk(item, f"{field}.{name}", FORMATTED_KEYS.get(name, check))
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _walk(item, field, check)
    elif _is_long_number(value) and holds_individual_number(repr(value)):
        # A number is stored as its digits in the JSON text: a count never has twelve of them.
        raise TextRefusal(REASON_MYNUMBER, field)


def _is_long_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, float) or abs(value) >= _TWELVE_DIGITS


def ensure_not_individual_number(text: str, what: str = "value") -> str:
    """Return `text` unchanged, or raise `Refusal(mynumber_refused)` naming `what`, never the value."""
    guard_text(text, what)
    return text
