"""Every shipped scenario runs headless through `kiosk sim run` and gives exactly the verdicts it expects."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.ledger import models
from kiosk.ledger.engine import make_engine
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from simulator.scenario import builtin_scenarios
from tests.reliability.helpers import PEPPER, json_lines, kiosk

SHIPPED = ("day-at-the-counter", "monthly-stocktake", "device-faults")


def test_the_three_scenarios_are_shipped() -> None:
    assert set(SHIPPED) <= set(builtin_scenarios())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_passes_and_every_green_verdict_is_on_record(name: str, tmp_path: Path) -> None:
    run = kiosk(tmp_path, "sim", "run", name, "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    verdicts, summary = json_lines(run.stdout)
    assert summary["ok"] is True
    assert summary["mismatches"] == []
    assert verdicts
    ledger = Ledger(make_engine(f"sqlite:///{tmp_path / 'var' / 'ledger.sqlite3'}"), pepper=PEPPER.encode())
    assert verify(ledger).ok
    with ledger.read() as s:
        kinds = set(s.scalars(select(models.Event.seq)))
    for v in verdicts:
        if v["ok"] and v["kind"] == "scan":
            assert v["seq"] in kinds
        if v["code"] == "ledger_error":
            assert v["seq"] is None
    ledger.engine.dispose()


def test_a_wrong_expectation_fails_the_run(tmp_path: Path) -> None:
    scenario = tmp_path / "wrong.toml"
    scenario.write_text(
        'name = "wrong"\ncabinet = { size = 8, seed = 1 }\n'
        '[[devices]]\nname = "s"\nkind = "serial"\n'
        '[[steps]]\naction = "open_session"\noperator = "O001"\nwitness = "C001"\n'
        '[[steps]]\naction = "scan"\ndevice = "s"\ncard = 7\nverdict = "taken_out"\n',
        encoding="utf-8",
    )
    run = kiosk(tmp_path, "sim", "run", str(scenario))
    assert run.returncode == 1
    assert "MISMATCH step 2 (scan): expected taken_out, got not_on_pick_list" in run.stdout


def test_an_unknown_scenario_is_a_clear_error(tmp_path: Path) -> None:
    run = kiosk(tmp_path, "sim", "run", "no-such-scenario")
    assert run.returncode == 2
    assert "no such scenario" in run.stderr
