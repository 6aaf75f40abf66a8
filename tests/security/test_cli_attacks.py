"""The attacks on the first build, replayed through the real CLI: each is refused with one clear line,
nothing it asked for is written, and the refusal is on the chain."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import warm


def office_env(root: Path) -> dict[str, str]:
    """The environment of the kiosk whose files are under `root`."""
    env = {
        **os.environ,
        "KIOSK_DB_URL": f"sqlite:///{root / 'ledger.sqlite3'}",
        "KIOSK_PATHS__DATA_DIR": str(root / "var"),
        "KIOSK_CONFIG_FILE": str(root / "none.toml"),
    }
    env.pop("KIOSK_PEPPER", None)
    return env


@pytest.fixture(scope="module")
def office_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An administrator, an officer and a clerk, set up once per module through the real CLI."""
    root = tmp_path_factory.mktemp("office")
    env = office_env(root)
    (root / "none.toml").write_text("# defaults\n", encoding="utf-8")
    ok = [
        run(env, "init", "--admin-name", "管理", "--admin-badge", "A001", "--admin-employee-no", "E9",
            stdin="9999\n"),
        run(env, "staff", "add", "--name", "正", "--badge", "O001", "--employee-no", "E1",
            "--role", "officer", "--rank", "正", "--operator", "A001", stdin="9999\n1111\n"),
        run(env, "staff", "add", "--name", "窓口", "--badge", "C001", "--employee-no", "E2",
            "--role", "clerk", "--operator", "A001", "--witness", "O001", stdin="9999\n1111\n3333\n"),
    ]  # fmt: skip
    for result in ok:
        assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def office(tmp_path: Path, office_template: Path) -> dict[str, str]:
    """The office above, each test on its own copy of its files (ledger, pepper, checkpoint, logs)."""
    shutil.copytree(office_template, tmp_path, dirs_exist_ok=True)
    return office_env(tmp_path)


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return warm.run(
        [sys.executable, "-m", "kiosk", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def staff_badges(env: dict[str, str]) -> list[str]:
    return [line.split()[1] for line in run(env, "staff", "list").stdout.splitlines()]


def test_staff_administration_needs_an_administrator_and_a_second_person(office: dict[str, str]) -> None:
    # An officer promoting someone: not an administrator.
    promoted = run(
        office, "staff", "add", "--name", "X", "--badge", "X1", "--employee-no", "E5", "--role", "officer",
        "--rank", "正", "--operator", "O001", "--witness", "C001", stdin="1111\n3333\n7777\n",
    )  # fmt: skip
    assert promoted.returncode == 2
    assert "may not staff_add" in promoted.stderr
    # The administrator alone, now that colleagues exist: a second person is needed.
    alone = run(
        office, "staff", "add", "--name", "X", "--badge", "X1", "--employee-no", "E5", "--role", "clerk",
        "--operator", "A001", stdin="9999\n7777\n",
    )  # fmt: skip
    assert alone.returncode == 2
    assert "second person" in alone.stderr
    # The same person as administrator and witness.
    same = ("--operator", "A001", "--witness", "A001")
    twice = run(office, "staff", "deactivate", "C001", *same, stdin="9999\n9999\n")
    assert twice.returncode == 2
    assert "different people" in twice.stderr
    # No sign-in at all: the command does not start.
    anonymous = run(office, "staff", "deactivate", "C001")
    assert anonymous.returncode == 2
    assert "--operator" in anonymous.stderr
    assert staff_badges(office) == ["A001", "O001", "C001"]
    refusals = run(office, "verify")
    assert refusals.returncode == 0, refusals.stderr


def test_one_person_one_account(office: dict[str, str]) -> None:
    people = ("--operator", "A001", "--witness", "O001")
    lower = run(
        office, "staff", "add", "--name", "二重", "--badge", "o001", "--employee-no", "E7",
        "--role", "clerk", *people, stdin="9999\n1111\n5555\n",
    )  # fmt: skip
    assert lower.returncode == 2
    assert "already registered" in lower.stderr
    second_account = run(
        office, "staff", "add", "--name", "別口座", "--badge", "O001-B", "--employee-no", "E1",
        "--role", "officer", "--rank", "副1", *people, stdin="9999\n1111\n5555\n",
    )  # fmt: skip
    assert second_account.returncode == 2
    assert "employee number" in second_account.stderr
    assert staff_badges(office) == ["A001", "O001", "C001"]


def test_receipt_and_stocktake_scans_need_their_people(office: dict[str, str], tmp_path: Path) -> None:
    delivery = tmp_path / "d.csv"
    delivery.write_text("management_id,kind\n8000000015,mynumber_card\n", encoding="utf-8")
    by_clerk = run(office, "cards", "receive", "--batch", "B1", "--expect", "1", "--operator", "C001",
                   "--witness", "O001", str(delivery), stdin="3333\n1111\n")  # fmt: skip
    assert by_clerk.returncode == 2
    assert "may not receive" in by_clerk.stderr
    assert run(office, "cards", "show", "8000000015").returncode != 0  # nothing was received
    unsigned = run(office, "stocktake", "scan", "8000000015")
    assert unsigned.returncode == 2
    assert "--operator" in unsigned.stderr
    wrong_pin = run(office, "cards", "receive", "--batch", "B1", "--expect", "1", "--operator", "O001",
                    "--witness", "C001", str(delivery), stdin="0000\n3333\n")  # fmt: skip
    assert wrong_pin.returncode == 2
    assert "wrong_pin" in wrong_pin.stderr
    received = run(office, "cards", "receive", "--batch", "B1", "--expect", "1", "--operator", "O001",
                   "--witness", "C001", str(delivery), stdin="1111\n3333\n")  # fmt: skip
    assert received.returncode == 0, received.stderr
    verified = run(office, "verify")
    assert verified.returncode == 0, verified.stderr
