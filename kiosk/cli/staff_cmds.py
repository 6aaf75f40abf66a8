"""`kiosk staff add|list|deactivate|unlock`."""

from __future__ import annotations

import sys

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli
from kiosk.cli.output import clean, echo


@cli.group()
def staff() -> None:
    """Staff accounts (never deleted: deactivated)."""


def _read_pin() -> str:
    # The PIN comes from stdin (a prompt on a terminal), never from argv where `ps` would show it.
    if sys.stdin.isatty():
        pin = click.prompt("PIN", hide_input=True, confirmation_prompt=True)
    else:
        pin = sys.stdin.readline().strip()
    return str(pin)


@staff.command("add")
@click.option("--name", required=True)
@click.option("--badge", required=True, help="The code printed on the staff badge (scanned at sign-in).")
@click.option("--role", type=click.Choice(["clerk", "officer", "supervisor", "admin"]), required=True)
@click.option("--rank", default=None, help="Officer rank: 正 (or 0), 副1 (or 1), 副2 …")
@pass_cli
def staff_add(ctx: CliContext, name: str, badge: str, role: str, rank: str | None) -> None:
    """Add a member of staff; the PIN (4–12 digits) is read from standard input."""
    from kiosk.domain.management_id import Refusal
    from kiosk.domain.staff import Role, parse_rank, validate_pin

    try:
        rank_value = parse_rank(rank) if rank is not None else None
        pin = _read_pin()
        validate_pin(pin)
        member = ctx.ledger.add_staff(name=name, badge=badge, role=Role(role), rank=rank_value, pin=pin)
    except (ValueError, Refusal) as exc:
        fail(str(exc))
    echo(f"added {member.display} ({member.role.value}) id {member.id}")


@staff.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_cli
def staff_list(ctx: CliContext, as_json: bool) -> None:
    """List staff, including deactivated members."""
    import json

    from kiosk.domain.staff import rank_label

    for m in ctx.ledger.list_staff():
        if as_json:
            echo(
                json.dumps(
                    {
                        "id": m.id,
                        "name": m.name,
                        "badge": m.badge,
                        "role": m.role.value,
                        "rank": m.rank,
                        "active": m.active,
                        "locked": m.locked,
                    },
                    ensure_ascii=False,
                )
            )
            continue
        state = "active" if m.active else "deactivated"
        if m.locked:
            state += ", locked"
        rank = rank_label(m.rank)
        echo(f"{m.id:>4}  {clean(m.badge):<12} {m.role.value:<10} {rank:<4} {clean(m.name)}  [{state}]")


@staff.command("deactivate")
@click.argument("badge")
@pass_cli
def staff_deactivate(ctx: CliContext, badge: str) -> None:
    """Deactivate a member of staff (their name stays in the history)."""
    try:
        member = ctx.ledger.deactivate_staff(badge)
    except ValueError as exc:
        fail(str(exc))
    echo(f"deactivated {member.display}")
