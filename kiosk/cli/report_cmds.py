"""`kiosk report daily` (日次締め), `ledger` (管理簿), `card ID` (カード別履歴), `reminders` (督促),
`disposal BATCH [--certificate]` (廃棄リスト・廃棄証明書): PDF or CSV by the file's extension."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli
from kiosk.cli.output import echo
from kiosk.fs import OutputRefused, safe_output_path

T = TypeVar("T")


@cli.group()
def report() -> None:
    """Printed reports: daily close, ledger, card register, reminders, disposal (PDF or CSV for Excel)."""


def _format(output: Path) -> str:
    suffix = output.suffix.lower()
    if suffix not in (".pdf", ".csv"):
        fail(f"{output}: the output file ends in .pdf or .csv")
    return suffix[1:]


def _write_paper(
    ctx: CliContext,
    output: Path,
    pdf: Callable[[Path, str, Path], T],
    csv: Callable[[Path], T],
) -> T:
    """Write a paper to `output`, as PDF (`pdf(tmp, office, font_file)`) or CSV by its extension, through
    a temporary file and never over a protected file; a missing font or a refused path is the CLI's
    one-line failure."""
    from kiosk.reports.fonts import FontMissing

    fmt = _format(output)
    reports = ctx.settings.reports
    try:
        with safe_output_path(output, ctx.protected()) as tmp:
            return pdf(tmp, reports.office_name, reports.font_file) if fmt == "pdf" else csv(tmp)
    except (FontMissing, OutputRefused) as exc:
        fail(str(exc))


def _day(value: str | None, option: str, ctx: CliContext) -> date:
    from kiosk.domain.retention import parse_sent_date

    if value is None:
        return ctx.desk.today()
    try:
        return parse_sent_date(value)
    except ValueError as exc:
        fail(f"{option}: {exc}")


@report.command("daily")
@click.option("--date", "on", default=None, help="Office date (YYYY-MM-DD; default today).")
@click.option(
    "--operator",
    "operator",
    default=None,
    metavar="BADGE",
    help="The responsible officer who closes the day (PIN: first line of stdin).",
)
@click.option("--preview", is_flag=True, help="Write the paper only: no verify, backup, anchor or record.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def report_daily(ctx: CliContext, on: str | None, operator: str | None, preview: bool, output: Path) -> None:
    """Daily close (日次締め): 受払 per card kind with its check, sessions, overrides, refusals, head hash.

    The close itself (a full verify against every anchor, a backup, the head printed on the paper
    appended to the anchor log, the close on record) is the same core command the kiosk's screen runs,
    and needs a responsible officer: --operator BADGE. --preview writes the paper alone.
    """
    from kiosk.reports.daily import daily_close, write_daily_csv, write_daily_pdf

    _format(output)  # a wrong extension is said before anything is read
    if operator is None and not preview:
        fail(
            "the daily close needs a responsible officer: --operator BADGE (PIN on stdin); "
            "--preview writes the paper alone"
        )
    day = _day(on, "--date", ctx)
    officer = None
    if operator is not None and not preview:
        from kiosk.cli.people import sign_in

        (officer,) = sign_in(ctx, ("officer", operator))
    data = daily_close(ctx.desk, day, office=ctx.settings.reports.office_name)
    _write_paper(
        ctx,
        output,
        lambda tmp, _office, font: write_daily_pdf(data, tmp, font_file=font),
        lambda tmp: write_daily_csv(data, tmp),
    )
    echo(f"wrote the daily close of {day} to {output} (head {data.head_seq} {data.head_hash[:16]}…)")
    if officer is None or not data.head_seq:
        return
    from kiosk.desk import NotAllowed, StorageError, integrity
    from kiosk.desk.closing import CloseRefused
    from kiosk.desk.views import HeadMark

    # The daily close is also the day's integrity step: a full verify against every anchor, a
    # backup (anchored), and the head printed on the paper appended to the anchor log.
    from kiosk.domain.text import shown_path

    try:
        closed = ctx.desk.close_day(day, officer, HeadMark(data.head_seq, data.head_hash))
    except NotAllowed as exc:
        fail(f"the daily close was printed, but not closed: {exc}")
    except (integrity.BackupError, CloseRefused, StorageError) as exc:
        fail(f"the daily close was printed, but {exc}; tell the supervisor (see README: Integrity)")
    echo(f"verified {closed.verified_events} events; backup {shown_path(closed.backup)}")
    echo(f"anchor {closed.anchor}")
    echo(f"closed by {closed.closed_by} (record {closed.seq})")


@report.command("ledger")
@click.option("--from", "start", required=True, help="First office date (YYYY-MM-DD).")
@click.option("--to", "end", required=True, help="Last office date (YYYY-MM-DD).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def report_ledger(ctx: CliContext, start: str, end: str, output: Path) -> None:
    """The ledger (管理簿) for a period: one line per event in words (sign-ins: `report access`)."""
    from kiosk.reports.ledger_book import ledger_book, write_ledger_book_csv, write_ledger_book_pdf

    _format(output)
    first, last = _day(start, "--from", ctx), _day(end, "--to", ctx)
    try:
        book = ledger_book(ctx.desk, first, last)
    except ValueError as exc:
        fail(str(exc))
    n = _write_paper(
        ctx,
        output,
        lambda tmp, office, font: write_ledger_book_pdf(book, tmp, office=office, font_file=font),
        lambda tmp: write_ledger_book_csv(book, tmp),
    )
    echo(f"wrote {n} events ({first} to {last}) to {output}")


@report.command("register")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def report_register(ctx: CliContext, output: Path) -> None:
    """The card register of the whole cabinet (カード台帳): one line per card, its state and dates."""
    from kiosk.reports.registers import (
        cabinet_register,
        write_cabinet_register_csv,
        write_cabinet_register_pdf,
    )

    _format(output)
    register = cabinet_register(ctx.desk)
    n = _write_paper(
        ctx,
        output,
        lambda tmp, office, font: write_cabinet_register_pdf(register, tmp, office=office, font_file=font),
        lambda tmp: write_cabinet_register_csv(register, tmp),
    )
    echo(f"wrote the card register ({n} cards) to {output}")


@report.command("access")
@click.option("--from", "start", required=True, help="First office date (YYYY-MM-DD).")
@click.option("--to", "end", required=True, help="Last office date (YYYY-MM-DD).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def report_access(ctx: CliContext, start: str, end: str, output: Path) -> None:
    """The access log (サインイン記録): sign-ins, failed sign-ins, lockouts and unlocks of a period."""
    from kiosk.reports.registers import access_log, write_access_log_csv, write_access_log_pdf

    _format(output)
    first, last = _day(start, "--from", ctx), _day(end, "--to", ctx)
    try:
        log = access_log(ctx.desk, first, last)
    except ValueError as exc:
        fail(str(exc))
    n = _write_paper(
        ctx,
        output,
        lambda tmp, office, font: write_access_log_pdf(log, tmp, office=office, font_file=font),
        lambda tmp: write_access_log_csv(log, tmp),
    )
    echo(f"wrote {n} sign-in records ({first} to {last}) to {output}")


@report.command("card")
@click.argument("management_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def report_card(ctx: CliContext, management_id: str, output: Path) -> None:
    """A card's own register (カード別履歴): its state and every event of its history."""
    from kiosk.domain.management_id import ManagementId, Refusal
    from kiosk.reports.fonts import FontMissing
    from kiosk.reports.papers import (
        PaperRefused,
        card_register,
        write_card_register_csv,
        write_card_register_pdf,
    )

    fmt = _format(output)
    try:
        mid = ManagementId.parse(management_id)
    except Refusal as exc:
        ctx.desk.record_refusal(exc.reason, attempted="report_card", source="cli")
        fail(str(exc))
    settings = ctx.settings
    try:
        register = card_register(ctx.desk, mid.value)
        if fmt == "pdf":
            write_card_register_pdf(
                register, output, office=settings.reports.office_name, font_file=settings.reports.font_file
            )
        else:
            write_card_register_csv(register, output)
    except (PaperRefused, FontMissing) as exc:
        fail(str(exc))
    echo(f"wrote the register of {mid} ({len(register.lines)} events) to {output}")


@report.command("reminders")
@click.option("--date", "on", default=None, help="Office date (YYYY-MM-DD; default today).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def report_reminders(ctx: CliContext, on: str | None, output: Path) -> None:
    """The 督促 list: cards due a reminder, as PDF or as CSV for a mail merge (差し込み印刷)."""
    from kiosk.domain.retention import RetentionPolicy
    from kiosk.reports.fonts import FontMissing
    from kiosk.reports.papers import reminder_list, write_reminder_csv, write_reminder_pdf

    fmt = _format(output)
    day = _day(on, "--date", ctx)
    settings = ctx.settings
    reminders = reminder_list(ctx.desk, RetentionPolicy.from_settings(settings.retention), day)
    try:
        if fmt == "pdf":
            n = write_reminder_pdf(
                reminders, output, office=settings.reports.office_name, font_file=settings.reports.font_file
            )
        else:
            n = write_reminder_csv(reminders, output)
    except FontMissing as exc:
        fail(str(exc))
    echo(f"wrote {n} card(s) due a reminder on {day} to {output}")


@report.command("disposal")
@click.argument("batch_id", type=int)
@click.option(
    "--certificate", is_flag=True, help="The 廃棄証明書 of a disposed batch (PDF) instead of the list."
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def report_disposal(ctx: CliContext, batch_id: int, certificate: bool, output: Path) -> None:
    """A disposal batch's list (廃棄リスト), or with --certificate its 廃棄証明書 (cards, method, people)."""
    from kiosk.reports.fonts import FontMissing
    from kiosk.reports.papers import (
        PaperRefused,
        disposal_paper,
        write_disposal_certificate_pdf,
        write_disposal_list_csv,
        write_disposal_list_pdf,
    )

    fmt = _format(output)
    if certificate and fmt != "pdf":
        fail(f"{output}: the certificate is written as .pdf")
    settings = ctx.settings
    office, font = settings.reports.office_name, settings.reports.font_file
    try:
        paper = disposal_paper(ctx.desk, batch_id)
        if certificate:
            n = write_disposal_certificate_pdf(
                paper, output, office=office, font_file=font, certifying_post=settings.reports.certifying_post
            )
        elif fmt == "pdf":
            n = write_disposal_list_pdf(paper, output, office=office, font_file=font)
        else:
            n = write_disposal_list_csv(paper, output)
    except (PaperRefused, FontMissing) as exc:
        fail(str(exc))
    what = "certificate" if certificate else "list"
    echo(f"wrote the disposal {what} of batch {batch_id} ({n} card(s)) to {output}")
