"""`kiosk stocktake start|scan|status|finish|report|due|handover`: a whole stocktake (点検) without the UI.

Every command names its people (`--operator`, `--witness`); their PINs are read from standard input, one
line per person in that order (or asked for, hidden, at a terminal). `scan` is done by a signed-in counter
(`--operator`, PIN on the first line); it then reads codes from its arguments or, one per line, from the
rest of standard input and prints one verdict line per scan, flushed only after the scan is committed.
Typed or piped codes are recorded with the source `manual` unless `--source` says otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli
from kiosk.cli.output import clean, echo
from kiosk.cli.params import RECORD_ID
from kiosk.cli.people import operator_option, sign_in, witness_option

T = TypeVar("T")

if TYPE_CHECKING:
    from kiosk.desk.views import BatchVerdict, StocktakeVerdict
    from kiosk.domain.staff import StaffMember


@cli.group()
def stocktake() -> None:
    """Stocktakes (点検): reconcile the cards in the safe against the ledger."""


def _sign_in(ctx: CliContext, *badges: str) -> list[StaffMember]:
    labels = ("operator", "witness", "third person")
    return sign_in(ctx, *zip(labels, badges, strict=False))


def _core(work: Callable[[], T]) -> T:
    from kiosk.desk import StorageError
    from kiosk.domain.management_id import Refusal
    from kiosk.domain.stocktake import DecisionError

    try:
        return work()
    except DecisionError as exc:
        for mid in exc.cards:
            echo(f"{exc.reason} {mid}", err=True)
        fail(str(exc))
    except (ValueError, Refusal) as exc:
        fail(str(exc))
    except StorageError as exc:
        fail(exc.reason)


def _stocktake_id(ctx: CliContext, given: int | None) -> int:
    if given is not None:
        if not 1 <= given <= 999_999:
            fail("a stocktake number is between 1 and 999999")
        return given
    view = _core(ctx.desk.open_stocktake)
    if view is None:
        fail("no stocktake is open at this kiosk (kiosk stocktake start)")
    return view.id


@stocktake.command("start")
@operator_option("Badge of the first person (PIN: first line of stdin).")
@witness_option("Badge of the second person, one of the two an officer (PIN: next line).")
@pass_cli
def start_cmd(ctx: CliContext, operator: str, witness: str) -> None:
    """Start a stocktake: freezes the cards the ledger says are in the safe (PINs from stdin)."""
    first, second = _sign_in(ctx, operator, witness)
    view = _core(lambda: ctx.desk.stocktake_start(first, second))
    echo(f"stocktake {view.id} started: {view.expected} cards expected")


def _verdict_line(v: StocktakeVerdict) -> str:
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
@click.option("--id", "stocktake_id", type=RECORD_ID, default=None, help="Stocktake (default: the open one).")
@click.option(
    "--source", default="manual", show_default=True, help="manual (typed), barcode, tray_photo, rfid …"
)
@click.option("--device", default="cli", show_default=True, help="Device name (its shelf label persists).")
@click.option("--location", default=None, help="Count at this shelf/slot (else the device's last label).")
@click.option("--batch", is_flag=True, help="Count all codes as one tray photo / RFID round (one commit).")
@click.option("--tags", is_flag=True, help="The inputs are RFID tag IDs (implies --batch).")
@operator_option("Badge of the counter (PIN: first line of stdin; the codes follow).")
@pass_cli
def scan_cmd(
    ctx: CliContext,
    operator: str,
    codes: tuple[str, ...],
    stocktake_id: int | None,
    source: str,
    device: str,
    location: str | None,
    batch: bool,
    tags: bool,
) -> None:
    """Count scanned codes (arguments, or one per line on stdin); prints one verdict per scan."""
    sid = _stocktake_id(ctx, stocktake_id)
    (counter,) = _sign_in(ctx, operator)
    lines = list(codes) if codes else None
    desk = ctx.desk
    if batch or tags:
        values = lines if lines is not None else [line.strip() for line in sys.stdin if line.strip()]
        verdict = _core(
            lambda: desk.stocktake_many(
                sid,
                counter,
                () if tags else values,
                tags=values if tags else (),
                source=source,
                device=device,
                location=location,
            )
        )
        echo(_batch_line(verdict))
        return
    stream = lines if lines is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for value in stream:
        if not value.strip():
            continue
        v = _core(
            lambda value=value: desk.stocktake_scan(  # type: ignore[misc]
                sid, value, counter, source=source, device=device, location=location
            )
        )
        # Printed only now: the scan is committed, so a printed verdict is never lost.
        echo(_verdict_line(v))
        sys.stdout.flush()


@stocktake.command("status")
@click.option("--id", "stocktake_id", type=RECORD_ID, default=None, help="Stocktake (default: the open one).")
@click.option("--lists/--no-lists", default=True, show_default=True, help="Print the lists too.")
@pass_cli
def status_cmd(ctx: CliContext, stocktake_id: int | None, lists: bool) -> None:
    """Counts and the lists: missing, misplaced, unexpected, unknown, duplicates."""
    sid = _stocktake_id(ctx, stocktake_id)
    view = _core(lambda: ctx.desk.get_stocktake(sid))
    if view is None:
        fail(f"there is no stocktake {sid}")
    result = _core(lambda: ctx.desk.reconcile(sid))
    p = result.progress
    echo(
        f"stocktake {sid} {view.status}: expected {p.expected} found {p.found} missing {p.missing} "
        f"misplaced {p.misplaced} unexpected {p.unexpected} unknown {p.unknown} "
        f"duplicates {p.duplicates} reads {p.reads}"
    )
    if lists:
        for name in ("missing", "misplaced", "unexpected", "unknown", "duplicates"):
            for line in getattr(result, name):
                status = line.ledger_status.value if line.ledger_status else "-"
                echo(
                    f"{name} {line.management_id} expected_at={clean(line.expected_location or '-')} "
                    f"seen_at={clean(line.seen_location or '-')} status={status} times={line.times}"
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
@operator_option("Badge of the first signer (PIN: first line of stdin).")
@witness_option("Badge of the second signer, one of the two an officer (PIN: next line).")
@click.option("--missing", "missing", multiple=True, help="ID=NOTE: record this card as missing (所在不明).")
@click.option("--found-elsewhere", "found", multiple=True, help="ID=NOTE: the card was found elsewhere.")
@click.option("--search-again", "search", multiple=True, help="ID: keep the stocktake open to look again.")
@click.option("--id", "stocktake_id", type=RECORD_ID, default=None, help="Stocktake (default: the open one).")
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
    from kiosk.domain.stocktake import Decision, MissingDecision

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
    outcome = _core(lambda: ctx.desk.stocktake_finish(sid, decisions, first, second))
    if outcome.result is None:
        # Searching again is recorded and the stocktake stays open: a refusal for the script.
        for mid in outcome.search_again:
            echo(f"search_again {mid}", err=True)
        fail(f"{len(outcome.search_again)} card(s) to search for again")
    result = outcome.result
    echo(
        f"stocktake {sid} finished: expected {result.expected} found {result.found} "
        f"recorded missing {len(result.missing)} unexpected {len(result.unexpected)} "
        f"unknown {len(result.unknown)}"
    )


@stocktake.command("report")
@click.argument("stocktake_id", type=RECORD_ID)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def report_cmd(ctx: CliContext, stocktake_id: int, output: Path) -> None:
    """Write the report: PDF (Japanese font) or CSV (UTF-8 with BOM), by the file's extension."""
    from kiosk.desk.views import StocktakeError
    from kiosk.reports.fonts import FontMissing
    from kiosk.reports.stocktake_report import write_stocktake_report

    if output.suffix.lower() not in (".pdf", ".csv"):
        fail(f"{output}: the output file ends in .pdf or .csv")
    from kiosk.fs import OutputRefused, safe_output_path

    try:
        with safe_output_path(output, ctx.protected()) as tmp:
            fmt = write_stocktake_report(ctx.desk, stocktake_id, tmp)
    except (StocktakeError, FontMissing, OutputRefused) as exc:
        fail(str(exc))
    echo(f"wrote the {fmt} report of stocktake {stocktake_id} to {output}")


@stocktake.command("due")
@pass_cli
def due_cmd(ctx: CliContext) -> None:
    """Is a stocktake due (every [stocktake] due_every_days, and after a handover)? Exit 1 when due."""
    status = _core(lambda: ctx.desk.stocktake_due(ctx.desk.today()))
    last = status.last_finished_on.isoformat() if status.last_finished_on else "never"
    nxt = status.next_due_on.isoformat() if status.next_due_on else "now"
    echo(f"{status.reason.value}: last finished {last}, next due {nxt}")
    if status.due:
        raise SystemExit(1)


@stocktake.command("handover")
@click.option("--from", "from_badge", required=True, help="Badge of the outgoing responsible officer.")
@click.option("--to", "to_badge", required=True, help="Badge of the incoming responsible officer.")
@click.option("--witness", required=True, metavar="BADGE", help="Badge of a third person.")
@pass_cli
def handover_cmd(ctx: CliContext, from_badge: str, to_badge: str, witness: str) -> None:
    """Record a handover of the responsible officer (引継ぎ); a stocktake becomes due.

    stdin: the PINs of the outgoing officer, the incoming officer and the witness, in that order.
    """
    old, new, third = sign_in(
        ctx, ("outgoing officer", from_badge), ("incoming officer", to_badge), ("witness", witness)
    )
    seq = _core(lambda: ctx.desk.officer_handover(old, new, third))
    echo(f"handover recorded (event {seq}); a stocktake is now due")
