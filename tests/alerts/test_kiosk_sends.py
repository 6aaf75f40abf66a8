"""The kiosk itself sends the alerts (on a thread of its own) while it runs, and stops when it exits."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from kiosk.desk.alerts import alert_history
from kiosk.domain.events import EventKind
from kiosk.domain.staff import MAX_FAILED_ATTEMPTS
from kiosk.ledger import models
from kiosk.ledger.service import Ledger
from kiosk.tui.screens.signin import SignInModal
from tests.alerts.conftest import Relay, alert_settings
from tests.conftest import FakeClock
from tests.tui.conftest import devices_online, wait_for


def started(ledger: Ledger) -> bool:
    with ledger.read() as s:
        return s.get(models.AlertState, "sender") is not None


def failures(ledger: Ledger) -> int:
    return sum(1 for e in ledger.events() if e.kind == EventKind.AUTH_FAILED)


@pytest.mark.asyncio
async def test_a_lockout_at_the_kiosk_reaches_the_relay_while_the_kiosk_runs(
    tmp_path: Path, clock: FakeClock, relay: Relay
) -> None:
    from drivers.serial_scanner import SerialScanner
    from kiosk.tui.app import KioskApp
    from simulator.hub import SimHub
    from tests.tui.conftest import SCANNER, make_ledger, seed_office

    ledger = make_ledger(tmp_path / "ledger.sqlite3", clock)
    seed_office(ledger)
    settings = alert_settings(relay.port, poll_seconds=0.1)
    hub = SimHub()
    hub.add_serial(SCANNER)
    scanner = SerialScanner(hub.url(SCANNER), name=SCANNER, reconnect_interval=0.05, dedup_window=0)
    app = KioskApp(devices=[scanner], ledger=ledger, settings=settings, clock=clock)
    try:
        async with app.run_test() as pilot:
            await devices_online(pilot, app)
            assert app.alerts is not None
            assert app.alerts.thread.name == "alerts"
            # The alerter has started at the head before anything happens (a first sender starts there).
            await wait_for(pilot, lambda: started(ledger))
            hub.scan(SCANNER, "C002")
            await wait_for(
                pilot,
                lambda: (
                    isinstance(app.screen, SignInModal)
                    and app.screen.query_one("#badge", Input).value == "C002"
                ),
            )
            for attempt in range(1, MAX_FAILED_ATTEMPTS + 1):
                await pilot.press(*"0000", "enter")
                await wait_for(pilot, lambda n=attempt: failures(ledger) == n)  # type: ignore[misc]
            await wait_for(pilot, lambda: len(relay.inbox.mails) == 1, timeout=20)
            subject, body = relay.inbox.texts()[0]
            assert "職員がロックされました" in subject
            assert "窓口 二郎" in body
        assert app.alerts is not None
        assert not app.alerts.thread.is_alive()  # stopped with the app
        assert [a.state for a in alert_history(app.desk)] == ["sent"]
    finally:
        hub.close()
        ledger.engine.dispose()


def test_the_demo_and_training_never_send_alerts() -> None:
    from kiosk.cli.app_cmds import demo_run_settings, demo_settings
    from kiosk.config import AlertSettings, Settings

    real = Settings(alerts=AlertSettings(webhook_url="http://intranet.example/hook"))
    assert real.alerts.channels == ("webhook",)
    for training in (False, True):
        assert demo_run_settings(real, training=training).alerts.channels == ()
        assert demo_run_settings(real, training=training, own_ledger=False).alerts.channels == ()
        assert demo_settings(real, training=training).alerts.channels == ()  # kiosk supervise --demo
