"""`kiosk listen safe-io URL --json` in a subprocess against the simulated module: JSON lines out."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import pytest

from simulator.safe_io import SimSafeModule
from tests import warm

KIOSK = Path(sys.executable).parent / "kiosk"


class Lines:
    """The subprocess's stdout, line by line, read in a thread so the test can wait with a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        self.q: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()
        self.seen: list[dict[str, Any]] = []

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.q.put(line)

    def until(self, key: str, value: object, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                record: dict[str, Any] = json.loads(self.q.get(timeout=0.2))
            except queue.Empty:
                continue
            self.seen.append(record)
            if record.get(key) == value:
                return record
        raise AssertionError(f"no {key}={value} within {timeout} s; saw {self.seen}")


@pytest.mark.parametrize("transport", ["tcp", "rtu"])
def test_listen_prints_door_changes_and_the_module_going_away(transport: str) -> None:
    with SimSafeModule(transport=transport, line_input=1) as module:
        proc = subprocess.Popen(
            [str(KIOSK), "listen", "safe-io", module.url, "--json", "--count", "4",
             "--opt", "poll_ms=50", "--opt", "reconnect_max_s=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            lines = Lines(proc.stdout)
            first = lines.until("door", "closed")
            assert first["initial"] is True
            assert first["at"].endswith("Z")
            module.open_door()
            opened = lines.until("door", "open")
            assert set(opened) == {"door", "at"}
            module.cut_line()
            cut = lines.until("line", "cut")
            assert cut["fault"] is True
            module.mend_line()
            lines.until("fault", False)
            module.close_door()
            lines.until("door", "closed")
            module.power_off()
            offline = lines.until("module", "offline")
            assert offline["reason"]
            module.power_on()
            lines.until("module", "online")
            again = lines.until("door", "closed")  # the fourth door line: the command ends
            assert again["initial"] is True
            assert proc.wait(15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert module.relay_writes == []  # listening never drives the lock
        assert [r["lock"] for r in lines.seen if "lock" in r] == [
            "engaged",
            "engaged",
        ]  # read at each connect


def test_a_bad_url_is_one_clear_line() -> None:
    out = warm.run(
        [str(KIOSK), "listen", "safe-io", "modbus-tcp://io?polarity=closed"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.strip() == "kiosk: polarity: nc or no"
    assert out.stdout == ""
