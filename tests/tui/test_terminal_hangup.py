"""When its terminal goes away the kiosk exits, even if no SIGHUP reaches it (started under make)."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path


def test_the_kiosk_exits_when_its_terminal_hangs_up(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "LINES": "40",
        "KIOSK_DB_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "KIOSK_PATHS__PEPPER": str(tmp_path / "pepper"),
        "KIOSK_PATHS__LOGS": str(tmp_path / "log"),
    }

    def no_sighup() -> None:
        # What `make demo` amounts to: the kiosk is not the session leader, so the hang-up signal
        # goes elsewhere; the kiosk has to notice the dead terminal by itself.
        os.setsid()
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "demo"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        preexec_fn=no_sighup,
        close_fds=True,
    )
    os.close(slave)
    try:
        seen = b""
        deadline = time.monotonic() + 60
        while b"F12" not in seen and time.monotonic() < deadline and proc.poll() is None:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
        assert b"F12" in seen, "the demo did not draw its screen"
        os.close(master)  # the terminal goes away
        proc.wait(timeout=30)
        assert (tmp_path / "log" / "kiosk.log").read_text(encoding="utf-8").count("terminal went away") == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
