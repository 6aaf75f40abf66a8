"""How every CLI command names its people: `--operator BADGE`, `--witness BADGE`, `--supervisor BADGE`.

The PINs are read from standard input, one line each, in that order (operator, witness, supervisor),
never from argv where `ps` would show them; on a terminal each is prompted for without echo. Each person
is signed in by the core (the lockout counts, the attempt is recorded) and re-checked inside every write.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kiosk.cli.context import CliContext, fail

if TYPE_CHECKING:
    from kiosk.domain.staff import StaffMember

F = TypeVar("F", bound=Callable[..., Any])

AUTH_REASONS = {
    "unknown_badge": "no staff member has that badge code",
    "wrong_pin": "wrong PIN",
    "locked": "locked out after too many wrong PINs (an administrator can unlock: kiosk staff unlock)",
    "inactive": "that member of staff is deactivated",
    "integrity": "that member's record was changed outside the kiosk (refused and recorded as an alert)",
}


def operator_option(
    help_text: str = "Badge of the person doing this (PIN: first line of stdin).",
) -> Callable[[F], F]:
    return click.option("--operator", "operator", required=True, metavar="BADGE", help=help_text)


def witness_option(
    help_text: str = "Badge of the second person (PIN: next line of stdin).", *, required: bool = True
) -> Callable[[F], F]:
    return click.option("--witness", "witness", required=required, metavar="BADGE", help=help_text)


def supervisor_option(
    help_text: str = "Badge of the approving supervisor (PIN: next line).",
) -> Callable[[F], F]:
    return click.option("--supervisor", "supervisor", required=True, metavar="BADGE", help=help_text)


def read_secret(label: str) -> str:
    """One PIN: a prompt without echo on a terminal, else the next line of standard input."""
    if sys.stdin.isatty():
        return str(click.prompt(f"PIN ({label})", hide_input=True, err=True))
    line = sys.stdin.readline()
    if not line:
        fail(f"no PIN for the {label} on standard input (one line per person, in option order)")
    return line.strip()


def sign_in(ctx: CliContext, *people: tuple[str, str]) -> list[StaffMember]:
    """Sign in each (role label, badge) in order, reading their PINs from stdin; stop at the first failure."""
    from kiosk.desk import StorageError
    from kiosk.domain.staff import AuthError

    signed: list[StaffMember] = []
    for label, badge in people:
        pin = read_secret(label)
        try:
            member = ctx.desk.sign_in(badge, pin, device="cli")
        except AuthError as exc:
            remaining = f", {exc.remaining} tries left" if exc.remaining is not None else ""
            why = AUTH_REASONS.get(exc.reason, exc.reason)
            fail(f"{label}: sign-in refused ({exc.reason}): {why}{remaining}")
        except StorageError as exc:
            fail(exc.reason)
        if member.pin_change_due:
            fail(
                f"{label}: the PIN was reset and is one-time: set a new one first "
                f"(kiosk staff set-pin {member.badge})"
            )
        signed.append(member)
    return signed
