"""`kiosk due`, `kiosk cards notice-sent|reminder-sent|hold|release|applicant-set`, `kiosk disposal …`.

Every command that writes names its people: `--operator BADGE` (and `--witness` / `--supervisor` where
a second person is needed); the PINs come on standard input, one line each in that order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli
from kiosk.cli.ledger_cmds import cards
from kiosk.cli.output import clean, echo
from kiosk.cli.params import RECORD_ID
from kiosk.cli.people import sign_in

T = TypeVar("T")

if TYPE_CHECKING:
    from kiosk.desk.views import DisposalBatch
    from kiosk.domain.retention import DueCard, RetentionPolicy
    from kiosk.domain.staff import StaffMember


def _sign_in(ctx: CliContext, badge: str, who: str = "operator") -> StaffMember:
    return sign_in(ctx, (who, badge))[0]


def _core(work: Callable[[], T]) -> T:
    """Run one command of the core; its refusals and storage failures become one line."""
    from kiosk.desk import StorageError
    from kiosk.desk.views import DisposalError
    from kiosk.domain.management_id import Refusal

    try:
        return work()
    except DisposalError as exc:
        _disposal_error(exc)
    except (ValueError, Refusal) as exc:
        fail(str(exc))
    except StorageError as exc:
        fail(exc.reason)


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

    policy = _policy(ctx)
    lists = _core(lambda: ctx.desk.due_lists(_date_option(on)))
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
    from kiosk.desk import StorageError
    from kiosk.domain.retention import DatedListRejected, parse_dated_ids

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
        default = ctx.desk.today()
    where = str(csv_file) if csv_file else "argument"
    try:
        entries = parse_dated_ids(lines, default=default, today=ctx.desk.today())
    except DatedListRejected as exc:
        for problem in exc.problems:
            echo(f"{where} {problem}", err=True)
        fail(str(exc))
    actor = _sign_in(ctx, badge)
    try:
        states = ctx.desk.record_sent(which, entries, actor, source="csv" if csv_file else "cli")
    except StorageError as exc:
        fail(exc.reason)
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
_badge_option = click.option(
    "--operator", "badge", required=True, metavar="BADGE", help="Your badge code (PIN: first line of stdin)."
)


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
        ctx.desk.record_refusal(exc.reason, attempted=attempted, source="cli")
        fail(str(exc))


@cards.command("hold")
@click.argument("management_id")
@click.option("--reason", required=True, help="Why the clock stops, e.g. 長期入院 (long hospital stay).")
@_badge_option
@pass_cli
def cards_hold(ctx: CliContext, management_id: str, reason: str, badge: str) -> None:
    """Put a card on hold (保留): its retention periods stop until it is released."""

    mid = _parse_id(ctx, management_id, "hold")
    actor = _sign_in(ctx, badge)
    state = _core(lambda: ctx.desk.hold(mid, reason, actor))
    echo(f"{mid} is on hold: {clean(state.hold_reason or '')}")


@cards.command("release")
@click.argument("management_id")
@_badge_option
@pass_cli
def cards_release(ctx: CliContext, management_id: str, badge: str) -> None:
    """Release a card's hold; the days on hold are added to its periods."""
    mid = _parse_id(ctx, management_id, "release")
    actor = _sign_in(ctx, badge)
    _core(lambda: ctx.desk.release(mid, actor))
    echo(f"{mid}: hold released")


@cards.command("applicant-set")
@click.argument("management_id")
@click.argument("reference")
@click.option(
    "--correct", "reason", default=None, help="Why a reference already set is corrected (recorded with it)."
)
@_badge_option
@pass_cli
def cards_applicant_set(
    ctx: CliContext, management_id: str, reference: str, reason: str | None, badge: str
) -> None:
    """Set a card's applicant reference (申請者参照: opaque, never the individual number), or correct it."""
    mid = _parse_id(ctx, management_id, "applicant_set")
    actor = _sign_in(ctx, badge)
    state = _core(lambda: ctx.desk.set_applicant(mid, reference, actor, correction_reason=reason))
    echo(f"{mid}: applicant reference {'corrected' if reason else 'set'}: {clean(state.applicant_ref or '')}")


# -- kiosk disposal ----------------------------------------------------------------------------


@cli.group()
def disposal() -> None:
    """Cancellation and disposal (交付取りやめ・廃棄): prepare → approve → scan → finish."""


def _show_batch(batch: DisposalBatch) -> None:
    from kiosk.domain.card_state import OFFICE_TZ

    def who(staff_id: int | None) -> str:
        return clean(batch.names.get(staff_id, "-")) if staff_id is not None else "-"

    def at(when: datetime) -> str:
        # The office's own time, as on the certificate and every screen (not UTC).
        return f"{when.astimezone(OFFICE_TZ):%Y-%m-%d %H:%M} JST"

    echo(f"disposal batch {batch.id}: {batch.state}, {len(batch.cards)} card(s)")
    echo(f"  prepared {at(batch.prepared_at)} by {who(batch.prepared_by)}")
    if batch.approved_at:
        echo(f"  approved {at(batch.approved_at)} by {who(batch.approved_by)}")
    if batch.finished_at:
        echo(
            f"  disposed {at(batch.finished_at)} by {who(batch.operator_id)}"
            f" and {who(batch.witness_id)}, method: {clean(batch.method)}"
        )
    if batch.certificate is not None:
        echo(f"  certificate: {batch.certificate.ja}")
    scanned = set(batch.scanned)
    for mid in batch.cards:
        echo(f"  {mid}  {'scanned' if mid in scanned else 'in the safe'}")


def _batch_number(value: int) -> int:
    # Range-checked before anything echoes it: a 12-digit "batch number" is refused without the value.
    if not 1 <= value <= 999_999:
        fail("a disposal batch number is between 1 and 999999")
    return value


def _disposal_error(exc: Exception) -> NoReturn:
    from kiosk.desk.views import DisposalError

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
    actor = _sign_in(ctx, badge)
    batch = _core(lambda: ctx.desk.disposal_prepare(actor, list(ids) or None))
    _show_batch(batch)


@disposal.command("approve")
@click.argument("batch_id", type=RECORD_ID)
@click.option(
    "--supervisor", "badge", required=True, metavar="BADGE", help="The approving supervisor (PIN on stdin)."
)
@pass_cli
def disposal_approve(ctx: CliContext, batch_id: int, badge: str) -> None:
    """A supervisor (責任者) who did not prepare the batch approves it."""
    batch_id = _batch_number(batch_id)
    actor = _sign_in(ctx, badge, "supervisor")
    batch = _core(lambda: ctx.desk.disposal_approve(batch_id, actor))
    _show_batch(batch)


@disposal.command("scan")
@click.argument("batch_id", type=RECORD_ID)
@click.argument("ids", nargs=-1, required=True)
@_badge_option
@click.option("--witness", required=True, metavar="BADGE", help="The second person's badge (PIN: next line).")
@pass_cli
def disposal_scan(ctx: CliContext, batch_id: int, ids: tuple[str, ...], badge: str, witness: str) -> None:
    """Scan cards out of the safe into an approved batch; exit 1 if any was refused.

    Only while the safe is open at this kiosk (a safe session), by one of that session's people, with a
    second person.
    """
    batch_id = _batch_number(batch_id)
    operator, second = sign_in(ctx, ("operator", badge), ("witness", witness))
    session = _core(ctx.desk.current_session)
    refused = 0
    for text in ids:
        verdict = _core(
            lambda text=text: ctx.desk.disposal_scan(  # type: ignore[misc]
                batch_id,
                text,
                operator,
                second,
                session_id=session.id if session else None,
                device="cli",
                source="manual",
            )
        )
        if verdict.code == "not_allowed":
            fail(verdict.message)  # who is acting is wrong, not the card: nothing more to try
        label = verdict.card.management_id if verdict.card else "input"
        echo(f"{'OK ' if verdict.ok else 'NG '} {label}  {verdict.code}: {verdict.message}")
        refused += not verdict.ok
    if refused:
        raise SystemExit(1)


@disposal.command("finish")
@click.argument("batch_id", type=RECORD_ID)
@click.option("--method", required=True, help="How the cards were destroyed, e.g. 裁断 (shredded).")
@_badge_option
@click.option("--witness", required=True, metavar="BADGE", help="The second person's badge (PIN: next line).")
@pass_cli
def disposal_finish(ctx: CliContext, batch_id: int, method: str, badge: str, witness: str) -> None:
    """Record the batch as disposed (廃棄) by two people with the method."""
    batch_id = _batch_number(batch_id)
    operator, second = sign_in(ctx, ("operator", badge), ("witness", witness))
    batch = _core(lambda: ctx.desk.disposal_finish(batch_id, operator, second, method))
    _show_batch(batch)


@disposal.command("show")
@click.argument("batch_id", type=RECORD_ID, required=False)
@pass_cli
def disposal_show(ctx: CliContext, batch_id: int | None) -> None:
    """Show one batch, or list every batch."""
    if batch_id is None:
        for batch in ctx.desk.disposal_batches():
            echo(f"{batch.id:>8}  {batch.state:<9} {len(batch.cards)} card(s)")
        return
    found = ctx.desk.disposal_batch(batch_id)
    if found is None:
        fail(f"there is no disposal batch {batch_id}")
    _show_batch(found)
