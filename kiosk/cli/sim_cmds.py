"""`kiosk sim run SCENARIO`: a scenario played headless on the simulator; non-zero when a verdict differs."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli
from kiosk.cli.output import echo

if TYPE_CHECKING:
    from kiosk.config import Settings


@cli.group()
def sim() -> None:
    """Scenarios on the simulator, without a screen (for CI)."""


@sim.command("list")
def sim_list() -> None:
    """The built-in scenarios (simulator/scenarios/*.toml)."""
    from simulator.scenario import builtin_scenarios, load_scenario

    for name in builtin_scenarios():
        echo(f"{name:<24} {load_scenario(name).description}")


@sim.command("run")
@click.argument("scenario")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per verdict, then a summary object.")
@click.option("--quiet", is_flag=True, help="Only the summary.")
@click.option("--db", "db_url", default=None, help="Ledger database URL (same as the global --db).")
@click.option(
    "--config", "config_file", default=None, help="Configuration file (same as the global --config)."
)
@click.option(
    "--fresh",
    is_flag=True,
    help="Play on a new, empty throw-away ledger (a temporary folder, removed afterwards).",
)
@pass_cli
def sim_run(
    ctx: CliContext,
    scenario: str,
    as_json: bool,
    quiet: bool,
    db_url: str | None,
    config_file: str | None,
    fresh: bool,
) -> None:
    """Run SCENARIO (a built-in name or a TOML file) against the configured ledger and settings.

    Simulated devices feed the real drivers; each scan's verdict comes from the same services as the
    kiosk screen and is printed after it was committed. An empty ledger gets the demo office; an open
    safe session or stocktake is resumed. Exit 0 when every verdict is as the scenario expects, 1 when
    one differs (or a green verdict has no event in the ledger), 2 when the scenario cannot run.
    """
    from kiosk.sim.runner import run_scenario_file
    from kiosk.sim.station import Outcome

    if db_url:
        ctx.db_url = db_url
    if config_file:
        ctx.config_file = config_file

    def out(outcome: Outcome) -> None:
        if quiet:
            return
        if as_json:
            line = json.dumps(outcome.as_dict(), ensure_ascii=False)
        else:
            mark = "OK " if outcome.ok else "-- "
            seq = f"seq={outcome.seq}" if outcome.seq is not None else "not recorded"
            where = f"[{outcome.device}]" if outcome.device else ""
            extra = f" ({outcome.detail})" if outcome.detail else ""
            line = f"{outcome.n:>5} {mark}{outcome.code:<20} {outcome.card or '':<10} {seq} {where}{extra}"
        # Flushed at once: the line is printed only after the ledger committed what it reports.
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    from kiosk.desk import admin

    scratch = None
    if fresh:
        # A scenario expects an empty ledger (it seeds the demo office): give it one of its own, never
        # the configured ledger.
        scratch = tempfile.TemporaryDirectory(prefix="kiosk-sim-")
        ctx._settings = _scratch_settings(ctx.settings, Path(scratch.name))
        ctx.open(create=True)
    else:
        _refuse_missing_ledger(ctx)
    settings, ledger = ctx.settings, ctx.ledger
    try:
        result = run_scenario_file(scenario, ledger, settings, out=out)
    except FileNotFoundError as exc:
        fail(f"no such scenario: {exc.filename}")
    except (ValueError, KeyError) as exc:
        fail(f"scenario {scenario}: {exc}")
    finally:
        admin.dispose(ledger)
        if scratch is not None:
            scratch.cleanup()
    summary = result.summary()
    if as_json:
        echo(json.dumps({"summary": summary}, ensure_ascii=False))
    else:
        echo(
            f"{summary['scenario']}: {summary['scans']} scans, {summary['green']} green, "
            f"{summary['events']} events, {summary['seconds']} s"
        )
        echo("verdicts: " + ", ".join(f"{k}={v}" for k, v in summary["verdicts"].items()))
        for name, ids in result.discrepancies.items():
            if ids:
                echo(f"{name}: {', '.join(ids)}")
        for problem in summary["mismatches"]:
            echo(f"MISMATCH {problem}")
        if result.unrecorded_green:
            echo(f"GREEN WITHOUT EVENT: outcomes {result.unrecorded_green}")
        echo("ok" if result.ok else "FAILED")
    sys.exit(0 if result.ok else 1)


def _scratch_settings(settings: Settings, folder: Path) -> Settings:
    """`settings` with every data path (ledger, pepper, anchors, logs …) moved into `folder`."""
    from kiosk.config import PathSettings

    url = f"sqlite:///{folder / 'ledger.sqlite3'}"
    return settings.model_copy(
        update={
            "ledger": settings.ledger.model_copy(update={"url": url}),
            "paths": PathSettings(data_dir=folder),
        }
    )


def _refuse_missing_ledger(ctx: CliContext) -> None:
    """A scenario on a fresh clone: say how to play it, rather than the start-up check's restore advice."""
    from kiosk.config import sqlite_file

    database = sqlite_file(ctx.settings.ledger.url)
    if database is not None and not database.exists():
        fail(
            f"no ledger at {database}: `kiosk sim run SCENARIO --fresh` plays on a throw-away ledger"
            " (or run a bare `kiosk init` first: a scenario seeds an empty ledger with the demo office)"
        )
