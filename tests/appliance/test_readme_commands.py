"""The README's commands on a fresh clone: a scenario on the simulator, and a CLI command against the
demo ledger that `make demo` made."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli.app_cmds import demo_settings
from kiosk.config import Settings, resolve_paths
from kiosk.demo.seed import seed_demo
from kiosk.ledger.service import open_ledger


def fresh_env() -> dict[str, str]:
    """A shell on a fresh clone: none of the tests' KIOSK_* settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}


def kiosk(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env or fresh_env(),
        timeout=180,
        check=False,
    )


def test_a_scenario_plays_on_a_fresh_clone_with_fresh(tmp_path: Path) -> None:
    scenario = Path(__file__).parents[2] / "simulator/scenarios/day-at-the-counter.toml"
    refused = kiosk(tmp_path, "sim", "run", str(scenario), "--quiet")
    assert refused.returncode == 2
    assert "`kiosk sim run SCENARIO --fresh` plays on a throw-away ledger" in refused.stderr
    played = kiosk(tmp_path, "sim", "run", str(scenario), "--fresh")
    assert played.returncode == 0, played.stdout + played.stderr
    assert played.stdout.splitlines()[-1] == "ok"
    assert "taken_out=3" in played.stdout
    # The configured ledger was never created: the scenario had its own.
    assert not (tmp_path / "config/var/ledger.sqlite3").exists()


def test_a_cli_command_against_the_demo_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What `make demo` leaves in a clone: the demo ledger in config/var/demo/ (no config/kiosk.toml).
    monkeypatch.delenv("KIOSK_PATHS__DATA_DIR")
    demo = demo_settings(resolve_paths(Settings(), tmp_path / "config"))
    ledger = open_ledger(demo, create=True)
    seed_demo(ledger)
    ledger.engine.dispose()
    # The README's line: the data directory pointed at the demo's folder (an absolute path).
    env = {**fresh_env(), "KIOSK_PATHS__DATA_DIR": str(tmp_path / "config/var/demo")}
    staff = kiosk(tmp_path, "staff", "list", env=env)
    assert staff.returncode == 0, staff.stderr
    assert "O001" in staff.stdout
    verified = kiosk(tmp_path, "verify", env=env)
    assert verified.returncode == 0, verified.stderr
    assert not (tmp_path / "config/var/ledger.sqlite3").exists()
