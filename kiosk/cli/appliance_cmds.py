"""`kiosk install` (the kiosk PC as an appliance), `kiosk close-reminder` (its daily close timer) and
`kiosk upgrade` (after installing a new version)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, ledger_errors, pass_cli
from kiosk.cli.output import echo

if TYPE_CHECKING:
    from kiosk.config import Settings


@contextlib.contextmanager
def _without_overrides() -> Iterator[None]:
    """The installed services see only /etc/kiosk/kiosk.toml: this shell's KIOSK_* settings must not
    decide where the data folders go."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("KIOSK_")}
    for key in saved:
        del os.environ[key]
    try:
        yield
    finally:
        os.environ.update(saved)


def _check_config(text: str, where: str) -> Settings:
    """The configuration to install, checked as the kiosk will read it; its [paths] must be absolute
    (relative ones would be taken from /etc/kiosk)."""
    from kiosk.config import ConfigError, load_settings

    try:
        paths = tomllib.loads(text).get("paths", {})
    except tomllib.TOMLDecodeError as exc:
        fail(f"{where}: not valid TOML ({exc})")
    relative = [key for key, value in paths.items() if isinstance(value, str) and not value.startswith("/")]
    if relative:
        fail(f"{where}: [paths] {', '.join(relative)}: give absolute paths (e.g. /var/lib/kiosk)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kiosk.toml"
        path.write_text(text, encoding="utf-8")
        try:
            with _without_overrides():
                return load_settings(path)
        except ConfigError as exc:
            fail(f"{where}: {str(exc).removeprefix(f'{path}: ')}")


def _kiosk_program(given: Path | None) -> Path:
    if given is not None:
        return given.absolute()
    beside = Path(sys.executable).with_name("kiosk")
    if beside.exists():
        return beside.absolute()
    found = shutil.which("kiosk")
    if found is None:
        fail("cannot find the kiosk program: name it with --kiosk-bin")
    return Path(found).absolute()


@cli.command("install")
@click.option(
    "--root",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("/"),
    show_default=True,
    help="Write the whole layout under this folder instead (review, tests).",
)
@click.option(
    "--uninstall",
    is_flag=True,
    help="Remove the installer's files; the configuration, ledger, pepper, anchors, logs and backups stay.",
)
@click.option(
    "--kiosk-bin",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The kiosk program the services run [default: this one].",
)
@click.option(
    "--config-from",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A prepared configuration to install as /etc/kiosk/kiosk.toml (when there is none yet).",
)
def install_cmd(root: Path, uninstall: bool, kiosk_bin: Path | None, config_from: Path | None) -> None:
    """Set this PC up as the kiosk (Debian 12, Ubuntu 24.04): the kiosk user, data folders, udev rules,
    the screen session, the supervisor's view and the backup and daily close timers.

    Idempotent: run it again after changing [paths] or [[devices]] in /etc/kiosk/kiosk.toml. An edited
    configuration is never overwritten.
    """
    from kiosk.appliance import install as installer
    from kiosk.appliance.layout import CONFIG, LayoutError, default_config_text, plan

    installed = installer.under(root, CONFIG)
    if installed.exists():
        text = installed.read_text(encoding="utf-8")
        where = f"{CONFIG} (fix it, then run kiosk install again)"
    elif config_from is not None:
        text = config_from.read_text(encoding="utf-8")
        where = str(config_from)
    else:
        text = default_config_text()
        where = "the example configuration"
    settings = _check_config(text, where)
    try:
        layout = plan(settings, text, _kiosk_program(kiosk_bin))
        steps = installer.uninstall(layout, root) if uninstall else installer.install(layout, root)
    except (LayoutError, installer.InstallError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write under {root}: {exc.strerror or exc} ({exc.filename})")
    for step in steps:
        echo(str(step))
    if not uninstall:
        missing = installer.missing_programs()
        if missing:
            echo(f"not installed here: {', '.join(missing)}: apt install {' '.join(installer.PACKAGES)}")
        if root.resolve() == Path("/"):
            echo("next: kiosk init (as the kiosk user), kiosk doctor, then reboot to start the kiosk screen")
    if not any(s.action in ("created", "updated", "removed", "ran") for s in steps):
        echo("nothing changed")


@cli.command("close-reminder")
@pass_cli
def close_reminder(ctx: CliContext) -> None:
    """Exit 1 with a warning when today's daily close (日次締め) has not been run (the installed timer)."""
    from kiosk.desk.installation import last_daily_close
    from kiosk.domain.card_state import OFFICE_TZ, office_date

    last = last_daily_close(ctx.desk)
    today = office_date(datetime.now(UTC))
    if last is not None and office_date(last) == today:
        echo(f"the daily close of {today} ran at {last.astimezone(OFFICE_TZ):%H:%M}")
        return
    since = f" (last: {office_date(last)})" if last is not None else " (never run on this ledger)"
    fail(
        f"the daily close (日次締め) of {today} has not been run{since}: a responsible officer closes"
        " the day at the kiosk (F8 事務メニュー → F6 日次締め)",
        code=1,
    )


@cli.command("upgrade")
@pass_cli
def upgrade_cmd(ctx: CliContext) -> None:
    """After installing a new version: verify, back up, migrate, verify again, record the upgrade.

    Stop the kiosk's services first. On PostgreSQL run it as the owner role (`--db OWNER_URL`): only
    the owner may change the schema. A failed migration leaves the ledger as it was and names the
    backup made before it (exit 1).
    """
    from kiosk.desk.installation import UpgradeFailed, upgrade_ledger
    from kiosk.domain.text import shown_path

    settings = ctx.settings
    with ledger_errors(settings.ledger.url):
        try:
            done = upgrade_ledger(settings)
        except UpgradeFailed as exc:
            if exc.backup is not None:
                # Its own line, the path through the one formatter of paths (no 12-digit run shown).
                echo(f"the backup made before the upgrade: {shown_path(exc.backup)}", err=True)
            fail(f"upgrade stopped at {exc}", code=3 if exc.step == "start-up check" else 1)
    if not done.migrated:
        echo(f"the ledger verifies ({done.events} events) and its schema is the newest ({done.to_revision})")
        return
    checked = "verified" if done.backup_verified else "written by pg_dump"
    echo(f"backup: {shown_path(done.backup)} ({checked})")
    echo(f"schema: {done.from_revision} -> {done.to_revision}; the ledger verifies ({done.events} events)")
    echo("recorded on the chain (ledger_upgraded); start the kiosk again and run kiosk doctor")
