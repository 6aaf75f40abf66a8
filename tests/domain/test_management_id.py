from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers import damm
from kiosk.domain.guard import ensure_not_individual_number
from kiosk.domain.management_id import ManagementId, Refusal

VALID = damm.with_check_digit("123456789")


def test_valid_id_parses() -> None:
    assert ManagementId.parse(VALID).value == VALID
    assert str(ManagementId.parse(f"  {VALID}\r\n")) == VALID


def test_full_width_digits_from_an_ime_normalise() -> None:
    full_width = "".join(chr(ord(c) - ord("0") + ord("０")) for c in VALID)
    assert ManagementId.parse(full_width).value == VALID


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("12345", "wrong_length"),
        ("12345678901", "wrong_length"),
        ("12345-6789", "not_digits"),
        ("１２３ー４", "non_ascii"),
        ("カード", "non_ascii"),
    ],
)
def test_bad_input_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(Refusal) as info:
        ManagementId.parse(text)
    assert info.value.reason == reason


def test_every_single_digit_error_is_caught() -> None:
    for pos, digit in itertools.product(range(10), "0123456789"):
        if VALID[pos] == digit:
            continue
        wrong = VALID[:pos] + digit + VALID[pos + 1 :]
        with pytest.raises(Refusal) as info:
            ManagementId.parse(wrong)
        assert info.value.reason == "check_digit"


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(min_value=0, max_value=8))
def test_every_adjacent_swap_is_caught(body: str, pos: int) -> None:
    good = damm.with_check_digit(body)
    swapped = good[:pos] + good[pos + 1] + good[pos] + good[pos + 2 :]
    if swapped != good:
        assert not damm.is_valid(swapped)


def test_twelve_digits_are_refused_as_a_possible_individual_number_without_echo() -> None:
    value = "".join(str((i * 7) % 10) for i in range(12))
    for variant in (value, f"{value[:4]}-{value[4:8]}-{value[8:]}", f" {value} "):
        with pytest.raises(Refusal) as info:
            ManagementId.parse(variant)
        assert info.value.reason == "mynumber_refused"
        assert value[:4] not in str(info.value)
    full_width = "".join(chr(ord(c) - ord("0") + ord("０")) for c in value)
    with pytest.raises(Refusal):
        ensure_not_individual_number(full_width)


def test_eleven_digits_pass_and_thirteen_are_refused_as_holding_twelve() -> None:
    assert ensure_not_individual_number("1" * 11) == "1" * 11
    # Issue 11: a run of 12 or more digits is refused, not only a field of exactly 12.
    with pytest.raises(Refusal) as info:
        ensure_not_individual_number("1" * 13)
    assert info.value.reason == "mynumber_refused"
