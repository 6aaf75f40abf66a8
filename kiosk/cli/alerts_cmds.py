"""`kiosk alerts list|run-once|run`: the alert outbox for technicians (通知の確認と送信).

The kiosk and `kiosk supervise` send alerts by themselves; these commands show what was queued and sent,
and send now (after the relay was repaired: `run-once --now`). Only one process sends for a ledger at a
time: while the kiosk holds the lease, `run-once` says so and sends nothing.
"""

from __future__ import annotations

import json
import signal
import threading
from typing import TYPE_CHECKING, Any

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli
from kiosk.cli.output import clean, echo

if TYPE_CHECKING:
    from kiosk.desk.alerts import Alerter, QueuedAlert


@cli.group()
def alerts() -> None:
    """Alerts by e-mail (the office relay) and webhook: list them, send what waits."""


def _alerter(ctx: CliContext) -> Alerter:
    from kiosk.desk.alerts import Alerter

    alerter = Alerter(ctx.desk)
    if not alerter.enabled:
        fail("alerts are off: set smtp_host, sender and recipients, or webhook_url, in [alerts]", code=1)
    return alerter


@alerts.command("run-once")
@click.option(
    "--now", "retry_now", is_flag=True, help="Retry undelivered alerts now, not at their retry time."
)
@pass_cli
def run_once(ctx: CliContext, retry_now: bool) -> None:
    """Queue what the new events call for and deliver what waits, once (exit 1 when a delivery failed)."""
    alerter = _alerter(ctx)
    report = alerter.tick(retry_now=retry_now)
    if not report.leased:
        fail("another process (a kiosk or kiosk supervise) sends the alerts of this ledger now", code=1)
    alerter.release()
    echo(
        f"queued {report.queued}, held back {report.held_back} (rate limit), "
        f"sent {report.sent}, failed {report.failed}"
    )
    if report.failed:
        fail("some deliveries failed; they are retried with back-off (kiosk alerts list)", code=1)


@alerts.command("run")
@pass_cli
def run(ctx: CliContext) -> None:
    """Send alerts until stopped (Ctrl+C or SIGTERM), as the kiosk and `kiosk supervise` do."""
    alerter = _alerter(ctx)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"sending alerts every {alerter.config.poll_seconds:g} s; Ctrl+C stops", err=True)
    try:
        alerter.run(stop)
    except KeyboardInterrupt:
        stop.set()
        alerter.release()


@alerts.command("test")
@pass_cli
def test_cmd(ctx: CliContext) -> None:
    """Send a test message on every configured channel now (not queued, not on the ledger)."""
    from kiosk.desk.alerts import send_test

    if not ctx.settings.alerts.channels:
        fail("alerts are off: set smtp_host, sender and recipients, or webhook_url, in [alerts]", code=1)
    failed = False
    for channel, error in send_test(ctx.settings):
        echo(f"{channel}: {'sent' if error is None else f'NOT sent: {error}'}")
        failed = failed or error is not None
    if failed:
        fail("a test message was not delivered; check [alerts] and the relay or webhook", code=1)


def _line(alert: QueuedAlert) -> dict[str, Any]:
    from kiosk.domain.alerts import alert_name
    from kiosk.domain.card_state import OFFICE_TZ

    return {
        "seq": alert.seq,
        "at": alert.at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M"),
        "alert": alert.alert,
        "name": alert_name(alert.alert),
        "state": alert.state,
        "subject": alert.subject,
        "channels": [
            {
                "channel": d.channel,
                "sent": d.sent,
                "attempts": d.attempts,
                "error": d.error,
                "retry_at": d.retry_at.astimezone(OFFICE_TZ).strftime("%H:%M:%S") if d.retry_at else None,
            }
            for d in alert.deliveries
        ],
    }


@alerts.command("list")
@click.option(
    "--limit", default=30, show_default=True, type=click.IntRange(1, 1000), help="Newest alerts shown."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_cli
def list_cmd(ctx: CliContext, limit: int, as_json: bool) -> None:
    """The newest alerts, newest first: when, what, and where each delivery stands."""
    from kiosk.desk.alerts import alert_history

    lines = [_line(a) for a in alert_history(ctx.desk, limit)]
    if as_json:
        for line in lines:
            echo(json.dumps(line, ensure_ascii=False))
        return
    if not lines:
        echo("no alerts on this ledger")
        return
    for line in lines:
        channels = ", ".join(
            f"{c['channel']} sent"
            if c["sent"]
            else f"{c['channel']} failed x{c['attempts']} (retry {c['retry_at']}: {c['error']})"
            if c["attempts"]
            else f"{c['channel']} waiting"
            for c in line["channels"]
        )
        echo(f"#{line['seq']} {line['at']} {clean(line['name'])} [{line['state']}] {channels}")
