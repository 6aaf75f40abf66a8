"""Changes to an existing account (職員の管理), table-driven, from the facts alone: no database.

Who may make a change is `tests/domain/test_authz_table.py`; this is whether the change applies to the
account as it is and what is recorded. `tests/desk` replays the same changes through the core.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.domain.authz import Act
from kiosk.domain.events import EventKind
from kiosk.domain.staff import Role, StaffMember
from kiosk.domain.staff_admin import StaffChangeRefused, StaffUpdate, decide_staff_change

CLERK = StaffMember(1, "窓口", "C1", Role.CLERK, None, True, employee_no="E1")
ADMIN = StaffMember(2, "管理", "A1", Role.ADMIN, None, True, employee_no="E2")
LOCKED = replace(CLERK, failed_attempts=5)
GONE = replace(CLERK, active=False)


@pytest.mark.parametrize(
    ("act", "subject", "admins", "role", "rank", "expected"),
    [
        (
            Act.STAFF_DEACTIVATE,
            CLERK,
            1,
            None,
            None,
            StaffUpdate(EventKind.STAFF_DEACTIVATED, False, Role.CLERK, None),
        ),
        (Act.STAFF_DEACTIVATE, GONE, 1, None, None, "already deactivated"),
        (Act.STAFF_DEACTIVATE, ADMIN, 1, None, None, "last active administrator"),
        (
            Act.STAFF_DEACTIVATE,
            ADMIN,
            2,
            None,
            None,
            StaffUpdate(EventKind.STAFF_DEACTIVATED, False, Role.ADMIN, None),
        ),
        (
            Act.STAFF_REACTIVATE,
            GONE,
            1,
            None,
            None,
            StaffUpdate(EventKind.STAFF_REACTIVATED, True, Role.CLERK, None),
        ),
        (Act.STAFF_REACTIVATE, CLERK, 1, None, None, "already active"),
        (
            Act.STAFF_SET_ROLE,
            CLERK,
            1,
            Role.OFFICER,
            0,
            StaffUpdate(EventKind.STAFF_ROLE_CHANGED, True, Role.OFFICER, 0),
        ),
        (Act.STAFF_SET_ROLE, CLERK, 1, Role.CLERK, None, "already has that role"),
        (Act.STAFF_SET_ROLE, CLERK, 1, Role.OFFICER, None, "needs a rank"),
        (Act.STAFF_SET_ROLE, CLERK, 1, Role.CLERK, 3, "only responsible officers"),
        (Act.STAFF_SET_ROLE, ADMIN, 1, Role.CLERK, None, "keeps the administrator role"),
        (
            Act.STAFF_SET_ROLE,
            ADMIN,
            2,
            Role.CLERK,
            None,
            StaffUpdate(EventKind.STAFF_ROLE_CHANGED, True, Role.CLERK, None),
        ),
        (
            Act.STAFF_UNLOCK,
            LOCKED,
            1,
            None,
            None,
            StaffUpdate(EventKind.STAFF_UNLOCKED, True, Role.CLERK, None, unlocks=True),
        ),
        (Act.STAFF_UNLOCK, CLERK, 1, None, None, "not locked out"),
        (
            Act.STAFF_RESET_PIN,
            LOCKED,
            1,
            None,
            None,
            StaffUpdate(EventKind.STAFF_PIN_RESET, True, Role.CLERK, None, unlocks=True, pin_change_due=True),
        ),
    ],
)
def test_staff_change(
    act: Act, subject: StaffMember, admins: int, role: Role | None, rank: int | None, expected: object
) -> None:
    if isinstance(expected, StaffUpdate):
        assert decide_staff_change(act, subject, active_admins=admins, role=role, rank=rank) == expected
        return
    with pytest.raises(ValueError, match=str(expected)):
        decide_staff_change(act, subject, active_admins=admins, role=role, rank=rank)


def test_a_refusal_is_its_own_type_and_an_act_that_is_no_change_is_a_bug() -> None:
    with pytest.raises(StaffChangeRefused):
        decide_staff_change(Act.STAFF_REACTIVATE, CLERK, active_admins=1)
    with pytest.raises(ValueError, match="not a change to an existing account") as bug:
        decide_staff_change(Act.TAKE_OUT, CLERK, active_admins=1)
    assert not isinstance(bug.value, StaffChangeRefused)
