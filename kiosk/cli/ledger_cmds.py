"""`kiosk init`, `kiosk verify`, `kiosk ledger export`, `kiosk cards receive`."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli
from kiosk.cli.output import clean, echo
from kiosk.cli.params import COUNT
from kiosk.cli.people import operator_option, witness_option


@cli.command()
@click.option("--admin-name", default=None, help="Name of the first administrator (a new ledger only).")
@click.option("--admin-badge", default=None, help="Badge of the first administrator.")
@click.option("--admin-employee-no", default=None, help="職員番号 of the first administrator.")
@pass_cli
def init(
    ctx: CliContext, admin_name: str | None, admin_badge: str | None, admin_employee_no: str | None
) -> None:
    """Create or upgrade the ledger and the PIN pepper; on a ledger without staff, the first administrator.

    The first administrator's PIN is read from standard input. Every later account is added by an
    administrator with a witness (`kiosk staff add --operator … --witness …`).
    """
    from kiosk.cli.people import read_secret
    from kiosk.desk import StorageError
    from kiosk.domain.management_id import Refusal
    from kiosk.domain.staff import validate_pin

    ledger = ctx.ledger
    given = [v for v in (admin_name, admin_badge, admin_employee_no) if v is not None]
    if given:
        if len(given) != 3:
            fail("the first administrator needs --admin-name, --admin-badge and --admin-employee-no")
        assert admin_name is not None
        assert admin_badge is not None
        assert admin_employee_no is not None
        pin = read_secret("first administrator")
        try:
            validate_pin(pin)
            admin = ctx.desk.init_administrator(
                name=admin_name, badge=admin_badge, employee_no=admin_employee_no, pin=pin
            )
        except (ValueError, Refusal) as exc:
            fail(str(exc))
        except StorageError as exc:
            fail(exc.reason)
        echo(f"first administrator: {clean(admin.display)} badge {admin.badge}")
    elif ledger.staff_count(active_only=False) == 0:
        echo("no staff yet: run kiosk init --admin-name … --admin-badge … --admin-employee-no …", err=True)
    seq, digest = ledger.head()
    echo(f"ledger ready: {ledger.engine.url.render_as_string(hide_password=True)}")
    echo(f"head: {seq} {digest}")


@cli.command()
@pass_cli
def verify(ctx: CliContext) -> None:
    """Recompute the hash chain and the projection; exit 1 naming the first bad sequence number."""
    from kiosk.ledger.verify import verify as run_verify

    report = run_verify(ctx.ledger)
    if report.ok:
        echo(f"ok: {report.events} events, {report.cards} cards, head {report.head_seq} {report.head_hash}")
        return
    echo(f"BROKEN at seq {report.first_bad_seq}: {report.problem}", err=True)
    raise SystemExit(1)


@cli.group()
def ledger() -> None:
    """The ledger (管理簿) as a whole."""


@ledger.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def ledger_export(ctx: CliContext, fmt: str, output: Path) -> None:
    """Export every event (CSV in UTF-8 with BOM, for Japanese Excel)."""
    from kiosk.reports.ledger_csv import export_events_csv

    count = export_events_csv(ctx.ledger, output)
    echo(f"wrote {count} events to {output}")


@cli.group()
def cards() -> None:
    """Cards in the ledger."""


@cards.command("receive")
@click.option("--batch", required=True, help="Delivery batch ID (from J-LIS).")
@click.option("--expect", type=COUNT, required=True, help="Number of cards the delivery note lists.")
@click.option("--location", default="safe", show_default=True)
@operator_option("Badge of the receiving officer (保管責任者; PIN: first line of stdin).")
@witness_option()
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_cli
def cards_receive(
    ctx: CliContext, batch: str, expect: int, location: str, operator: str, witness: str, csv_file: Path
) -> None:
    """Receive a delivery (受領): an officer and a witness; every line valid and new, or nothing written."""
    from kiosk.cli.people import sign_in
    from kiosk.desk import StorageError
    from kiosk.domain.delivery import DeliveryRejected, parse_delivery
    from kiosk.domain.guard import ensure_not_individual_number
    from kiosk.domain.management_id import Refusal

    try:
        ensure_not_individual_number(batch, "--batch")
        text = csv_file.read_bytes().decode("utf-8-sig")
    except Refusal as exc:
        fail(str(exc))
    except UnicodeDecodeError:
        fail(f"{csv_file}: not UTF-8 text")
    officer, second = sign_in(ctx, ("operator", operator), ("witness", witness))
    try:
        lines = parse_delivery(text, expect=expect)
        states = ctx.desk.receive(batch, lines, officer, second, location=location)
    except DeliveryRejected as exc:
        for problem in exc.problems:
            echo(f"{csv_file}: {problem}", err=True)
        fail(f"delivery {batch} refused: {exc}")
    except (ValueError, Refusal) as exc:
        fail(str(exc))
    except StorageError as exc:
        fail(exc.reason)
    echo(f"received {len(states)} cards in batch {batch}")


@cards.command("show")
@click.argument("management_id")
@pass_cli
def cards_show(ctx: CliContext, management_id: str) -> None:
    """A card's state and its whole history (カード履歴)."""
    from kiosk.domain.card_state import OFFICE_TZ
    from kiosk.domain.management_id import ManagementId, Refusal

    try:
        mid = ManagementId.parse(management_id)
    except Refusal as exc:
        ctx.ledger.record_refusal(exc.reason, attempted="cards_show", source="cli")
        fail(str(exc))
    card = ctx.ledger.card(mid.value)
    if card is None:
        fail(f"{mid} is not in the ledger")
    echo(f"{card.management_id}  {card.kind}  {card.status.value}  location={clean(card.location or '-')}")
    for entry in ctx.ledger.history(mid.value):
        ev = entry.event
        at = ev.at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M:%S")
        people = " / ".join(n for n in (entry.actor_name, entry.witness_name) if n)
        echo(f"{ev.seq:>8}  {at}  {ev.kind:<18} {clean(people)}  {clean(ev.payload)}")
