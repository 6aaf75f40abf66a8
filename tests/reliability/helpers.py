"""Running `kiosk` in a subprocess against a private ledger and log folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests import warm

KIOSK = (
    [str(Path(sys.executable).with_name("kiosk"))]
    if Path(sys.executable).with_name("kiosk").exists()
    else [sys.executable, "-m", "kiosk"]
)
PEPPER = "reliability-test-pepper"


def env(tmp: Path) -> dict[str, str]:
    """The defaults, a ledger and logs under `tmp`, whatever the caller's shell set."""
    out = dict(os.environ)
    out.update(
        KIOSK_DB_URL=f"sqlite:///{tmp / 'var' / 'ledger.sqlite3'}",
        KIOSK_PEPPER=PEPPER,
        KIOSK_PATHS__LOGS=str(tmp / "var" / "log"),
        KIOSK_PATHS__DATA_DIR=str(tmp / "var"),
    )
    out.pop("KIOSK_CONFIG_FILE", None)
    return out


def init(tmp: Path, **kwargs: Any) -> None:
    """`kiosk init` (only init creates a ledger), once per site."""
    if not (tmp / "var" / "ledger.sqlite3").exists():
        done = warm.run(
            [*KIOSK, "init"], capture_output=True, text=True, env=env(tmp), cwd=tmp, check=False, **kwargs
        )
        assert done.returncode == 0, done.stderr


def kiosk(tmp: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    init(tmp)
    return warm.run(
        [*KIOSK, *args], capture_output=True, text=True, env=env(tmp), cwd=tmp, timeout=timeout, check=False
    )


def json_lines(stdout: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The verdict objects and the summary of `kiosk sim run --json`."""
    verdicts: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    for line in stdout.splitlines():
        obj = json.loads(line)
        if "summary" in obj:
            summary = obj["summary"]
        else:
            verdicts.append(obj)
    return verdicts, summary
