"""The CLI equivalents of the office screens' new commands, through the real `kiosk` command: training
records (`staff train`, `staff training [--due]`, the last training in `staff list`) and the applicant
reference (`cards applicant-set`, a correction only with `--correct`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from drivers.damm import with_check_digit
from tests import warm
from tests.security.test_cli_attacks import office_env


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


def test_training_and_applicant_reference_from_the_cli(tmp_path: Path) -> None:
    env = office_env(tmp_path)
    (tmp_path / "none.toml").write_text("# defaults\n", encoding="utf-8")
    mid = with_check_digit("700000001")
    (tmp_path / "delivery.csv").write_text(f"management_id,kind\n{mid},mynumber_card\n", encoding="utf-8")
    setup = [
        run(env, "init", "--admin-name", "管理", "--admin-badge", "A001", "--admin-employee-no", "E9",
            stdin="9999\n"),
        run(env, "staff", "add", "--name", "正", "--badge", "O001", "--employee-no", "E1",
            "--role", "officer", "--rank", "正", "--operator", "A001", stdin="9999\n1111\n"),
        run(env, "staff", "add", "--name", "窓口", "--badge", "C001", "--employee-no", "E2",
            "--role", "clerk", "--operator", "A001", "--witness", "O001", stdin="9999\n1111\n3333\n"),
        run(env, "cards", "receive", "--batch", "B1", "--expect", "1", "--operator", "O001",
            "--witness", "C001", str(tmp_path / "delivery.csv"), stdin="1111\n3333\n"),
    ]  # fmt: skip
    for result in setup:
        assert result.returncode == 0, result.stderr
    due = run(env, "staff", "training", "--due")
    assert due.returncode == 1
    assert [line.split()[:2] for line in due.stdout.splitlines()] == [
        ["A001", "arrival"],
        ["O001", "arrival"],
        ["C001", "arrival"],
    ]
    people = ("--operator", "A001", "--witness", "O001")
    wrong_kind = run(
        env, "staff", "train", "C001", "--kind", "茶道", "--trainer", "X", *people, stdin="9999\n1111\n"
    )
    assert wrong_kind.returncode == 2
    assert "configured kinds" in wrong_kind.stderr
    trained = run(
        env, "staff", "train", "C001", "--date", "2026-04-01", "--kind", "着任時研修", "--trainer", "山田",
        *people, stdin="9999\n1111\n",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    records = [json.loads(x) for x in run(env, "staff", "training", "--json").stdout.splitlines()]
    assert [(r["name"], r["on"], r["kind"], r["trainer"]) for r in records] == [
        ("窓口", "2026-04-01", "着任時研修", "山田")
    ]
    assert "C001" not in run(env, "staff", "training", "--due").stdout
    listed = {
        json.loads(x)["badge"]: json.loads(x) for x in run(env, "staff", "list", "--json").stdout.splitlines()
    }
    assert listed["C001"]["trained_on"] == "2026-04-01"
    assert listed["O001"]["trained_on"] is None

    first = run(env, "cards", "applicant-set", mid, "R8-001", "--operator", "C001", stdin="3333\n")
    assert first.returncode == 0, first.stderr
    again = run(env, "cards", "applicant-set", mid, "R8-002", "--operator", "C001", stdin="3333\n")
    assert again.returncode == 2
    assert "needs a reason" in again.stderr
    fixed = run(
        env,
        "cards",
        "applicant-set",
        mid,
        "R8-002",
        "--correct",
        "typo",
        "--operator",
        "C001",
        stdin="3333\n",
    )
    assert fixed.returncode == 0, fixed.stderr
    assert "corrected: R8-002" in fixed.stdout
    guarded = run(
        env, "cards", "applicant-set", mid, "R-1234-5678-9012", "--operator", "C001", stdin="3333\n"
    )
    assert guarded.returncode == 2
    assert "5678" not in guarded.stderr
    assert run(env, "verify").returncode == 0
