"""The Damm check digit used by management IDs.

Damm's quasigroup of order 10 catches every single-digit error and every adjacent transposition,
the two mistakes people make copying a number by hand. It sits at the bottom of the import graph so
that the kiosk validates and the simulator generates IDs with one implementation.
"""

from __future__ import annotations

# The weakly totally anti-symmetric quasigroup from H. M. Damm's thesis (2004).
_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def _interim(digits: str) -> int:
    interim = 0
    for ch in digits:
        interim = _TABLE[interim][ord(ch) - 48]
    return interim


def check_digit(digits: str) -> str:
    """The Damm check digit for a string of ASCII digits."""
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("Damm check digit needs ASCII digits")
    return str(_interim(digits))


def is_valid(digits: str) -> bool:
    """True when the last digit is the Damm check digit of the rest (ASCII digits only)."""
    return digits.isascii() and digits.isdigit() and len(digits) >= 2 and _interim(digits) == 0


def with_check_digit(body: str) -> str:
    """`body` followed by its check digit."""
    return body + check_digit(body)


def is_management_id(text: str) -> bool:
    """True for a management ID: 10 ASCII digits whose last is the Damm check digit of the rest."""
    return len(text) == 10 and is_valid(text)
