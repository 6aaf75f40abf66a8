"""Several kiosks, one ledger: `kiosk export-pepper` on the first kiosk, `kiosk join` on the next."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, ledger_errors, pass_cli
from kiosk.cli.output import echo

WARNING = (
    "warning: this file is the secret behind every PIN on the ledger: with it and a copy of the ledger"
    " anyone can try PINs offline. Carry it to the next kiosk on a medium you keep (never by e-mail or a"
    " shared folder), run `kiosk join --pepper-file FILE` there, then delete this copy."
)


@cli.command("export-pepper")
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write (0600).")  # fmt: skip
@pass_cli
def export_pepper_cmd(ctx: CliContext, output: Path) -> None:
    """Write this ledger's PIN pepper to a file for `kiosk join` on a second kiosk.

    Only after the ledger confirmed the pepper is its own (the start-up check). The file is 0600; it is
    a copy of the pepper, as secret as the pepper itself.
    """
    from kiosk.desk.installation import export_pepper
    from kiosk.fs import OutputRefused, safe_output

    settings = ctx.settings
    with ledger_errors(settings.ledger.url):
        pepper = export_pepper(settings)
    try:
        with safe_output(output, ctx.protected()) as fh:
            fh.write(pepper)
    except OutputRefused as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    echo(f"wrote this ledger's pepper to {output} (0600)")
    echo(WARNING, err=True)


@cli.command("join")
@click.option(
    "--pepper-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The pepper the first kiosk exported (kiosk export-pepper).",
)
@click.option(
    "--replace",
    is_flag=True,
    help="This PC takes the place of a kiosk of the same [kiosk] name already on the ledger.",
)
@pass_cli
def join_cmd(ctx: CliContext, pepper_file: Path, replace: bool) -> None:  # fmt: skip
    """Add this kiosk to the shared PostgreSQL ledger its configuration names.

    Checks, in order, and refuses with what to do at the first that fails: the database holds a kiosk
    ledger, the role is the application role (no superuser, not the tables' owner, the grants `kiosk
    init --app-role` gives), the pepper file's check value is the ledger's, no other kiosk records
    under this kiosk's name. Then it writes the pepper where `[paths] pepper` says (0600) and opens
    the ledger as `kiosk run` will (the start-up check).
    """
    from kiosk.desk.installation import JoinRefused, join

    try:
        joined = join(ctx.settings, pepper_file, replace=replace)
    except JoinRefused as exc:
        fail(f"join refused at {exc}")
    echo(f"joined {joined.where} as kiosk {joined.kiosk!r} (role {joined.role})")
    state = "written" if joined.pepper_written else "already there"
    echo(f"pepper: {joined.pepper} ({state}; 0600): delete the exported copy now")
    echo(f"head: {joined.head_seq} {joined.head_hash}")
