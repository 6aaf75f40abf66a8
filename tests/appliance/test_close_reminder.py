"""`kiosk close-reminder` (the installed timer's job): fails until today's daily close has been run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import warm


def kiosk(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[paths]\ndata_dir = "{tmp_path / "var"}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["KIOSK_CONFIG_FILE"] = str(config)
    return warm.run(
        [sys.executable, "-m", "kiosk", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_reminds_until_the_daily_close_is_run(tmp_path: Path) -> None:
    init = kiosk(
        tmp_path, "init", "--admin-name", "情報太郎", "--admin-badge", "A001", "--admin-employee-no", "E9001",
        stdin="9999\n",
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    before = kiosk(tmp_path, "close-reminder")
    assert before.returncode == 1
    assert (
        "has not been run (never run on this ledger): a responsible officer closes the day at the kiosk"
        " (F8 事務メニュー → F6 日次締め)" in before.stderr
    )
    # The first colleague, a responsible officer, closes the day (the administrator may not).
    added = kiosk(
        tmp_path, "staff", "add", "--name", "保管正子", "--badge", "O001", "--employee-no", "E1001",
        "--role", "officer", "--rank", "0", "--operator", "A001", stdin="9999\n1111\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    refused = kiosk(
        tmp_path, "report", "daily", "--operator", "A001", "-o", str(tmp_path / "a.pdf"), stdin="9999\n"
    )
    assert refused.returncode == 2
    assert kiosk(tmp_path, "close-reminder").returncode == 1
    close = kiosk(
        tmp_path, "report", "daily", "--operator", "O001", "-o", str(tmp_path / "close.pdf"), stdin="1111\n"
    )
    assert close.returncode == 0, close.stderr
    after = kiosk(tmp_path, "close-reminder")
    assert after.returncode == 0, after.stderr
    assert "the daily close of" in after.stdout
