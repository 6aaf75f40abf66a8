"""`kiosk doctor` and the office's CUPS queues: a configured queue must be there, enabled and accepting;
`--test-page QUEUE` prints a test page. Runs against the machine's real CUPS with a cups-pdf queue
(.ci/run installs cups, cups-bsd and printer-driver-cups-pdf and starts cupsd); skips, saying why,
where CUPS is not there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import warm
from tests.conftest import wait_printed


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return warm.run(args, capture_output=True, text=True, check=False, timeout=60)


@pytest.fixture
def queue(cups_queue: str) -> str:
    return cups_queue


def doctor(tmp_path: Path, queue: str, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[printers]\nreports = "{queue}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_DB_URL"}
    env["KIOSK_CONFIG_FILE"] = str(config)
    kiosk = [sys.executable, "-m", "kiosk"]
    if not (tmp_path / "initialised").exists():
        admin = ["--admin-name", "情報太郎", "--admin-badge", "A001", "--admin-employee-no", "E9001"]
        init = warm.run(
            [*kiosk, "init", *admin],
            input="9999\n",
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert init.returncode == 0, init.stderr
        (tmp_path / "initialised").touch()
    dev = tmp_path / "dev"
    dev.mkdir(exist_ok=True)
    return warm.run(
        [*kiosk, "doctor", "--dev", str(dev), "--listen", "0", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_configured_queue_that_prints_is_ok_and_a_disabled_one_is_a_problem(
    tmp_path: Path, queue: str
) -> None:
    ready = doctor(tmp_path, queue)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    line = next(line for line in ready.stdout.splitlines() if queue in line)
    assert line.startswith(f"ok      printer reports {queue}: ok: printer {queue} is idle.")
    assert line.endswith(f"kiosk doctor --test-page {queue} prints a test page")
    assert run("cupsdisable", queue).returncode == 0
    stopped = doctor(tmp_path, queue)
    assert stopped.returncode == 1
    line = next(line for line in stopped.stdout.splitlines() if queue in line)
    assert line.startswith(f"PROBLEM printer reports {queue}: disabled: printer {queue} disabled since")
    assert line.endswith(f": cupsenable {queue}")


def test_an_absent_queue_is_a_problem_naming_the_queues_there(tmp_path: Path, queue: str) -> None:
    result = doctor(tmp_path, "no-such-queue")
    assert result.returncode == 1
    line = next(line for line in result.stdout.splitlines() if "no-such-queue" in line)
    assert "CUPS has no such queue (queues here: " in line
    assert queue in line
    assert (
        f"note    printer {queue}: found: a CUPS queue: name it in [printers] labels or reports"
        in result.stdout
    )


def test_the_test_page_is_printed(tmp_path: Path, queue: str) -> None:
    result = doctor(tmp_path, queue, "--test-page", queue)
    assert result.returncode == 0, result.stderr
    prefix = f"sent a test page to {queue} (CUPS job "
    assert result.stdout.startswith(prefix)
    job = result.stdout.removeprefix(prefix).split(")")[0]
    wait_printed(queue, job)


def test_a_test_page_to_an_unknown_queue_is_refused(tmp_path: Path, queue: str) -> None:
    result = doctor(tmp_path, queue, "--test-page", "no-such-queue")
    assert result.returncode == 1
    assert "CUPS has no queue 'no-such-queue'" in result.stderr


def test_without_cups_a_note_and_a_configured_queue_is_a_problem(tmp_path: Path) -> None:
    # A PATH without CUPS's programs: what a PC without cups-bsd looks like to doctor.
    bare = tmp_path / "bin"
    bare.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["PATH"] = str(bare)
    config = tmp_path / "kiosk.toml"
    (tmp_path / "dev").mkdir()
    args = [sys.executable, "-m", "kiosk", "--config", str(config), "doctor", "--dev", str(tmp_path / "dev")]
    for printers, line in [
        ("", "note    printer CUPS: not available: lpstat is not installed: apt install cups cups-bsd"),
        (
            '[printers]\nlabels = "labels"\n',
            "PROBLEM printer labels labels: no CUPS: lpstat is not installed",
        ),
    ]:
        config.write_text(printers, encoding="utf-8")
        result = warm.run(
            [*args, "--listen", "0"], capture_output=True, text=True, env=env, timeout=120, check=False
        )
        assert result.returncode == 1  # there is no ledger either
        assert any(out.startswith(line) for out in result.stdout.splitlines()), result.stdout
