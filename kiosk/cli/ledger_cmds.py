"""`kiosk init`, `kiosk verify`, `kiosk ledger export`, `kiosk cards receive`."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli


@cli.command()
@pass_cli
def init(ctx: CliContext) -> None:
    """Create or upgrade the ledger database and the PIN pepper."""
    ledger = ctx.ledger
    seq, digest = ledger.head()
    click.echo(f"ledger ready: {ledger.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"head: {seq} {digest}")


@cli.command()
@pass_cli
def verify(ctx: CliContext) -> None:
    """Recompute the hash chain and the projection; exit 1 naming the first bad sequence number."""
    from kiosk.ledger.verify import verify as run_verify

    report = run_verify(ctx.ledger)
    if report.ok:
        click.echo(
            f"ok: {report.events} events, {report.cards} cards, head {report.head_seq} {report.head_hash}"
        )
        return
    click.echo(f"BROKEN at seq {report.first_bad_seq}: {report.problem}", err=True)
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
    click.echo(f"wrote {count} events to {output}")


@cli.group()
def cards() -> None:
    """Cards in the ledger."""


@cards.command("receive")
@click.option("--batch", required=True, help="Delivery batch ID (from J-LIS).")
@click.option("--expect", type=int, required=True, help="Number of cards the delivery note lists.")
@click.option("--location", default="safe", show_default=True)
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_cli
def cards_receive(ctx: CliContext, batch: str, expect: int, location: str, csv_file: Path) -> None:
    """Receive a delivery: CSV `management_id,kind` or `管理ID,種別` (UTF-8 or CP932); every line valid
    and new, or nothing is written."""
    from kiosk.domain.delivery import DeliveryRejected, decode_delivery, parse_delivery
    from kiosk.domain.guard import ensure_not_individual_number
    from kiosk.domain.management_id import Refusal

    try:
        ensure_not_individual_number(batch, "--batch")
    except Refusal as exc:
        fail(str(exc))
    try:
        lines = parse_delivery(decode_delivery(csv_file.read_bytes()), expect=expect)
        states = ctx.ledger.receive_batch(batch, lines, location=location)
    except DeliveryRejected as exc:
        for problem in exc.problems:
            click.echo(f"{csv_file}: {problem}", err=True)
        fail(f"delivery {batch} refused: {exc}")
    click.echo(f"received {len(states)} cards in batch {batch}")


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
    click.echo(f"{card.management_id}  {card.kind}  {card.status.value}  location={card.location or '-'}")
    for entry in ctx.ledger.history(mid.value):
        ev = entry.event
        at = ev.at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M:%S")
        people = " / ".join(n for n in (entry.actor_name, entry.witness_name) if n)
        click.echo(f"{ev.seq:>8}  {at}  {ev.kind:<18} {people}  {ev.payload}")
