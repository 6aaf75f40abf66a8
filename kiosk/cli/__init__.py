"""The `kiosk` command line.

Each command group lives in its own module and registers itself on `cli`; heavy libraries (OpenCV,
Textual, reportlab) are imported inside the commands so that `kiosk --help` stays instant.
"""

from __future__ import annotations

import logging
import sys

import click

from kiosk.cli.context import CliContext, fail
from kiosk.cli.output import REDACTED, redacted


class KioskGroup(click.Group):
    """The command group; a refused input that no command caught ends as one line, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from kiosk.domain.management_id import Refusal

        try:
            return super().invoke(ctx)
        except Refusal as exc:
            # The message names the field and the reason, never the refused value.
            fail(f"refused: {exc}")
        except RuntimeError as exc:
            # The core's `StorageError` is looked up only if the core was loaded (it alone raises it):
            # importing it here would put SQLAlchemy in front of every command, the kiosk's start too.
            errors = sys.modules.get("kiosk.desk.errors")
            if errors is not None and isinstance(exc, errors.StorageError):
                # The ledger could not be read or written: its one-line reason, nothing of the unit kept.
                fail(exc.reason)
            raise
        except click.ClickException as exc:
            # Click's own messages repeat the argument ("'…' is not one of …"): never a 12-digit one.
            if redacted(exc.format_message()) is REDACTED:
                where = ""
                if isinstance(exc, click.BadParameter) and exc.param is not None and exc.ctx is not None:
                    where = f"{exc.param.get_error_hint(exc.ctx)}: "
                raise click.UsageError(where + REDACTED, ctx=getattr(exc, "ctx", None)) from None
            raise


@click.group(cls=KioskGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_url",
    envvar="KIOSK_DB_URL",
    default=None,
    help="Ledger database URL (overrides the configuration; env KIOSK_DB_URL).",
)
@click.option(
    "--config",
    "config_file",
    envvar="KIOSK_CONFIG_FILE",
    default=None,
    help="Configuration TOML file (env KIOSK_CONFIG_FILE; default config/kiosk.toml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages to stderr.")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, config_file: str | None, verbose: bool) -> None:
    """Card-safe kiosk: the ledger (管理簿) and scanning station for the My Number card safe."""
    # stderr shows warnings (or everything with -v); the log file (see kiosk.logs) keeps INFO.
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(console)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # Alembic narrates every start-up migration check; only its warnings matter.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    ctx.obj = CliContext(db_url=db_url, config_file=config_file)


def _register() -> None:
    # One line per command module; each module defines its commands on `cli` when imported.
    import kiosk.cli.alerts_cmds  # kiosk alerts list|run-once|run
    import kiosk.cli.app_cmds  # kiosk run, kiosk demo
    import kiosk.cli.appliance_cmds  # kiosk install, kiosk close-reminder
    import kiosk.cli.bench_cmds  # kiosk bench
    import kiosk.cli.decode
    import kiosk.cli.doctor  # kiosk doctor
    import kiosk.cli.due_cmds
    import kiosk.cli.join_cmds  # kiosk export-pepper, kiosk join
    import kiosk.cli.labels_cmds
    import kiosk.cli.ledger_cmds
    import kiosk.cli.listen
    import kiosk.cli.report_cmds
    import kiosk.cli.sim_cmds  # kiosk sim run
    import kiosk.cli.staff_cmds
    import kiosk.cli.stocktake_cmds
    import kiosk.cli.supervise_cmds  # noqa: F401  # kiosk supervise


def main() -> None:
    """Entry point of the `kiosk` console script."""
    _register()
    try:
        cli.main(prog_name="kiosk", standalone_mode=True)
    except KeyboardInterrupt:
        fail("interrupted")
