from __future__ import annotations

import pytest

from kiosk.domain.safe_session import (
    ChecklistIncomplete,
    Override,
    SessionNotClear,
    check_close,
    check_open,
    check_override,
)
from kiosk.domain.staff import (
    Role,
    StaffMember,
    TwoPersonError,
    check_pin,
    hash_pin,
    parse_rank,
    rank_label,
    require_two_people,
)

OFFICER = StaffMember(1, "正", "O1", Role.OFFICER, 0, True)
CLERK = StaffMember(2, "窓口", "C1", Role.CLERK, None, True)
CLERK2 = StaffMember(3, "窓口2", "C2", Role.CLERK, None, True)
SUPERVISOR = StaffMember(4, "課長", "S1", Role.SUPERVISOR, None, True)
ITEMS = ["no bag", "no phone"]


def test_pin_hash_is_salted_and_peppered() -> None:
    a, b = hash_pin("1234", b"pepper"), hash_pin("1234", b"pepper")
    assert a != b  # salted
    assert "1234" not in a
    assert check_pin("1234", a, b"pepper")
    assert not check_pin("1235", a, b"pepper")
    assert not check_pin("1234", a, b"other pepper")  # a stolen database alone is not enough


@pytest.mark.parametrize("pin", ["123", "12ab", "１２３４", "1" * 13])
def test_bad_pins_are_refused(pin: str) -> None:
    with pytest.raises(ValueError, match="PIN"):
        hash_pin(pin, b"p")


def test_ranks() -> None:
    assert parse_rank("正") == 0
    assert parse_rank("副2") == 2
    assert rank_label(1) == "副1"
    with pytest.raises(ValueError, match="rank must be"):
        parse_rank("boss")


def test_two_person_rule_refuses_the_same_person_twice() -> None:
    with pytest.raises(TwoPersonError) as info:
        require_two_people(OFFICER, OFFICER)
    assert info.value.reason == "same_person"


def test_opening_needs_an_officer_and_the_checklist() -> None:
    with pytest.raises(TwoPersonError) as info:
        check_open(CLERK, CLERK2, ITEMS, ITEMS)
    assert info.value.reason == "need_officer"
    with pytest.raises(ChecklistIncomplete) as missing:
        check_open(OFFICER, CLERK, ITEMS, ITEMS[:1])
    assert missing.value.missing == ["no phone"]
    check_open(OFFICER, CLERK, ITEMS, ITEMS)


def test_deactivated_or_locked_people_cannot_take_part() -> None:
    gone = StaffMember(5, "退職", "X", Role.OFFICER, 1, False)
    locked = StaffMember(6, "施錠", "Y", Role.CLERK, None, True, failed_attempts=5)
    with pytest.raises(TwoPersonError, match="deactivated"):
        check_open(gone, CLERK, ITEMS, ITEMS)
    with pytest.raises(TwoPersonError, match="locked"):
        check_open(OFFICER, locked, ITEMS, ITEMS)


def test_closing_is_refused_while_cards_are_out() -> None:
    with pytest.raises(SessionNotClear) as info:
        check_close(OFFICER, CLERK, ["7000000011"], ITEMS, ITEMS)
    assert info.value.outstanding == ["7000000011"]


def test_override_needs_another_person_who_is_a_supervisor_and_a_reason() -> None:
    with pytest.raises(TwoPersonError):
        check_override(Override(CLERK2, "急ぎ"), CLERK.id)
    with pytest.raises(ValueError, match="reason"):
        check_override(Override(SUPERVISOR, "  "), CLERK.id)
    check_override(Override(SUPERVISOR, "予約変更"), CLERK.id)


def test_a_pin_never_has_the_form_of_a_management_id() -> None:
    # A card label typed into a PIN field (a keyboard-wedge scanner) is then never a PIN that is tried.
    from drivers.damm import with_check_digit
    from kiosk.domain.staff import validate_pin

    label = with_check_digit("800000001")
    with pytest.raises(ValueError, match="management ID"):
        validate_pin(label)
    validate_pin(label[:-1] + str((int(label[-1]) + 1) % 10))  # ten digits, but no check digit: a PIN
    validate_pin("1111")
