"""`kiosk supervise` as a supervisor starts it: a real process on 127.0.0.1 serving the view."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from kiosk.domain.staff import Role
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger
from kiosk.supervise.guard import CSP
from tests import warm
from tests.supervise.conftest import _free_port, add

PEPPER = "cli-test-pepper"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "KIOSK_PATHS__LOGS": str(tmp_path / "log"), "KIOSK_PEPPER": PEPPER}
    env.pop("KIOSK_DB_URL", None)
    (tmp_path / "kiosk.toml").write_text("", encoding="utf-8")
    env["KIOSK_CONFIG_FILE"] = str(tmp_path / "kiosk.toml")
    return env


def test_kiosk_supervise_serves_the_view_on_localhost(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    add(Ledger(engine, pepper=PEPPER.encode()), "課長 三子", "S001", Role.SUPERVISOR, "5555")
    engine.dispose()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--db", url, "supervise", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(base + "/signin", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "kiosk supervise did not start"
                time.sleep(0.2)
        assert r.status_code == 200
        assert r.headers["content-security-policy"] == CSP
        with httpx.Client(base_url=base, timeout=10) as client:
            form = client.get("/signin").text  # the form's CSRF token (and its cookie)
            token = re.search(r'name="csrf" value="([^"]+)"', form)
            assert token is not None
            signed = client.post("/signin", data={"badge": "S001", "pin": "5555", "csrf": token.group(1)})
            assert signed.status_code == 303
            page = client.get("/")
            assert page.status_code == 200
            assert "保管庫の状況" in page.text
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/ (this computer only)" in err
    assert "Traceback" not in err


def test_help_names_the_defaults(tmp_path: Path) -> None:
    result = warm.run(
        [sys.executable, "-m", "kiosk", "supervise", "--help"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=60,
        check=True,
    )
    assert "127.0.0.1" in result.stdout
    assert "--port" in result.stdout


def test_a_busy_port_is_one_line(tmp_path: Path) -> None:
    import socket

    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    upgrade(make_engine(url))  # an existing ledger: only `kiosk init` creates one
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = warm.run(
            [sys.executable, "-m", "kiosk", "--db", url, "supervise", "--port", str(port)],
            capture_output=True,
            text=True,
            env=_env(tmp_path),
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"kiosk: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def test_kiosk_supervise_over_tls_sets_secure_cookies(tmp_path: Path) -> None:
    """Issue 22: served over TLS (`--tls-cert/--tls-key`), every cookie is `Secure`."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    warm.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    add(Ledger(engine, pepper=PEPPER.encode()), "課長 三子", "S001", Role.SUPERVISOR, "5555")
    engine.dispose()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--db", url, "supervise", "--port", str(port),
         "--tls-cert", str(cert), "--tls-key", str(key)],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        base = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=base, timeout=10, verify=False) as client:  # noqa: S501 (a throw-away cert)
            while True:
                try:
                    form = client.get("/signin")
                    break
                except httpx.TransportError:
                    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                    assert time.monotonic() < deadline, "kiosk supervise did not start"
                    time.sleep(0.2)
            assert "secure" in form.headers["set-cookie"].lower()
            token = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert token is not None
            signed = client.post(
                "/signin",
                data={"badge": "S001", "pin": "5555", "csrf": token.group(1)},
                follow_redirects=False,
            )
            assert signed.status_code == 303
            assert "secure" in signed.headers["set-cookie"].lower()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert f"https://127.0.0.1:{port}/" in err
