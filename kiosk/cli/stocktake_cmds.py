"""`kiosk stocktake start|scan|status|finish|report|due|handover`: a whole stocktake (点検) without the UI.

PINs are read from standard input, one line per person in the order the badges are given (or asked
for, hidden, at a terminal). `scan` reads codes from its arguments or, one per line, from standard input
and prints one verdict line per scan, flushed only after the scan is committed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli

if TYPE_CHECKING:
    from kiosk.domain.staff import StaffMember
    from kiosk.ledger.stocktake_ops import BatchVerdict, ScanVerdict


@cli.group()
def stocktake() -> None:
    """Stocktakes (点検): reconcile the cards in the safe against the ledger."""


def _read_pin(badge: str) -> str:
    if sys.stdin.isatty():
        value: str = click.prompt(f"PIN for {badge}", hide_input=True)
        return value
    line = sys.stdin.readline()
    if not line:
        fail(f"no PIN for {badge} on standard input")
    return line.strip()


def _sign_in(ctx: CliContext, *badges: str) -> list[StaffMember]:
    from kiosk.domain.staff import AuthError

    people = []
    for badge in badges:
        pin = _read_pin(badge)
        try:
            people.append(ctx.ledger.authenticate(badge, pin, device="cli"))
        except AuthError as exc:
            fail(f"sign-in refused for {badge}: {exc}")
    return people


def _stocktake_id(ctx: CliContext, given: int | None) -> int:
    from kiosk.ledger.stocktake_ops import open_stocktake

    if given is not None:
        return given
    view = open_stocktake(ctx.ledger)
    if view is None:
        fail("no stocktake is open at this kiosk (kiosk stocktake start)")
    return view.id


@stocktake.command("start")
@click.option("--operator", required=True, help="Badge of the first person.")
@click.option("--witness", required=True, help="Badge of the second person (one of the two an officer).")
@pass_cli
def start_cmd(ctx: CliContext, operator: str, witness: str) -> None:
    """Start a stocktake: freezes the cards the ledger says are in the safe (PINs from stdin)."""
    from kiosk.domain.staff import TwoPersonError
    from kiosk.ledger.stocktake_ops import StocktakeError, start

    first, second = _sign_in(ctx, operator, witness)
    try:
        view = start(ctx.ledger, first, second)
    except (TwoPersonError, StocktakeError) as exc:
        fail(str(exc))
    click.echo(f"stocktake {view.id} started: {view.expected} cards expected")


def _verdict_line(v: ScanVerdict) -> str:
    parts = [v.code.value, v.management_id or "-", v.location or "-"]
    if v.detail:
        parts.append(v.detail)
    elif v.ledger_status is not None and v.code.value == "unexpected":
        parts.append(v.ledger_status.value)
    return " ".join(parts)


def _batch_line(b: BatchVerdict) -> str:
    counts = " ".join(f"{k.value}={len(v)}" for k, v in sorted(b.by_sighting.items()))
    refused = " ".join(f"refused:{k}={n}" for k, n in sorted(b.refused.items()))
    unbound = f"unbound_tags={len(b.unbound_tags)}" if b.unbound_tags else ""
    return " ".join(p for p in ("batch", counts, refused, unbound) if p)


@stocktake.command("scan")
@click.argument("codes", nargs=-1)
@click.option("--id", "stocktake_id", type=int, default=None, help="Stocktake (default: the open one).")
@click.option("--source", default="barcode", show_default=True, help="barcode, tray_photo, rfid …")
@click.option("--device", default="cli", show_default=True, help="Device name (its shelf label persists).")
@click.option("--location", default=None, help="Count at this shelf/slot (else the device's last label).")
@click.option("--batch", is_flag=True, help="Count all codes as one tray photo / RFID round (one commit).")
@click.option("--tags", is_flag=True, help="The inputs are RFID tag IDs (implies --batch).")
@pass_cli
def scan_cmd(
    ctx: CliContext,
    codes: tuple[str, ...],
    stocktake_id: int | None,
    source: str,
    device: str,
    location: str | None,
    batch: bool,
    tags: bool,
) -> None:
    """Count scanned codes (arguments, or one per line on stdin); prints one verdict per scan."""
    from kiosk.ledger.stocktake_ops import StocktakeError, record_many, record_scan

    sid = _stocktake_id(ctx, stocktake_id)
    lines = list(codes) if codes else None
    try:
        if batch or tags:
            values = lines if lines is not None else [line.strip() for line in sys.stdin if line.strip()]
            if tags:
                verdict = record_many(
                    ctx.ledger, sid, tags=values, source=source, device=device, location=location
                )
            else:
                verdict = record_many(
                    ctx.ledger, sid, values, source=source, device=device, location=location
                )
            click.echo(_batch_line(verdict))
            return
        stream = lines if lines is not None else (line.rstrip("\r\n") for line in sys.stdin)
        for value in stream:
            if not value.strip():
                continue
            v = record_scan(ctx.ledger, sid, value, source=source, device=device, location=location)
            # Printed only now: the scan is committed, so a printed verdict is never lost.
            click.echo(_verdict_line(v))
            sys.stdout.flush()
    except StocktakeError as exc:
        fail(str(exc))


@stocktake.command("status")
@click.option("--id", "stocktake_id", type=int, default=None, help="Stocktake (default: the open one).")
@click.option("--lists/--no-lists", default=True, show_default=True, help="Print the lists too.")
@pass_cli
def status_cmd(ctx: CliContext, stocktake_id: int | None, lists: bool) -> None:
    """Counts and the lists: missing, misplaced, unexpected, unknown, duplicates."""
    from kiosk.ledger.stocktake_ops import StocktakeError, get_stocktake, reconcile

    sid = _stocktake_id(ctx, stocktake_id)
    view = get_stocktake(ctx.ledger, sid)
    if view is None:
        fail(f"there is no stocktake {sid}")
    try:
        result = reconcile(ctx.ledger, sid)
    except StocktakeError as exc:
        fail(str(exc))
    p = result.progress
    click.echo(
        f"stocktake {sid} {view.status}: expected {p.expected} found {p.found} missing {p.missing} "
        f"misplaced {p.misplaced} unexpected {p.unexpected} unknown {p.unknown} "
        f"duplicates {p.duplicates} reads {p.reads}"
    )
    if lists:
        for name in ("missing", "misplaced", "unexpected", "unknown", "duplicates"):
            for line in getattr(result, name):
                status = line.ledger_status.value if line.ledger_status else "-"
                click.echo(
                    f"{name} {line.management_id} expected_at={line.expected_location or '-'} "
                    f"seen_at={line.seen_location or '-'} status={status} times={line.times}"
                )


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for value in values:
        mid, sep, note = value.partition("=")
        if not sep:
            fail(f"{option} takes ID=NOTE")
        out[mid.strip()] = note.strip()
    return out


@stocktake.command("finish")
@click.option("--operator", required=True, help="Badge of the first signer.")
@click.option("--witness", required=True, help="Badge of the second signer (one of the two an officer).")
@click.option("--missing", "missing", multiple=True, help="ID=NOTE: record this card as missing (所在不明).")
@click.option("--found-elsewhere", "found", multiple=True, help="ID=NOTE: the card was found elsewhere.")
@click.option("--search-again", "search", multiple=True, help="ID: keep the stocktake open to look again.")
@click.option("--id", "stocktake_id", type=int, default=None, help="Stocktake (default: the open one).")
@pass_cli
def finish_cmd(
    ctx: CliContext,
    operator: str,
    witness: str,
    missing: tuple[str, ...],
    found: tuple[str, ...],
    search: tuple[str, ...],
    stocktake_id: int | None,
) -> None:
    """Sign the result; every missing card needs a decision (PINs from stdin)."""
    from kiosk.domain.staff import TwoPersonError
    from kiosk.domain.stocktake import Decision, DecisionError, MissingDecision
    from kiosk.ledger.stocktake_ops import StocktakeError, finish

    sid = _stocktake_id(ctx, stocktake_id)
    decisions = {
        mid: MissingDecision(Decision.RECORD_MISSING, n) for mid, n in _pairs(missing, "--missing").items()
    }
    decisions |= {
        mid: MissingDecision(Decision.FOUND_ELSEWHERE, n)
        for mid, n in _pairs(found, "--found-elsewhere").items()
    }
    decisions |= {mid.strip(): MissingDecision(Decision.SEARCH_AGAIN) for mid in search}
    first, second = _sign_in(ctx, operator, witness)
    try:
        result = finish(ctx.ledger, sid, decisions, first, second)
    except DecisionError as exc:
        for mid in exc.cards:
            click.echo(f"{exc.reason} {mid}", err=True)
        fail(str(exc))
    except (TwoPersonError, StocktakeError) as exc:
        fail(str(exc))
    click.echo(
        f"stocktake {sid} finished: expected {result.expected} found {result.found} "
        f"recorded missing {len(result.missing)} unexpected {len(result.unexpected)} "
        f"unknown {len(result.unknown)}"
    )


@stocktake.command("report")
@click.argument("stocktake_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def report_cmd(ctx: CliContext, stocktake_id: int, output: Path) -> None:
    """Write the report: PDF (Japanese font) or CSV (UTF-8 with BOM), by the file's extension."""
    from kiosk.ledger.stocktake_ops import StocktakeError
    from kiosk.reports.fonts import FontMissing
    from kiosk.reports.stocktake_report import write_stocktake_report

    if output.suffix.lower() not in (".pdf", ".csv"):
        fail(f"{output}: the output file ends in .pdf or .csv")
    from kiosk.fs import OutputRefused, safe_output_path

    try:
        with safe_output_path(output, ctx.protected()) as tmp:
            fmt = write_stocktake_report(ctx.ledger, stocktake_id, tmp)
    except (StocktakeError, FontMissing, OutputRefused) as exc:
        fail(str(exc))
    click.echo(f"wrote the {fmt} report of stocktake {stocktake_id} to {output}")


@stocktake.command("due")
@pass_cli
def due_cmd(ctx: CliContext) -> None:
    """Is a stocktake due (every [stocktake] due_every_days, and after a handover)? Exit 1 when due."""
    from kiosk.ledger.service import today
    from kiosk.ledger.stocktake_ops import stocktake_due

    status = stocktake_due(
        ctx.ledger, today(ctx.ledger.clock), every_days=ctx.settings.stocktake.due_every_days
    )
    last = status.last_finished_on.isoformat() if status.last_finished_on else "never"
    nxt = status.next_due_on.isoformat() if status.next_due_on else "now"
    click.echo(f"{status.reason.value}: last finished {last}, next due {nxt}")
    if status.due:
        raise SystemExit(1)


@stocktake.command("handover")
@click.option("--from", "from_badge", required=True, help="Badge of the outgoing responsible officer.")
@click.option("--to", "to_badge", required=True, help="Badge of the incoming responsible officer.")
@click.option("--witness", required=True, help="Badge of a third person.")
@pass_cli
def handover_cmd(ctx: CliContext, from_badge: str, to_badge: str, witness: str) -> None:
    """Record a handover of the responsible officer (引継ぎ); a stocktake becomes due (PINs from stdin)."""
    from kiosk.domain.staff import TwoPersonError
    from kiosk.ledger.stocktake_ops import record_handover

    old, new, third = _sign_in(ctx, from_badge, to_badge, witness)
    try:
        seq = record_handover(ctx.ledger, old, new, third)
    except TwoPersonError as exc:
        fail(str(exc))
    click.echo(f"handover recorded (event {seq}); a stocktake is now due")
