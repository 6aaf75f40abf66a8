"""`kiosk staff add|list|deactivate|reactivate|set-role|unlock|reset-pin|set-pin|train|training`.

Every change is made by an administrator (`--operator`) with a second person (`--witness`); their PINs
come first on standard input, in that order, then (for add and reset-pin) the new PIN. `set-pin` is the
member's own: the current (or one-time) PIN, then the new PIN twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli
from kiosk.cli.output import clean, echo
from kiosk.cli.people import AUTH_REASONS, operator_option, read_secret, sign_in, witness_option

if TYPE_CHECKING:
    from kiosk.domain.staff import StaffMember

T = TypeVar("T")

ROLES = ["clerk", "officer", "supervisor", "admin"]


@cli.group()
def staff() -> None:
    """Staff accounts (never deleted: deactivated). An administrator and a witness make every change."""


def _new_pin() -> str:
    from kiosk.domain.staff import validate_pin

    pin = read_secret("new member")
    try:
        validate_pin(pin)
    except ValueError as exc:
        fail(str(exc))
    return pin


def _admin_act(
    ctx: CliContext, operator: str, witness: str, work: Callable[[StaffMember, StaffMember], T]
) -> T:
    """Sign in the administrator and the witness, then run one command of the core."""
    admin, second = sign_in(ctx, ("administrator", operator), ("witness", witness))
    return _admin_act_signed(ctx, lambda: work(admin, second))


def _rank(rank: str | None) -> int | None:
    from kiosk.domain.staff import parse_rank

    if rank is None:
        return None
    try:
        return parse_rank(rank)
    except ValueError as exc:
        fail(str(exc))


@staff.command("add")
@click.option("--name", required=True)
@click.option("--badge", required=True, help="The code printed on the staff badge (scanned at sign-in).")
@click.option("--employee-no", required=True, help="職員番号: one person, one account.")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--rank", default=None, help="Officer rank: 正 (or 0), 副1 (or 1), 副2 …")
@operator_option("Badge of the administrator (PIN: first line of stdin).")
@witness_option(
    "Badge of the second person (PIN: next line). Only the first colleague of a new ledger is added alone.",
    required=False,
)
@pass_cli
def staff_add(
    ctx: CliContext,
    name: str,
    badge: str,
    employee_no: str,
    role: str,
    rank: str | None,
    operator: str,
    witness: str | None,
) -> None:
    """Add a member of staff. stdin: the administrator's PIN, the witness's PIN, the new member's PIN."""
    from kiosk.domain.staff import Role

    rank_value = _rank(rank)
    people = [("administrator", operator)] + ([("witness", witness)] if witness else [])
    signed = sign_in(ctx, *people)
    admin, second = signed[0], (signed[1] if witness else None)
    pin = _new_pin()
    member = _admin_act_signed(
        ctx,
        lambda: ctx.desk.add_staff(
            admin,
            second,
            name=name,
            badge=badge,
            employee_no=employee_no,
            role=Role(role),
            rank=rank_value,
            pin=pin,
        ),
    )
    echo(f"added {clean(member.display)} ({member.role.value}) id {member.id}, badge {member.badge}")


@staff.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_cli
def staff_list(ctx: CliContext, as_json: bool) -> None:
    """List staff, including deactivated members."""
    import json

    from kiosk.domain.staff import rank_label

    now = ctx.desk.now()
    minutes = ctx.settings.staff.lockout_minutes
    for entry in ctx.desk.staff_roster():
        m = entry.member
        trained = entry.trained_on.isoformat() if entry.trained_on else None
        locked = m.is_locked(now, minutes)
        if as_json:
            record = {
                "id": m.id,
                "name": m.name,
                "badge": m.badge,
                "employee_no": m.employee_no,
                "role": m.role.value,
                "rank": m.rank,
                "active": m.active,
                "locked": locked,
                "trained_on": trained,
                "pin_change_due": m.pin_change_due,
            }
            echo(json.dumps(record, ensure_ascii=True))
            continue
        state = "active" if m.active else "deactivated"
        if locked:
            state += ", locked"
        state += f", trained {trained}" if trained else ", never trained"
        if m.pin_change_due:
            state += ", one-time PIN"
        echo(
            f"{m.id:>4}  {clean(m.badge):<12} {clean(m.employee_no):<10} {m.role.value:<10} "
            f"{rank_label(m.rank):<4} {clean(m.name)}  [{state}]"
        )


@staff.command("deactivate")
@click.argument("badge")
@operator_option("Badge of the administrator (PIN: first line of stdin).")
@witness_option()
@pass_cli
def staff_deactivate(ctx: CliContext, badge: str, operator: str, witness: str) -> None:
    """Deactivate a member of staff (their name stays in the history)."""

    member = _admin_act(ctx, operator, witness, lambda a, w: ctx.desk.deactivate(a, w, badge))
    echo(f"deactivated {clean(member.display)}")


@staff.command("reactivate")
@click.argument("badge")
@operator_option("Badge of the administrator (PIN: first line of stdin).")
@witness_option()
@pass_cli
def staff_reactivate(ctx: CliContext, badge: str, operator: str, witness: str) -> None:
    """Reactivate a deactivated member of staff."""

    member = _admin_act(ctx, operator, witness, lambda a, w: ctx.desk.reactivate(a, w, badge))
    echo(f"reactivated {clean(member.display)}")


@staff.command("set-role")
@click.argument("badge")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--rank", default=None, help="Officer rank: 正 (or 0), 副1 (or 1), 副2 …")
@operator_option("Badge of the administrator (PIN: first line of stdin).")
@witness_option()
@pass_cli
def staff_set_role(
    ctx: CliContext, badge: str, role: str, rank: str | None, operator: str, witness: str
) -> None:
    """Change a member's role (and officer rank)."""
    from kiosk.domain.staff import Role

    rank_value = _rank(rank)
    member = _admin_act(
        ctx, operator, witness, lambda a, w: ctx.desk.set_role(a, w, badge, Role(role), rank_value)
    )
    echo(f"{clean(member.display)} is now {member.role.value}")


@staff.command("unlock")
@click.argument("badge")
@operator_option("Badge of the administrator (PIN: first line of stdin).")
@witness_option()
@pass_cli
def staff_unlock(ctx: CliContext, badge: str, operator: str, witness: str) -> None:
    """Clear a lockout before it runs out by itself ([staff] lockout_minutes)."""

    member = _admin_act(ctx, operator, witness, lambda a, w: ctx.desk.unlock(a, w, badge))
    echo(f"unlocked {clean(member.display)}")


@staff.command("reset-pin")
@click.argument("badge")
@operator_option("Badge of the administrator (PIN: first line of stdin).")
@witness_option()
@pass_cli
def staff_reset_pin(ctx: CliContext, badge: str, operator: str, witness: str) -> None:
    """Set a one-time PIN for a member. stdin: administrator's PIN, witness's PIN, the new PIN.

    The member must choose their own PIN with it before anything else (at the kiosk's sign-in, or
    `kiosk staff set-pin`).
    """

    admin, second = sign_in(ctx, ("administrator", operator), ("witness", witness))
    pin = _new_pin()
    member = _admin_act_signed(ctx, lambda: ctx.desk.reset_pin(admin, second, badge, pin))
    echo(f"one-time PIN set for {clean(member.display)}: they choose their own PIN at the next sign-in")


@staff.command("set-pin")
@click.argument("badge")
@pass_cli
def staff_set_pin(ctx: CliContext, badge: str) -> None:
    """A member sets their own PIN. stdin: the current (or one-time) PIN, the new PIN, the new PIN again."""
    from kiosk.desk import StorageError
    from kiosk.domain.staff import AuthError

    current = read_secret("current or one-time")
    new = read_secret("new")
    if read_secret("new, again") != new:
        fail("the two new PINs differ: nothing was changed")
    try:
        member = ctx.desk.change_pin(badge, current, new, device="cli")
    except AuthError as exc:
        fail(f"sign-in refused ({exc.reason}): {AUTH_REASONS.get(exc.reason, exc.reason)}")
    except ValueError as exc:
        fail(str(exc))
    except StorageError as exc:
        fail(exc.reason)
    echo(f"new PIN set for {clean(member.display)}")


@staff.command("train")
@click.argument("badge")
@click.option("--date", "on", default=None, help="Training date (YYYY-MM-DD; default today).")
@click.option("--kind", required=True, help="A configured kind ([staff] training_kinds), e.g. 着任時研修.")
@click.option("--trainer", required=True, help="Who gave the training (a name).")
@operator_option("Badge of the administrator (PIN: first line of stdin).")
@witness_option()
@pass_cli
def staff_train(
    ctx: CliContext, badge: str, on: str | None, kind: str, trainer: str, operator: str, witness: str
) -> None:
    """Record a training (研修) of a member: date, kind and trainer, on the chain."""
    from datetime import date

    try:
        day = date.fromisoformat(on) if on else ctx.desk.today()
    except ValueError:
        fail(f"--date {on!r} is not a date (YYYY-MM-DD)")
    member = _admin_act(
        ctx,
        operator,
        witness,
        lambda a, w: ctx.desk.record_training(a, w, badge, on=day, kind=kind, trainer=trainer),
    )
    echo(f"training of {clean(member.display)} recorded: {day.isoformat()} {clean(kind)}")


@staff.command("training")
@click.option("--due", is_flag=True, help="Only the active members due for training, and why.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_cli
def staff_training(ctx: CliContext, due: bool, as_json: bool) -> None:
    """The training records, oldest first; --due: who is due ([staff] training_every_days; exit 1 if any)."""
    import json

    if due:
        listed = ctx.desk.training_due()
        for d in listed:
            m = d.record.member
            since = d.due_on.isoformat() if d.due_on else None
            if as_json:
                line = {"badge": m.badge, "name": m.name, "reason": d.reason.value, "since": since}
                echo(json.dumps(line, ensure_ascii=True))
            else:
                echo(f"{clean(m.badge):<12} {d.reason.value:<9} since {since or '-'}  {clean(m.name)}")
        if listed:
            raise SystemExit(1)
        return
    for r in ctx.desk.training_records():
        if as_json:
            record: dict[str, object] = {
                "seq": r.seq,
                "staff": r.staff_id,
                "name": r.name,
                "on": r.on.isoformat(),
                "kind": r.kind,
                "trainer": r.trainer,
            }
            echo(json.dumps(record, ensure_ascii=True))
        else:
            trainer = clean(r.trainer)
            echo(f"{r.on.isoformat()}  {clean(r.name)}  {clean(r.kind)}  trainer {trainer}  (event {r.seq})")


def _admin_act_signed(ctx: CliContext, work: Callable[[], T]) -> T:
    from kiosk.desk import StorageError
    from kiosk.domain.management_id import Refusal

    try:
        return work()
    except (ValueError, Refusal) as exc:
        fail(str(exc))
    except StorageError as exc:
        fail(exc.reason)
