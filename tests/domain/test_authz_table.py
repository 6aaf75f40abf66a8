"""The authorisation table, row by row: who may do each act, and which second person it needs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.domain.authz import RULES, Act, NotAllowed, Second, authorize
from kiosk.domain.staff import MAX_FAILED_ATTEMPTS, Role, StaffMember

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def person(pid: int, role: Role, *, rank: int | None = None, employee_no: str | None = None) -> StaffMember:
    return StaffMember(
        id=pid,
        name=f"p{pid}",
        badge=f"B{pid}",
        role=role,
        rank=rank if role is not Role.OFFICER or rank is not None else 0,
        active=True,
        employee_no=employee_no or f"E{pid}",
    )


PEOPLE = {
    Role.CLERK: person(1, Role.CLERK),
    Role.OFFICER: person(2, Role.OFFICER, rank=0),
    Role.SUPERVISOR: person(3, Role.SUPERVISOR),
    Role.ADMIN: person(4, Role.ADMIN),
}


def a_good_second(act: Act, actor: StaffMember) -> StaffMember | None:
    """A second person the row accepts for `actor`, or None when the act needs none."""
    rule = RULES[act]
    if rule.second is Second.NONE:
        return None
    if rule.second is Second.SUPERVISOR:
        return person(13, Role.SUPERVISOR)
    if rule.second is Second.OFFICER_PAIR:
        return person(12, Role.OFFICER, rank=1)
    return person(11, Role.ADMIN if actor.role is Role.ADMIN else Role.CLERK)


def test_every_act_has_a_row() -> None:
    assert set(RULES) == set(Act)


@pytest.mark.parametrize("act", list(Act))
@pytest.mark.parametrize("role", list(Role))
def test_only_the_roles_of_the_row_may_act(act: Act, role: Role) -> None:
    actor = PEOPLE[role]
    second = a_good_second(act, actor)
    if role in RULES[act].actors:
        assert authorize(act, actor, second, now=NOW, lockout_minutes=30) is RULES[act]
    else:
        with pytest.raises(NotAllowed) as refused:
            authorize(act, actor, second, now=NOW, lockout_minutes=30)
        assert refused.value.reason == "role"


@pytest.mark.parametrize("act", [a for a in Act if RULES[a].second is not Second.NONE])
def test_two_person_acts_refuse_one_person_twice_and_two_accounts_of_one_employee(act: Act) -> None:
    actor = PEOPLE[next(iter(sorted(RULES[act].actors)))]
    with pytest.raises(NotAllowed) as alone:
        authorize(act, actor, None, now=NOW, lockout_minutes=30)
    assert alone.value.reason == "need_second"
    with pytest.raises(NotAllowed) as twice:
        authorize(act, actor, actor, now=NOW, lockout_minutes=30)
    assert twice.value.reason == "same_person"
    # A second account (another id and badge) of the same employee number is the same person.
    second = a_good_second(act, actor)
    assert second is not None
    alias = replace(second, employee_no=actor.employee_no)
    with pytest.raises(NotAllowed) as same_employee:
        authorize(act, actor, alias, now=NOW, lockout_minutes=30)
    assert same_employee.value.reason == "same_person"


@pytest.mark.parametrize("act", [a for a in Act if RULES[a].second is Second.OFFICER_PAIR])
def test_officer_pair_acts_need_an_officer_among_the_two(act: Act) -> None:
    with pytest.raises(NotAllowed) as refused:
        authorize(act, PEOPLE[Role.CLERK], person(21, Role.CLERK), now=NOW, lockout_minutes=30)
    assert refused.value.reason == "need_officer"


@pytest.mark.parametrize("act", [a for a in Act if RULES[a].second is Second.SUPERVISOR])
def test_supervisor_acts_need_a_supervisor_as_the_second(act: Act) -> None:
    actor = PEOPLE[next(iter(sorted(RULES[act].actors)))]
    with pytest.raises(NotAllowed) as refused:
        authorize(act, actor, person(22, Role.CLERK), now=NOW, lockout_minutes=30)
    assert refused.value.reason == "need_supervisor"


@pytest.mark.parametrize("act", list(Act))
def test_a_deactivated_or_locked_person_never_acts_nor_witnesses(act: Act) -> None:
    actor = PEOPLE[next(iter(sorted(RULES[act].actors)))]
    second = a_good_second(act, actor)
    gone = replace(actor, active=False)
    with pytest.raises(NotAllowed) as inactive:
        authorize(act, gone, second, now=NOW, lockout_minutes=30)
    assert inactive.value.reason == "inactive"
    locked = replace(actor, failed_attempts=MAX_FAILED_ATTEMPTS, locked_at=NOW - timedelta(minutes=5))
    with pytest.raises(NotAllowed) as lock:
        authorize(act, locked, second, now=NOW, lockout_minutes=30)
    assert lock.value.reason == "locked"
    # The lockout runs out by itself.
    assert authorize(act, locked, second, now=NOW + timedelta(minutes=30), lockout_minutes=30)
    if second is not None:
        with pytest.raises(NotAllowed) as witness_gone:
            authorize(act, actor, replace(second, active=False), now=NOW, lockout_minutes=30)
        assert witness_gone.value.reason == "inactive"


def test_an_administrator_witnesses_account_changes_but_not_the_safe() -> None:
    admin = person(31, Role.ADMIN)
    officer = PEOPLE[Role.OFFICER]
    assert authorize(Act.STAFF_ADD, PEOPLE[Role.ADMIN], admin, now=NOW, lockout_minutes=30)
    with pytest.raises(NotAllowed) as refused:
        authorize(Act.MARK_MISSING, officer, admin, now=NOW, lockout_minutes=30)
    assert refused.value.reason == "role"


def test_the_architecture_doc_shows_every_row_as_the_code_has_it() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for act, rule in RULES.items():
        roles = ", ".join(sorted(r.value for r in rule.actors))
        assert f"| `{act.value}` | {roles} |" in doc, f"docs/ARCHITECTURE.md: the row of {act.value} differs"


def test_suggests_the_same_person_is_the_normalised_name_or_the_number_digits() -> None:
    from kiosk.domain.staff import suggests_same_person

    member = person(30, Role.OFFICER, rank=0, employee_no="E-0042")
    member = replace(member, name="保管 正子")
    assert suggests_same_person("保管正子", "Z-1", member)  # the space removed
    assert suggests_same_person("保管\u3000正子", "Z-1", member)  # an ideographic space
    assert suggests_same_person("ﾎｶﾝ", "42", replace(member, name="ホカン"))  # half-width kana under NFKC
    assert suggests_same_person("別人", "X00042", member)  # the digits, prefix and zero padding ignored
    assert not suggests_same_person("別人", "E-421", member)
    assert not suggests_same_person("別人", "E-ABC", replace(member, employee_no="E-XYZ"))  # no digits


def test_a_staff_change_refuses_the_subject_and_a_low_second_for_a_high_account() -> None:
    from kiosk.domain.authz import StaffChange, authorize_staff_change

    admin, officer, supervisor = PEOPLE[Role.ADMIN], PEOPLE[Role.OFFICER], PEOPLE[Role.SUPERVISOR]
    clerk = PEOPLE[Role.CLERK]

    def reason(change: StaffChange, second: StaffMember | None) -> str | None:
        try:
            authorize_staff_change(change, admin, second)
        except NotAllowed as exc:
            return exc.reason
        return None

    assert reason(StaffChange(Act.STAFF_SET_ROLE, officer, Role.CLERK), officer) == "witness_is_subject"
    assert reason(StaffChange(Act.STAFF_SET_ROLE, clerk, Role.SUPERVISOR), officer) == "need_high_second"
    assert reason(StaffChange(Act.STAFF_SET_ROLE, clerk, Role.SUPERVISOR), supervisor) is None
    # The first supervisor, while none exists and one administrator keeps the ledger: an officer will do.
    first = StaffChange(Act.STAFF_SET_ROLE, clerk, Role.SUPERVISOR, first_supervisor=True)
    assert reason(first, officer) is None
    assert reason(StaffChange(Act.STAFF_SET_ROLE, clerk, Role.ADMIN, first_supervisor=True), officer) == (
        "need_high_second"
    )
    assert reason(StaffChange(Act.STAFF_RESET_PIN, supervisor), officer) == "need_high_second"
    assert reason(StaffChange(Act.STAFF_UNLOCK, supervisor), officer) is None
    assert reason(StaffChange(Act.STAFF_ADD, None, Role.ADMIN), None) == "first_not_high"
    assert (
        reason(StaffChange(Act.STAFF_ADD, None, Role.CLERK, similar=officer), supervisor) == "similar_person"
    )
    assert (
        reason(StaffChange(Act.STAFF_ADD, None, Role.CLERK, similar=officer), person(40, Role.ADMIN)) is None
    )


def test_a_one_time_pin_authorises_nothing() -> None:
    clerk = replace(PEOPLE[Role.CLERK], pin_change_due=True)
    with pytest.raises(NotAllowed) as refused:
        authorize(Act.OPEN_SAFE, clerk, PEOPLE[Role.OFFICER], now=NOW, lockout_minutes=30)
    assert refused.value.reason == "pin_change_due"
    with pytest.raises(NotAllowed):
        authorize(Act.OPEN_SAFE, PEOPLE[Role.OFFICER], clerk, now=NOW, lockout_minutes=30)


def test_a_clerk_books_the_pick_list_with_a_second_person_an_officer_or_supervisor_alone() -> None:
    clerk, officer, supervisor = PEOPLE[Role.CLERK], PEOPLE[Role.OFFICER], PEOPLE[Role.SUPERVISOR]
    with pytest.raises(NotAllowed) as alone:
        authorize(Act.BOOK_PICK_LIST, clerk, None, now=NOW, lockout_minutes=30)
    assert alone.value.reason == "need_second"
    assert authorize(Act.BOOK_PICK_LIST, clerk, person(41, Role.CLERK), now=NOW, lockout_minutes=30)
    with pytest.raises(NotAllowed) as admin:
        authorize(Act.BOOK_PICK_LIST, clerk, PEOPLE[Role.ADMIN], now=NOW, lockout_minutes=30)
    assert admin.value.reason == "role"
    assert authorize(Act.BOOK_PICK_LIST, officer, None, now=NOW, lockout_minutes=30)
    assert authorize(Act.BOOK_PICK_LIST, supervisor, None, now=NOW, lockout_minutes=30)
