"""`kiosk run` (the kiosk on its configured devices) and `kiosk demo` (on the simulator)."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.tui.app import KioskApp

# The demo and training ledgers live in their own folders of the data directory (their own ledger,
# pepper, anchors and checkpoint), so they never meet the real ledger's anchors.
DEMO_DIR = "demo"
TRAINING_DIR = "training"


def demo_settings(settings: Settings, *, training: bool = False) -> Settings:
    """`settings` moved to the demo's (or training's) own folder of the data directory: its ledger,
    pepper, anchors and checkpoint never meet the real ledger's; and alerts off (the demo's made-up
    events, or its ledger refused, never reach the real supervisor's mailbox)."""
    from kiosk.config import AlertSettings, PathSettings, data_paths

    folder = data_paths(settings).root / (TRAINING_DIR if training else DEMO_DIR)
    url = f"sqlite:///{folder / 'ledger.sqlite3'}"
    return settings.model_copy(
        update={
            "ledger": settings.ledger.model_copy(update={"url": url}),
            # USB sticks and the configured import folders stay, and the demo's own one joins them.
            "paths": PathSettings(data_dir=folder, imports=[*settings.paths.imports, folder / "imports"]),
            "alerts": AlertSettings(),
        }
    )


def demo_run_settings(settings: Settings, *, training: bool, own_ledger: bool = True) -> Settings:
    """The settings `kiosk demo` (and training mode) runs with: its own ledger folder (unless --db names
    one), training as asked, and alerts off: made-up events never reach the real supervisor's mailbox."""
    from kiosk.config import AlertSettings

    if own_ledger:
        settings = demo_settings(settings, training=training)
    return settings.model_copy(
        update={
            "kiosk": settings.kiosk.model_copy(update={"training": training or settings.kiosk.training}),
            "alerts": AlertSettings(),
        }
    )


def _quiet_stderr_logging() -> None:
    # Log lines written to the terminal would tear the full-screen UI; the log file keeps them.
    root = logging.getLogger()
    for handler in list(root.handlers):
        console = isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler)
        if console and getattr(handler, "stream", None) in (sys.stderr, sys.stdout):
            root.removeHandler(handler)


@cli.command()
@pass_cli
def run(ctx: CliContext) -> None:
    """Run the kiosk on the configured devices (training mode in the settings runs the demo rig)."""
    settings = ctx.settings
    if settings.kiosk.training:
        _run_demo(ctx, training=True)
        return
    from kiosk.app_factory import make_app
    from kiosk.config import ConfigError

    try:
        # The ledger is opened and checked by the app, behind its first screen (a refusal shows there).
        app = make_app(settings)
    except (KeyError, ConfigError, TypeError) as exc:
        fail(f"cannot set up the devices: {exc}")
    _run_app(app)


@cli.command()
@click.option("--training", is_flag=True, help="Training mode (研修モード): a separate, marked ledger.")
@pass_cli
def demo(ctx: CliContext, training: bool) -> None:
    """The kiosk on the simulator with a seeded demo ledger (demo/ in the data directory)."""
    _run_demo(ctx, training=training)


def _run_demo(ctx: CliContext, *, training: bool) -> None:
    from kiosk.app_factory import make_demo_app

    settings = demo_run_settings(ctx.settings, training=training, own_ledger=not ctx.db_url)
    delivery = None
    if not ctx.db_url:
        from kiosk.config import data_paths

        delivery = data_paths(settings).root / "imports"
    _run_app(make_demo_app(settings, delivery_folder=delivery))


def _run_app(app: KioskApp) -> None:
    """Run the kiosk until it is closed; then release what its start opened, and end as the command
    always has when the ledger was refused: its one line on stderr, exit 3 (or 2: cannot be opened)."""
    _quiet_stderr_logging()
    try:
        app.run()
    finally:
        opened = app.opened
        if opened is not None:
            if opened.demo is not None:
                opened.demo.close()
            from kiosk.desk import admin

            admin.dispose(opened.ledger)
    if app.refusal is not None:
        fail(app.refusal, code=app.refusal_code or 2)
