"""Code 128 for management IDs, encoded here rather than by python-barcode.

A management ID is ten ASCII digits, so it is pure code set C: Start C, five symbol values (one per pair
of digits), the checksum (105 + Σ position × value, mod 103) and Stop. python-barcode 0.16.1 picks its
code sets with a bug that drops a leading "99" (its issue #251): the label of 9922956654 carried bars that
read 22956654 in every decoder. Encoding set C directly leaves no code-set choice to get wrong, and the
sheet writer still decodes every label back from the rendered page (`kiosk.labels.verify`).

It lives in `drivers` (plain Python, no kiosk imports) so that the simulator draws its labels with the
same bars the kiosk prints; `kiosk.labels.code128` re-exports it.
"""

from __future__ import annotations

from collections.abc import Callable

# Bar/space patterns of symbol values 0-105 (1 = bar, one character per module), ISO/IEC 15417 Table 1.
PATTERNS: tuple[str, ...] = (
    '11011001100', '11001101100', '11001100110', '10010011000', '10010001100', '10001001100',
    '10011001000', '10011000100', '10001100100', '11001001000', '11001000100', '11000100100',
    '10110011100', '10011011100', '10011001110', '10111001100', '10011101100', '10011100110',
    '11001110010', '11001011100', '11001001110', '11011100100', '11001110100', '11101101110',
    '11101001100', '11100101100', '11100100110', '11101100100', '11100110100', '11100110010',
    '11011011000', '11011000110', '11000110110', '10100011000', '10001011000', '10001000110',
    '10110001000', '10001101000', '10001100010', '11010001000', '11000101000', '11000100010',
    '10110111000', '10110001110', '10001101110', '10111011000', '10111000110', '10001110110',
    '11101110110', '11010001110', '11000101110', '11011101000', '11011100010', '11011101110',
    '11101011000', '11101000110', '11100010110', '11101101000', '11101100010', '11100011010',
    '11101111010', '11001000010', '11110001010', '10100110000', '10100001100', '10010110000',
    '10010000110', '10000101100', '10000100110', '10110010000', '10110000100', '10011010000',
    '10011000010', '10000110100', '10000110010', '11000010010', '11001010000', '11110111010',
    '11000010100', '10001111010', '10100111100', '10010111100', '10010011110', '10111100100',
    '10011110100', '10011110010', '11110100100', '11110010100', '11110010010', '11011011110',
    '11011110110', '11110110110', '10101111000', '10100011110', '10001011110', '10111101000',
    '10111100010', '11110101000', '11110100010', '10111011110', '10111101110', '11101011110',
    '11110101110', '11010000100', '11010010000', '11010011100',
)  # fmt: skip
START_C = 105
STOP = "1100011101011"  # the stop symbol with its final two-module bar

# A function from a management ID to its module pattern ('1' = bar), start and stop included.
Encoder = Callable[[str], str]


def symbol_values(digits: str) -> list[int]:
    """The code set C symbol values of an even-length digit string: Start C, pairs, checksum."""
    if not digits or len(digits) % 2 or not digits.isascii() or not digits.isdigit():
        raise ValueError("code set C needs a non-empty, even number of ASCII digits")
    values = [START_C, *(int(digits[i : i + 2]) for i in range(0, len(digits), 2))]
    checksum = (values[0] + sum(pos * v for pos, v in enumerate(values[1:], start=1))) % 103
    return [*values, checksum]


def encode(digits: str) -> str:
    """The module pattern ('1' = bar) of `digits` in code set C, start, checksum and stop included."""
    return "".join(PATTERNS[v] for v in symbol_values(digits)) + STOP


def python_barcode_pattern(digits: str) -> str:
    """python-barcode's pattern for the same text (wrong for IDs starting 99 in 0.16.1; kept to show it)."""
    from barcode import Code128

    return str(Code128(digits).build()[0])


ENCODERS: dict[str, Encoder] = {"builtin": encode, "python-barcode": python_barcode_pattern}
