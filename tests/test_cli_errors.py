"""A ledger that cannot be opened stops every command with one line, never a traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests import warm


@pytest.mark.parametrize(
    ("url", "says", "code"),
    [
        ("notaurl", "is not a database URL", 2),
        (
            "postgresql://nobody@127.0.0.1:1/x",
            "cannot open the ledger at postgresql://nobody@127.0.0.1:1/x",
            2,
        ),
        # Only `kiosk init` creates a ledger: a missing one is refused (exit 3), never created.
        ("sqlite:////proc/no-such-dir/ledger.sqlite3", "there is no ledger at /proc/no-such-dir", 3),
    ],
)
@pytest.mark.parametrize("command", [["verify"], ["staff", "list"]])
def test_an_unusable_ledger_is_one_line(
    tmp_path: Path, url: str, says: str, code: int, command: list[str]
) -> None:
    env = {**os.environ, "KIOSK_PATHS__LOGS": str(tmp_path / "log")}
    env.pop("KIOSK_DB_URL", None)
    result = warm.run(
        [sys.executable, "-m", "kiosk", "--db", url, *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == code
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert says in lines[0]
