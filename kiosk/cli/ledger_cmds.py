"""`kiosk init`, `kiosk verify`, `kiosk anchor`, `kiosk backup`, `kiosk restore`, `kiosk restores`,
`kiosk ledger export`, `kiosk cards receive`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, ledger_errors, pass_cli
from kiosk.cli.output import clean, echo
from kiosk.cli.params import COUNT
from kiosk.cli.people import operator_option, witness_option
from kiosk.domain.text import shown_path


@cli.command()
@click.option("--admin-name", default=None, help="Name of the first administrator (a new ledger only).")
@click.option("--admin-badge", default=None, help="Badge of the first administrator.")
@click.option("--admin-employee-no", default=None, help="職員番号 of the first administrator.")
@click.option(
    "--app-role",
    metavar="ROLE",
    help="PostgreSQL: grant the kiosk's application role only what it needs (run as the owner role).",
)
@pass_cli
def init(
    ctx: CliContext,
    admin_name: str | None,
    admin_badge: str | None,
    admin_employee_no: str | None,
    app_role: str | None,
) -> None:
    """Create or upgrade the ledger and the PIN pepper; on a ledger without staff, the first administrator.

    The only command that creates a ledger or a pepper. The first administrator's PIN is read from
    standard input. Every later account is added by an administrator with a witness
    (`kiosk staff add --operator … --witness …`).
    """
    from kiosk.cli.people import read_secret
    from kiosk.desk import StorageError, admin
    from kiosk.domain.management_id import Refusal
    from kiosk.domain.staff import validate_pin

    ledger = ctx.open(create=True)
    if app_role:
        with ledger_errors(ctx.settings.ledger.url):
            admin.grant_app_role(ledger, app_role)
        echo(f"granted the application role {app_role}")
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
            first = ctx.desk.init_administrator(
                name=admin_name, badge=admin_badge, employee_no=admin_employee_no, pin=pin
            )
        except (ValueError, Refusal) as exc:
            fail(str(exc))
        except StorageError as exc:
            fail(exc.reason)
        echo(f"first administrator: {clean(first.display)} badge {first.badge}")
    elif ctx.desk.staff_count(active_only=False) == 0:
        echo("no staff yet: run kiosk init --admin-name … --admin-badge … --admin-employee-no …", err=True)
    head = ctx.desk.head()
    echo(f"ledger ready: {admin.location(ledger)}")
    echo(f"head: {head.seq} {head.hash}")


@cli.command()
@click.option(
    "--anchor", "anchor_texts", multiple=True, metavar="SEQ:HASH", help="A head the chain must hold."
)
@click.option(
    "--anchors",
    "anchor_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of anchors (SEQ:HASH lines, or an anchor log).",
)
@pass_cli
def verify(ctx: CliContext, anchor_texts: tuple[str, ...], anchor_file: Path | None) -> None:
    """Recompute the chain and rebuild every table from the events; check every anchor.

    Exit 1 naming the first bad sequence number or the first disagreeing table, key and field.
    """
    from kiosk.desk import integrity

    ledger = ctx.open(check=False)
    url = ctx.settings.ledger.url
    with ledger_errors(url):
        try:
            marks = integrity.verify_marks(ledger, ctx.settings, anchor_texts, anchor_file)
        except integrity.AnchorError as exc:
            fail(str(exc))
    with ledger_errors(url):
        report = integrity.verify(ledger, marks)
    if report.ok:
        integrity.checkpoint(ledger, ctx.settings, marks, report)
        held = f", {len(marks.given)} given anchor(s) held" if marks.given else ""
        echo(
            f"ok: {report.events} events, {report.cards} cards, head {report.head_seq} {report.head_hash}"
            f"{held}"
        )
        return
    if report.first_bad_seq:
        echo(f"BROKEN at seq {report.first_bad_seq}: {report.problem}", err=True)
    else:
        echo(f"BROKEN: {report.problem}", err=True)
    raise SystemExit(1)


@cli.command()
@pass_cli
def anchor(ctx: CliContext) -> None:
    """Verify the whole ledger, then append its head to the anchor log and print it (for the file)."""
    from kiosk.desk import integrity

    try:
        mark = integrity.anchor(ctx.ledger, ctx.settings)
    except integrity.BackupError as exc:
        fail(str(exc))
    echo(f"anchor {mark.text}")


@cli.command()
@click.argument("dest", required=False, type=click.Path(path_type=Path))
@pass_cli
def backup(ctx: CliContext, dest: Path | None) -> None:
    """Back up the ledger (SQLite online backup, verified; PostgreSQL via pg_dump) and anchor its head."""
    from kiosk.desk import integrity
    from kiosk.fs import OutputRefused

    try:
        result = integrity.backup(ctx.ledger, ctx.settings, dest)
    except (integrity.BackupError, OutputRefused) as exc:
        fail(str(exc))
    checked = "verified" if result.verified else "written by pg_dump (restore it to verify it)"
    echo(f"backup {shown_path(result.path)} {checked}; anchor {result.anchor.text}")
    for old in result.removed:
        echo(f"removed the old backup {shown_path(old)}")


@cli.command()
@click.argument("source", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--in-place",
    is_flag=True,
    help="PostgreSQL: the owner restored the database with pg_restore (README); verify and record it.",
)
@click.option(
    "--operator", metavar="BADGE", help="The responsible officer confirming (PIN: first stdin line)."
)
@click.option("--supervisor", metavar="BADGE", help="The supervisor confirming (PIN: second stdin line).")
@click.option(
    "--kiosk-folder",
    "folders",
    multiple=True,
    metavar="NAME=DIR",
    help="--in-place: a copy of kiosk PC NAME's anchors folder (every kiosk stopped); once per other PC.",
)
@click.option(
    "--kiosk-lost",
    "lost",
    multiple=True,
    metavar="NAME",
    help="--in-place: kiosk PC NAME's anchors folder is lost (recorded on the chain).",
)
@pass_cli
def restore(
    ctx: CliContext,
    source: Path | None,
    in_place: bool,
    operator: str | None,
    supervisor: str | None,
    folders: tuple[str, ...],
    lost: tuple[str, ...],
) -> None:
    """Put a verified backup in place of the ledger; a copy behind the last anchor needs two people.

    On PostgreSQL the owner restores the dump with pg_restore; `kiosk restore --in-place` then verifies
    the database in full and records the restore on its chain, so the kiosk starts again. When it drops
    events, the other kiosk PCs' anchors folders are read too (--kiosk-folder), so that staff changes
    made there are kept and every PC's newest head counts.
    """
    from kiosk.desk import integrity

    settings = ctx.settings
    if in_place == (source is not None):
        fail("give the backup file to restore (SQLite), or --in-place after pg_restore (PostgreSQL)")
    if (folders or lost) and not in_place:
        fail("--kiosk-folder and --kiosk-lost are for --in-place (PostgreSQL: several kiosk PCs)")
    pairs: list[tuple[str, Path]] = []
    for given in folders:
        name, sep, folder = given.partition("=")
        if not sep or not name.strip() or not folder.strip():
            fail(f"--kiosk-folder {given!r}: give NAME=DIR (the kiosk's name, a copy of its anchors folder)")
        pairs.append((name.strip(), Path(folder.strip())))
    # The start-up check refuses a restored PostgreSQL ledger until its restore is recorded.
    live = ctx.open(check=False) if source is None else None
    try:
        if live is not None:
            with ledger_errors(settings.ledger.url):
                plan = integrity.plan_in_place(live, settings, pairs, [n.strip() for n in lost])
        else:
            assert source is not None
            plan = integrity.plan_restore(settings, source)
    except (integrity.BackupError, integrity.AnchorError, integrity.IntegrityRefused) as exc:
        fail(str(exc))
    if plan.behind and not (operator and supervisor):
        fail(integrity.needs_two(plan))
    pins = sys.stdin.read().splitlines() if operator and supervisor else []
    people = (
        integrity.restore_confirmation(operator or "", supervisor or "", pins)
        if operator and supervisor
        else None
    )
    if live is not None:
        try:
            with ledger_errors(settings.ledger.url):
                mark = integrity.restore_in_place(live, settings, plan, confirm=people)
        except integrity.BackupError as exc:
            fail(str(exc))
        echo(f"recorded the restore (head {plan.head_seq}) as event {mark.seq}; anchor {mark.text}")
        for other in plan.others:
            echo(f"read the anchors folder of {other.kiosk}: it starts again on the restored chain")
        for name in plan.lost:
            echo(f"recorded on the chain: the anchors folder of {name} is lost")
        return
    assert source is not None
    try:
        kept, mark = integrity.restore(settings, plan, confirm=people)
    except integrity.BackupError as exc:
        fail(str(exc))
    if kept is not None:
        echo(f"the replaced ledger is kept as {shown_path(kept)}")
    echo(
        f"restored {shown_path(source)} (head {plan.head_seq}); the restore is event {mark.seq}; "
        f"anchor {mark.text}"
    )


@cli.command()
@click.option(
    "--acknowledge",
    "seq",
    type=int,
    metavar="SEQ",
    help="Acknowledge the restore recorded at SEQ (its alert ends); needs --supervisor.",
)
@click.option("--supervisor", metavar="BADGE", help="The supervisor acknowledging (PIN: stdin).")
@pass_cli
def restores(ctx: CliContext, seq: int | None, supervisor: str | None) -> None:
    """Restores of the ledger no supervisor has acknowledged yet (an alert on the daily close until then).

    With --acknowledge SEQ --supervisor BADGE a supervisor ends the alert of one of them.
    """
    from kiosk.cli.people import sign_in
    from kiosk.desk import NotAllowed, StorageError

    if seq is not None:
        if not supervisor:
            fail("--acknowledge needs --supervisor BADGE (PIN on stdin)")
        (boss,) = sign_in(ctx, ("supervisor", supervisor))
        try:
            done = ctx.desk.acknowledge_restore(boss, seq)
        except (NotAllowed, ValueError) as exc:
            fail(str(exc))
        except StorageError as exc:
            fail(exc.reason)
        echo(f"restore {seq} acknowledged by {clean(boss.display)} (event {done})")
        return
    pending = ctx.desk.unacknowledged_restores()
    if not pending:
        echo("no restore awaits a supervisor's acknowledgement")
        return
    for r in pending:
        lost = (
            f"dropped seq {r.dropped_first_seq}-{r.dropped_last_seq}"
            if r.dropped_first_seq is not None
            else "dropped nothing"
        )
        people = " / ".join(clean(n) for n in (r.officer, r.supervisor) if n) or "nobody confirmed"
        echo(
            f"{r.seq:>8}  {r.at:%Y-%m-%d %H:%M}  restored to seq {r.restored_head_seq}  {lost}  "
            f"confirmed by {people}  from {clean(shown_path(r.source))}"
        )


@cli.group()
def ledger() -> None:
    """The ledger (管理簿) as a whole."""


@ledger.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def ledger_export(ctx: CliContext, fmt: str, output: Path) -> None:
    """Export every event (CSV in UTF-8 with BOM, for Japanese Excel)."""
    from kiosk.fs import OutputRefused, safe_output_path
    from kiosk.reports.ledger_csv import export_events_csv

    try:
        with safe_output_path(output, ctx.protected()) as tmp:
            count = export_events_csv(ctx.desk, tmp)
    except OutputRefused as exc:
        fail(str(exc))
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
    """Receive a delivery (受領): an officer and a witness; CSV `management_id,kind` or `管理ID,種別`
    (UTF-8 with or without BOM, or CP932); every line valid and new, or nothing written."""
    from kiosk.cli.people import sign_in
    from kiosk.desk import StorageError
    from kiosk.domain.delivery import DeliveryRejected, decode_delivery, parse_delivery
    from kiosk.domain.guard import ensure_not_individual_number
    from kiosk.domain.management_id import Refusal

    try:
        ensure_not_individual_number(batch, "--batch")
    except Refusal as exc:
        fail(str(exc))
    officer, second = sign_in(ctx, ("operator", operator), ("witness", witness))
    try:
        lines = parse_delivery(decode_delivery(csv_file.read_bytes()), expect=expect)
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
        ctx.desk.record_refusal(exc.reason, attempted="cards_show", source="cli")
        fail(str(exc))
    card = ctx.desk.card(mid.value)
    if card is None:
        fail(f"{mid} is not in the ledger")
    echo(f"{card.management_id}  {card.kind}  {card.status.value}  location={clean(card.location or '-')}")
    for entry in ctx.desk.history(mid.value):
        ev = entry.event
        at = ev.at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M:%S")
        people = " / ".join(n for n in (entry.actor_name, entry.witness_name) if n)
        echo(f"{ev.seq:>8}  {at}  {ev.kind:<18} {clean(people)}  {clean(ev.payload)}")
