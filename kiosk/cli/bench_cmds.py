"""`kiosk bench [--quick] [--json FILE]`: the benchmark suite (bench/suite.py) as one table."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kiosk.cli import cli
from kiosk.cli.context import fail
from kiosk.cli.output import echo


@cli.command()
@click.option("--quick", is_flag=True, help="Smaller runs where possible (under a minute); says what it did.")
@click.option(
    "--json",
    "json_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the results as one flat JSON object to FILE.",
)
def bench(quick: bool, json_file: Path | None) -> None:
    """Benchmarks: scan-to-verdict latency, serial throughput, decoding, reconciliation, verify, start-up.

    The suite is the `bench` package (shipped in the wheel beside `kiosk`); what each number measures
    is in bench/suite.py's docstring. The ledger parts time `verify` only on a ledger that verifies:
    if it does not, the run stops with the problem and a non-zero exit, and prints no numbers.
    """
    try:
        from bench import suite
        from bench.ledger_bench import LedgerDoesNotVerify
    except ImportError as exc:
        fail(f"the benchmark suite (the bench package) is not importable here: {exc}")
    try:
        result = suite.run(quick, progress=lambda step: echo(f"… {step}", err=True))
    except LedgerDoesNotVerify as exc:
        fail(f"bench: {exc}", code=1)
    echo(suite.format_table(result))
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        echo(f"wrote {json_file}")
