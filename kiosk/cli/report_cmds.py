"""`kiosk report daily` (日次締め) and `kiosk report ledger` (管理簿): PDF or CSV by the file's extension."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli
from kiosk.cli.output import echo
from kiosk.fs import OutputRefused, safe_output_path


@cli.group()
def report() -> None:
    """Printed reports: the daily close and the ledger (PDF with Japanese fonts, or CSV for Excel)."""


def _format(output: Path) -> str:
    suffix = output.suffix.lower()
    if suffix not in (".pdf", ".csv"):
        fail(f"{output}: the output file ends in .pdf or .csv")
    return suffix[1:]


def _day(value: str | None, option: str, ctx: CliContext) -> date:
    from kiosk.domain.retention import parse_sent_date
    from kiosk.ledger.service import today

    if value is None:
        return today(ctx.ledger.clock)
    try:
        return parse_sent_date(value)
    except ValueError as exc:
        fail(f"{option}: {exc}")


@report.command("daily")
@click.option("--date", "on", default=None, help="Office date (YYYY-MM-DD; default today).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def report_daily(ctx: CliContext, on: str | None, output: Path) -> None:
    """Daily close (日次締め): counts, safe sessions, discrepancies, refusals, head hash, two signatures."""
    from kiosk.reports.daily import daily_close, write_daily_csv, write_daily_pdf
    from kiosk.reports.fonts import FontMissing

    fmt = _format(output)
    day = _day(on, "--date", ctx)
    settings = ctx.settings
    data = daily_close(ctx.ledger, day, office=settings.reports.office_name)
    try:
        with safe_output_path(output, ctx.protected()) as tmp:
            if fmt == "pdf":
                write_daily_pdf(data, tmp, font_file=settings.reports.font_file)
            else:
                write_daily_csv(data, tmp)
    except (FontMissing, OutputRefused) as exc:
        fail(str(exc))
    echo(f"wrote the daily close of {day} to {output} (head {data.head_seq} {data.head_hash[:16]}…)")
    if data.head_seq:
        from kiosk.ledger.anchors import record_head

        # The head printed on the paper is also an anchor in the log (kiosk verify --anchor SEQ:HASH).
        mark = record_head(ctx.ledger, settings, data.head_seq, data.head_hash, f"daily close {day}")
        echo(f"anchor {mark.text}")


@report.command("ledger")
@click.option("--from", "start", required=True, help="First office date (YYYY-MM-DD).")
@click.option("--to", "end", required=True, help="Last office date (YYYY-MM-DD).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def report_ledger(ctx: CliContext, start: str, end: str, output: Path) -> None:
    """The ledger (管理簿) for a period: one line per event, Japanese headings."""
    from kiosk.reports.fonts import FontMissing
    from kiosk.reports.ledger_book import ledger_book, write_ledger_book_csv, write_ledger_book_pdf

    fmt = _format(output)
    first, last = _day(start, "--from", ctx), _day(end, "--to", ctx)
    try:
        book = ledger_book(ctx.ledger, first, last)
    except ValueError as exc:
        fail(str(exc))
    settings = ctx.settings
    try:
        with safe_output_path(output, ctx.protected()) as tmp:
            if fmt == "pdf":
                n = write_ledger_book_pdf(
                    book, tmp, office=settings.reports.office_name, font_file=settings.reports.font_file
                )
            else:
                n = write_ledger_book_csv(book, tmp)
    except (FontMissing, OutputRefused) as exc:
        fail(str(exc))
    echo(f"wrote {n} events ({first} to {last}) to {output}")
