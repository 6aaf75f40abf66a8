"""What every command shares: the settings and the ledger, built on first use."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from kiosk.cli.output import echo, redacted

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.desk import Desk
    from kiosk.desk.views import Ledger


def fail(reason: str, code: int = 2) -> NoReturn:
    """Stop the command with a one-line reason on stderr and a non-zero exit.

    A reason that would repeat 12 or more digits (an argument echoed back) is replaced, never printed.
    """
    echo(f"kiosk: {redacted(reason)}", err=True)
    sys.exit(code)


@dataclass
class CliContext:
    """Global options, and the settings and ledger they lead to (loaded lazily)."""

    db_url: str | None = None
    config_file: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _ledger: Ledger | None = field(default=None, repr=False)
    _desk: Desk | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from kiosk.config import ConfigError, load_settings
            from kiosk.logs import setup_file_logging

            try:
                self._settings = load_settings(self.config_file, db_url=self.db_url)
            except ConfigError as exc:
                fail(str(exc))
            from kiosk.config import data_paths

            logs = data_paths(self._settings).logs
            try:
                setup_file_logging(logs)
            except OSError as exc:
                fail(f"cannot write logs to {logs}: {exc.strerror}")
        return self._settings

    def protected(self) -> list[Path]:
        """The files no `-o` may write (see kiosk.fs.check_output)."""
        from kiosk.config import data_paths

        return data_paths(self.settings).protected(self.settings.ledger.url)

    @property
    def ledger(self) -> Ledger:
        """The ledger, after the start-up check (a missing ledger or pepper is refused)."""
        return self.open()

    def open(self, *, create: bool = False, check: bool = True) -> Ledger:
        """Open the ledger once; only `kiosk init` passes create=True, `kiosk verify` check=False."""
        if self._ledger is None:
            from kiosk.desk.admin import open_ledger

            with ledger_errors(self.settings.ledger.url):
                self._ledger = open_ledger(self.settings, create=create, check=check)
        return self._ledger

    @property
    def desk(self) -> Desk:
        """The application core over the ledger: every command goes through it."""
        if self._desk is None:
            from kiosk.desk import Desk

            self._desk = Desk(self.ledger, self.settings)
        return self._desk


@contextmanager
def ledger_errors(url: str) -> Iterator[None]:
    """Turn a ledger that cannot be opened (bad URL, server down, unwritable path) into one line.

    The start-up check's refusal exits 3, every other failure 2 (`kiosk.desk.admin.opening`).
    """
    from kiosk.desk.admin import OpenRefused, opening

    try:
        with opening(url):
            yield
    except OpenRefused as exc:
        fail(exc.message, code=exc.code)


pass_cli = click.make_pass_decorator(CliContext)
