"""`kiosk due`, `kiosk cards notice-sent|reminder-sent|hold|release`, `kiosk disposal …`.

Every command that writes asks who is doing it: `--badge` on the command line and the PIN on standard
input (one line per person, operator first), never in argv where `ps` would show it.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli
from kiosk.cli.ledger_cmds import cards
from kiosk.cli.output import clean, echo

if TYPE_CHECKING:
    from kiosk.domain.retention import DueCard, RetentionPolicy
    from kiosk.domain.staff import StaffMember
    from kiosk.ledger.retention_ops import DisposalBatch


def _read_pin(who: str) -> str:
    if sys.stdin.isatty():
        return str(click.prompt(f"PIN ({who})", hide_input=True, err=True))
    return sys.stdin.readline().strip()


def _sign_in(ctx: CliContext, badge: str, who: str = "operator") -> StaffMember:
    from kiosk.domain.staff import AuthError

    try:
        return ctx.ledger.authenticate(badge, _read_pin(who), device="cli")
    except AuthError as exc:
        fail(f"{who} sign-in refused: {exc}")


def _policy(ctx: CliContext) -> RetentionPolicy:
    from kiosk.domain.retention import RetentionPolicy

    return RetentionPolicy.from_settings(ctx.settings.retention)


def _date_option(value: str | None) -> date | None:
    from kiosk.domain.retention import parse_sent_date

    if value is None:
        return None
    try:
        return parse_sent_date(value)
    except ValueError as exc:
        fail(f"--date: {exc}")


# -- kiosk due ---------------------------------------------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="The lists as one JSON object.")
@click.option("--date", "on", default=None, help="Office date to compute for (YYYY-MM-DD; default today).")
@pass_cli
def due(ctx: CliContext, as_json: bool, on: str | None) -> None:
    """Work lists: reminders due (督促), eligible for cancellation (交付取りやめ), held, notice unknown.

    Nothing is changed: the kiosk never cancels or disposes on its own.
    """
    import json

    from kiosk.ledger.retention_ops import due_lists

    policy = _policy(ctx)
    lists = due_lists(ctx.ledger, policy, _date_option(on))
    if as_json:
        echo(json.dumps(lists.to_json(), ensure_ascii=False, indent=1))
        return
    echo(f"{lists.today}  policy {policy.preset.value}: {policy.describe()}")
    sections: list[tuple[str, tuple[DueCard, ...], str]] = [
        ("Reminders due (督促対象)", lists.reminders_due, "due since"),
        ("Eligible for cancellation and disposal (交付取りやめ・廃棄対象)", lists.eligible, "eligible since"),
        ("On hold (保留中)", lists.held, "held since"),
        ("Notice date unknown (交付通知書送付日 未登録)", lists.notice_unknown, ""),
    ]
    for title, rows, label in sections:
        echo(f"\n{title}: {len(rows)}")
        for row in rows:
            when = row.hold_since if row.hold_since else row.due_on
            extra = f"  {label} {when}" if label and when else ""
            reason = f"  {clean(row.hold_reason)}" if row.hold_reason else ""
            echo(f"  {row.management_id}  {row.kind:<17} {clean(row.location or '-'):<10}{extra}{reason}")
    echo(f"\nStill waiting (periods running): {lists.waiting}")


# -- kiosk cards notice-sent / reminder-sent / hold / release ---------------------------------


def _record_sent(
    ctx: CliContext, which: str, ids: tuple[str, ...], csv_file: Path | None, on: str | None, badge: str
) -> None:
    from kiosk.domain.retention import DatedListRejected, parse_dated_ids
    from kiosk.ledger.retention_ops import record_sent
    from kiosk.ledger.service import today

    if bool(ids) == bool(csv_file):
        fail("give management IDs or --file CSV (management_id,date), not both")
    if csv_file is not None:
        try:
            lines = csv_file.read_bytes().decode("utf-8-sig").splitlines()
        except UnicodeDecodeError:
            fail(f"{csv_file}: not UTF-8 text")
    else:
        lines = list(ids)
    default = _date_option(on)
    if default is None and csv_file is None:
        default = today(ctx.ledger.clock)
    where = str(csv_file) if csv_file else "argument"
    try:
        entries = parse_dated_ids(lines, default=default, today=today(ctx.ledger.clock))
    except DatedListRejected as exc:
        for problem in exc.problems:
            echo(f"{where} {problem}", err=True)
        fail(str(exc))
    actor = _sign_in(ctx, badge)
    try:
        states = record_sent(
            ctx.ledger, which, entries, actor_id=actor.id, source="csv" if csv_file else "cli"
        )
    except DatedListRejected as exc:
        for problem in exc.problems:
            echo(f"{where} {problem}", err=True)
        fail(str(exc))
    echo(f"recorded the {which} date of {len(states)} card(s)")


_ids_argument = click.argument("ids", nargs=-1)
_file_option = click.option(
    "--file",
    "csv_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV `management_id,date` (UTF-8, header optional); a missing date takes --date.",
)
_date_opt = click.option("--date", "on", default=None, help="Date sent (YYYY-MM-DD; default today).")
_badge_option = click.option("--badge", required=True, help="Your badge code (PIN on standard input).")


@cards.command("notice-sent")
@_ids_argument
@_file_option
@_date_opt
@_badge_option
@pass_cli
def cards_notice_sent(
    ctx: CliContext, ids: tuple[str, ...], csv_file: Path | None, on: str | None, badge: str
) -> None:
    """Record the day the issuance notice (交付通知書) was sent; all lines good or nothing is recorded."""
    _record_sent(ctx, "notice", ids, csv_file, on, badge)


@cards.command("reminder-sent")
@_ids_argument
@_file_option
@_date_opt
@_badge_option
@pass_cli
def cards_reminder_sent(
    ctx: CliContext, ids: tuple[str, ...], csv_file: Path | None, on: str | None, badge: str
) -> None:
    """Record the day the reminder (督促) was sent; all lines good or nothing is recorded."""
    _record_sent(ctx, "reminder", ids, csv_file, on, badge)


def _parse_id(ctx: CliContext, text: str, attempted: str) -> str:
    from kiosk.domain.management_id import ManagementId, Refusal

    try:
        return ManagementId.parse(text).value
    except Refusal as exc:
        ctx.ledger.record_refusal(exc.reason, attempted=attempted, source="cli")
        fail(str(exc))


@cards.command("hold")
@click.argument("management_id")
@click.option("--reason", required=True, help="Why the clock stops, e.g. 長期入院 (long hospital stay).")
@_badge_option
@pass_cli
def cards_hold(ctx: CliContext, management_id: str, reason: str, badge: str) -> None:
    """Put a card on hold (保留): its retention periods stop until it is released."""
    from kiosk.ledger.retention_ops import set_hold

    mid = _parse_id(ctx, management_id, "hold")
    actor = _sign_in(ctx, badge)
    try:
        set_hold(ctx.ledger, mid, reason, actor_id=actor.id)
    except ValueError as exc:
        fail(str(exc))
    echo(f"{mid} is on hold: {reason}")


@cards.command("release")
@click.argument("management_id")
@_badge_option
@pass_cli
def cards_release(ctx: CliContext, management_id: str, badge: str) -> None:
    """Release a card's hold; the days on hold are added to its periods."""
    from kiosk.ledger.retention_ops import release_hold

    mid = _parse_id(ctx, management_id, "release")
    actor = _sign_in(ctx, badge)
    try:
        release_hold(ctx.ledger, mid, actor_id=actor.id)
    except ValueError as exc:
        fail(str(exc))
    echo(f"{mid}: hold released")


# -- kiosk disposal ----------------------------------------------------------------------------


@cli.group()
def disposal() -> None:
    """Cancellation and disposal (交付取りやめ・廃棄): prepare → approve → scan → finish."""


def _show_batch(batch: DisposalBatch) -> None:
    def who(staff_id: int | None) -> str:
        return clean(batch.names.get(staff_id, "-")) if staff_id is not None else "-"

    echo(f"disposal batch {batch.id}: {batch.state}, {len(batch.cards)} card(s)")
    echo(f"  prepared {batch.prepared_at:%Y-%m-%d %H:%M} UTC by {who(batch.prepared_by)}")
    if batch.approved_at:
        echo(f"  approved {batch.approved_at:%Y-%m-%d %H:%M} UTC by {who(batch.approved_by)}")
    if batch.finished_at:
        echo(
            f"  disposed {batch.finished_at:%Y-%m-%d %H:%M} UTC by {who(batch.operator_id)}"
            f" and {who(batch.witness_id)}, method: {clean(batch.method)}"
        )
    scanned = set(batch.scanned)
    for mid in batch.cards:
        echo(f"  {mid}  {'scanned' if mid in scanned else 'in the safe'}")


def _disposal_error(exc: Exception) -> NoReturn:
    from kiosk.ledger.retention_ops import DisposalError

    if isinstance(exc, DisposalError):
        for problem in exc.problems:
            echo(f"refused: {problem}", err=True)
    fail(str(exc))


@disposal.command("prepare")
@click.argument("ids", nargs=-1)
@_badge_option
@pass_cli
def disposal_prepare(ctx: CliContext, ids: tuple[str, ...], badge: str) -> None:
    """Prepare a batch from IDS (default: every card eligible today); an ineligible card is refused."""
    from kiosk.ledger.retention_ops import DisposalError, prepare_disposal

    actor = _sign_in(ctx, badge)
    try:
        batch = prepare_disposal(ctx.ledger, _policy(ctx), actor, list(ids) or None)
    except DisposalError as exc:
        _disposal_error(exc)
    _show_batch(batch)


@disposal.command("approve")
@click.argument("batch_id", type=int)
@_badge_option
@pass_cli
def disposal_approve(ctx: CliContext, batch_id: int, badge: str) -> None:
    """A supervisor (責任者) approves the batch."""
    from kiosk.ledger.retention_ops import DisposalError, approve_disposal

    actor = _sign_in(ctx, badge, "supervisor")
    try:
        batch = approve_disposal(ctx.ledger, batch_id, actor)
    except DisposalError as exc:
        _disposal_error(exc)
    _show_batch(batch)


@disposal.command("scan")
@click.argument("batch_id", type=int)
@click.argument("ids", nargs=-1, required=True)
@_badge_option
@click.option("--witness", required=True, help="The second person's badge (their PIN on the next line).")
@pass_cli
def disposal_scan(ctx: CliContext, batch_id: int, ids: tuple[str, ...], badge: str, witness: str) -> None:
    """Scan cards out of the safe into an approved batch (two people); exit 1 if any was refused."""
    from kiosk.domain.staff import TwoPersonError
    from kiosk.ledger.retention_ops import scan_into_disposal

    operator = _sign_in(ctx, badge)
    second = _sign_in(ctx, witness, "witness")
    policy = _policy(ctx)
    refused = 0
    for text in ids:
        try:
            verdict = scan_into_disposal(
                ctx.ledger, policy, batch_id, text, operator, second, device="cli", source="keyboard"
            )
        except TwoPersonError as exc:
            fail(str(exc))
        label = verdict.card.management_id if verdict.card else "input"
        echo(f"{'OK ' if verdict.ok else 'NG '} {label}  {verdict.code}: {verdict.message}")
        refused += not verdict.ok
    if refused:
        raise SystemExit(1)


@disposal.command("finish")
@click.argument("batch_id", type=int)
@click.option("--method", required=True, help="How the cards were destroyed, e.g. 裁断 (shredded).")
@_badge_option
@click.option("--witness", required=True, help="The second person's badge (their PIN on the next line).")
@pass_cli
def disposal_finish(ctx: CliContext, batch_id: int, method: str, badge: str, witness: str) -> None:
    """Record the batch as disposed (廃棄) by two people with the method."""
    from kiosk.ledger.retention_ops import DisposalError, finish_disposal

    operator = _sign_in(ctx, badge)
    second = _sign_in(ctx, witness, "witness")
    try:
        batch = finish_disposal(ctx.ledger, batch_id, operator, second, method)
    except DisposalError as exc:
        _disposal_error(exc)
    _show_batch(batch)


@disposal.command("show")
@click.argument("batch_id", type=int, required=False)
@pass_cli
def disposal_show(ctx: CliContext, batch_id: int | None) -> None:
    """Show one batch, or list every batch."""
    from kiosk.ledger.retention_ops import get_batch, list_batches

    if batch_id is None:
        for batch in list_batches(ctx.ledger):
            echo(f"{batch.id:>8}  {batch.state:<9} {len(batch.cards)} card(s)")
        return
    found = get_batch(ctx.ledger, batch_id)
    if found is None:
        fail(f"there is no disposal batch {batch_id}")
    _show_batch(found)
