"""`kiosk supervise` binds where [supervise] says (the installed service passes no options), and says
that the view is plain HTTP whenever it listens beyond this PC."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from kiosk.ledger.engine import make_engine, upgrade
from tests import warm


def _env(tmp_path: Path, config: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    (tmp_path / "kiosk.toml").write_text(config, encoding="utf-8")
    env.update(KIOSK_CONFIG_FILE=str(tmp_path / "kiosk.toml"), KIOSK_PEPPER="supervise-config-pepper")
    env["KIOSK_PATHS__LOGS"] = str(tmp_path / "log")
    return env


def test_the_configured_port_is_used(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    upgrade(make_engine(url))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = warm.run(
            [sys.executable, "-m", "kiosk", "--db", url, "supervise"],
            capture_output=True,
            text=True,
            env=_env(tmp_path, f'[supervise]\nhost = "127.0.0.1"\nport = {port}\n'),
            timeout=60,
            check=False,
        )
    # The port comes from the configuration: it is the busy one.
    assert result.returncode == 2
    assert result.stderr.strip() == f"kiosk: cannot listen on 127.0.0.1:{port}: Address already in use"


def test_beyond_this_pc_it_warns_of_plain_http(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    upgrade(make_engine(url))
    with socket.socket() as s:
        s.bind(("127.0.0.2", 0))
        port = s.getsockname()[1]
    # 127.0.0.2 stands for a LAN address: not "this computer only", and bindable in any sandbox.
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--db", url, "supervise"],
        env=_env(tmp_path, f'[supervise]\nhost = "127.0.0.2"\nport = {port}\n'),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while not any(line.startswith("warning: plain HTTP") for line in lines):
        assert time.monotonic() < deadline, lines
        line = proc.stderr.readline()
        assert line, f"kiosk supervise ended: {lines}"
        lines.append(line)
    # What this test reads is printed at start; stop the server, whatever state its start-up is in (under
    # xdist a worker's children may inherit an ignored SIGINT, so Ctrl+C is not the way to stop it here).
    proc.terminate()
    try:
        proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
    assert f"supervisor's view on http://127.0.0.2:{port}/ (the network); Ctrl+C stops it\n" in lines
    assert "badges, PINs and the sign-in cookie travel unencrypted" in lines[-1]
