"""The supervisor's page shows the alert history: each alert, and where its e-mail delivery stands."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from kiosk.desk import Desk
from kiosk.desk.alerts import Alerter
from kiosk.domain.staff import MAX_FAILED_ATTEMPTS, AuthError
from kiosk.ledger.service import Ledger
from kiosk.supervise.app import create_app
from tests.alerts.conftest import Relay, alert_settings
from tests.conftest import PINS, FakeClock
from tests.supervise.conftest import FAST, Office, make_office


@pytest.fixture
def office(ledger: Ledger, clock: FakeClock) -> Office:
    return make_office(ledger, clock)


def page(office: Office, desk: Desk) -> str:
    client = TestClient(create_app(desk, FAST, clock=office.clock, random_key=True))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
    assert token is not None
    signed = client.post(
        "/signin",
        content=f"badge=S001&pin={PINS['S001']}&csrf={token.group(1)}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    panel = client.get("/panel")
    assert panel.status_code == 200
    return panel.text


def test_the_page_shows_each_alert_and_its_delivery(
    office: Office, relay_down: Relay, clock: FakeClock
) -> None:
    desk = Desk(office.ledger, alert_settings(relay_down.port))
    assert 'id="sent-alerts-none"' in page(office, desk)
    alerter = Alerter(desk)
    alerter.tick()
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(AuthError):
            desk.sign_in("C001", "0000")
    assert alerter.tick().failed == 1
    waiting = page(office, desk)
    assert 'data-alert="lockout" data-state="failed"' in waiting
    assert "職員がロックされました" in waiting
    assert "失敗 1 回" in waiting
    relay_down.start()
    clock.advance(minutes=1)
    assert alerter.tick().sent == 1
    sent = page(office, desk)
    assert 'data-alert="lockout" data-state="sent"' in sent
    assert "メール: 送信済み" in sent
