"""Staff administration (職員の管理): what a change to an existing account does, pure.

Who may make the change (the administrator, the right witness, never the subject) is `authz`'s
`authorize` and `authorize_staff_change`; this is the rest of the rule: whether the change makes sense
for the account as it is (already deactivated, not locked out, the same role) and whether it would leave
the ledger without an active administrator. It takes the account and the count of active administrators
as arguments and returns the event to record with the new values, or raises `StaffChangeRefused`; the
ledger's recorder (`kiosk/ledger/staff_ops.py`) loads the row, calls it and writes what it says.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.authz import Act
from kiosk.domain.events import EventKind
from kiosk.domain.staff import Role, StaffMember, check_rank


class StaffChangeRefused(ValueError):
    """The change does not apply to the account as it is; the message says why (English, for logs/CLI)."""


@dataclass(frozen=True, slots=True)
class StaffUpdate:
    """What to record: the event, and the account's values after it."""

    kind: EventKind
    active: bool
    role: Role
    rank: int | None
    unlocks: bool = False  # the failed-attempt count and the lockout are cleared
    pin_change_due: bool = False  # a one-time PIN: its owner chooses a new one before any act


_KINDS = {
    Act.STAFF_DEACTIVATE: EventKind.STAFF_DEACTIVATED,
    Act.STAFF_REACTIVATE: EventKind.STAFF_REACTIVATED,
    Act.STAFF_SET_ROLE: EventKind.STAFF_ROLE_CHANGED,
    Act.STAFF_UNLOCK: EventKind.STAFF_UNLOCKED,
    Act.STAFF_RESET_PIN: EventKind.STAFF_PIN_RESET,
}


def decide_staff_change(
    act: Act,
    subject: StaffMember,
    *,
    active_admins: int,
    role: Role | None = None,
    rank: int | None = None,
) -> StaffUpdate:
    """The change `act` to `subject`'s account. `role`/`rank`: the new ones (`STAFF_SET_ROLE` only).

    Never the last active administrator deactivated or demoted: nobody could then add or unlock anyone.
    A reset PIN also clears a lockout (the owner forgot it) and is one-time.
    """
    kind = _KINDS.get(act)
    if kind is None:
        raise ValueError(f"{act.value} is not a change to an existing account")
    last_admin = subject.role is Role.ADMIN and subject.active and active_admins <= 1
    update = StaffUpdate(kind, subject.active, subject.role, subject.rank)
    if act is Act.STAFF_DEACTIVATE:
        if not subject.active:
            raise StaffChangeRefused(f"{subject.name} is already deactivated")
        if last_admin:
            raise StaffChangeRefused("the last active administrator cannot be deactivated")
        return StaffUpdate(kind, False, subject.role, subject.rank)
    if act is Act.STAFF_REACTIVATE:
        if subject.active:
            raise StaffChangeRefused(f"{subject.name} is already active")
        return StaffUpdate(kind, True, subject.role, subject.rank)
    if act is Act.STAFF_SET_ROLE:
        if role is None:
            raise ValueError("a role change names the new role")
        check_rank(role, rank)
        if subject.role is role and subject.rank == rank:
            raise StaffChangeRefused(f"{subject.name} already has that role")
        if last_admin and role is not Role.ADMIN:
            raise StaffChangeRefused("the last active administrator keeps the administrator role")
        return StaffUpdate(kind, subject.active, role, rank)
    if act is Act.STAFF_UNLOCK:
        if subject.failed_attempts == 0:
            raise StaffChangeRefused(f"{subject.name} is not locked out")
        return StaffUpdate(kind, subject.active, subject.role, subject.rank, unlocks=True)
    return StaffUpdate(kind, update.active, update.role, update.rank, unlocks=True, pin_change_due=True)
