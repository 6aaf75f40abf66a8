"""Management IDs (管理ID): 10 ASCII digits, the last a Damm check digit."""

from __future__ import annotations

from dataclasses import dataclass

from drivers import damm
from drivers.text import REASON_MYNUMBER, looks_like_individual_number, normalise

MANAGEMENT_ID_LENGTH = 10


class Refusal(ValueError):
    """Input refused with a stable reason code.

    The message names the reason, never the input: a refused value may be an individual number.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


# Reason codes a scan or typed ID can be refused with (the UI translates them).
REASON_NOT_DIGITS = "not_digits"
REASON_WRONG_LENGTH = "wrong_length"
REASON_CHECK_DIGIT = "check_digit"
REASON_NON_ASCII = "non_ascii"
REASON_EMPTY = "empty"


@dataclass(frozen=True, slots=True, order=True)
class ManagementId:
    """A validated management ID. Construct with `ManagementId.parse(text)`."""

    value: str

    def __post_init__(self) -> None:
        v = self.value
        if len(v) != MANAGEMENT_ID_LENGTH or not (v.isascii() and v.isdigit()) or not damm.is_valid(v):
            raise Refusal(REASON_CHECK_DIGIT, "not a valid management ID")

    @classmethod
    def parse(cls, text: str) -> ManagementId:
        """Parse scanner or keyboard text: NFKC, the My Number guard, shape, then the check digit."""
        if looks_like_individual_number(text):
            raise Refusal(REASON_MYNUMBER, "a 12-digit value (individual number?) is never accepted")
        value = normalise(text)
        if not value:
            raise Refusal(REASON_EMPTY, "nothing was read")
        if not value.isascii():
            raise Refusal(REASON_NON_ASCII, "non-ASCII characters: switch the IME off")
        if not value.isdigit():
            raise Refusal(REASON_NOT_DIGITS, "a management ID has digits only")
        if len(value) != MANAGEMENT_ID_LENGTH:
            raise Refusal(REASON_WRONG_LENGTH, f"a management ID has {MANAGEMENT_ID_LENGTH} digits")
        try:
            return cls(value)  # the check digit, checked once (in `__post_init__`)
        except Refusal:
            raise Refusal(
                REASON_CHECK_DIGIT, "the check digit does not match (misread or mistyped)"
            ) from None

    @classmethod
    def from_body(cls, body: str) -> ManagementId:
        """The ID whose first nine digits are `body` (adds the check digit)."""
        return cls(damm.with_check_digit(body))

    def __str__(self) -> str:
        return self.value
