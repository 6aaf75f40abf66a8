"""An office relay that requires STARTTLS and a login (aiosmtpd with a certificate made for the test)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from kiosk.desk import Desk
from kiosk.desk.alerts import Alerter
from kiosk.domain.events import EventKind
from kiosk.domain.staff import MAX_FAILED_ATTEMPTS, AuthError
from kiosk.ledger.service import Ledger
from tests.alerts.conftest import Inbox, alert_settings, free_port
from tests.conftest import Crew

USER = "kiosk"
PASSWORD = "relay-secret"  # noqa: S105 (a test relay's password)


@dataclass
class Logins:
    seen: list[tuple[str, bool]] = field(default_factory=list)

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == USER.encode()
            and auth_data.password == PASSWORD.encode()
        )
        self.seen.append((mechanism, ok))
        return AuthResult(success=ok, handled=False)


@dataclass
class TlsRelay:
    port: int
    inbox: Inbox
    logins: Logins
    ca_file: Path


@pytest.fixture
def tls_relay(tmp_path: Path) -> Iterator[TlsRelay]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (it makes the test relay's certificate)")
    cert, key = tmp_path / "relay.pem", tmp_path / "relay.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=relay.test",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, logins = Inbox(), Logins()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=logins,
        auth_require_tls=True,
    )
    controller.start()
    yield TlsRelay(port, inbox, logins, cert)
    controller.stop()


def lock_out(desk: Desk) -> None:
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(AuthError):
            desk.sign_in("C001", "0000")


def test_starttls_and_a_login_from_a_password_file(
    ledger: Ledger, crew: Crew, tls_relay: TlsRelay, tmp_path: Path
) -> None:
    password = tmp_path / "smtp-password"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    settings = alert_settings(
        tls_relay.port,
        starttls=True,
        ca_file=str(tls_relay.ca_file),
        username=USER,
        password_file=str(password),
    )
    desk = Desk(ledger, settings)
    alerter = Alerter(desk)
    alerter.tick()
    lock_out(desk)
    assert alerter.tick().sent == 1
    assert [ok for _, ok in tls_relay.logins.seen] == [True]
    (mail,) = tls_relay.inbox.texts()
    assert crew.clerk.name in mail[1]


def test_a_wrong_password_is_a_failure_on_record_without_the_password(
    ledger: Ledger, crew: Crew, tls_relay: TlsRelay, tmp_path: Path
) -> None:
    password = tmp_path / "smtp-password"
    password.write_text("not-the-password", encoding="utf-8")
    settings = alert_settings(
        tls_relay.port,
        starttls=True,
        ca_file=str(tls_relay.ca_file),
        username=USER,
        password_file=str(password),
    )
    desk = Desk(ledger, settings)
    alerter = Alerter(desk)
    alerter.tick()
    lock_out(desk)
    assert alerter.tick().failed == 1
    (failed,) = [e for e in ledger.events() if e.kind == EventKind.ALERT_FAILED]
    assert failed.data["error"].startswith("SMTPAuthenticationError")
    assert "not-the-password" not in failed.payload
    assert tls_relay.inbox.mails == []
