"""`kiosk supervise`: the supervisor's view in a browser (read-only; binds 127.0.0.1 unless told)."""

from __future__ import annotations

import os
import socket

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, ledger_errors, pass_cli


@cli.command()
@click.option(
    "--host",
    default=None,
    help="Address to listen on (0.0.0.0: the LAN) [default: [supervise] host, 127.0.0.1].",
)
@click.option(
    "--port", default=None, type=click.IntRange(1, 65535), help="TCP port [default: [supervise] port, 8765]."
)
@click.option(
    "--session-minutes",
    default=None,
    type=click.IntRange(1, 24 * 60),
    help="Minutes a sign-in lasts before the browser must sign in again [default: [supervise], 60].",
)
@click.option(
    "--random-key", is_flag=True, help="Sign cookies with a per-process key (a restart signs everyone out)."
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Serve HTTPS with this certificate (PEM); cookies are then Secure. Needs --tls-key.",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The certificate's key (PEM).",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Watch the demo ledger (demo/ in the data directory) that `kiosk demo` plays.",
)
@pass_cli
def supervise(
    ctx: CliContext,
    host: str | None,
    port: int | None,
    session_minutes: int | None,
    random_key: bool,
    tls_cert: str | None,
    tls_key: str | None,
    demo: bool,
) -> None:
    """Serve the supervisor's view: every safe, every card out, today's counts and alerts, live.

    Sign in with a supervisor's or administrator's badge and PIN (a wrong PIN here backs off this
    browser's address and never locks the badge out at the kiosk). The
    page never changes the ledger; approvals stay at the kiosk. One view serves every kiosk that shares
    the ledger (PostgreSQL), or the one kiosk on SQLite.
    """
    import uvicorn

    from kiosk.desk import Desk, admin
    from kiosk.desk.alerts import start_alerter
    from kiosk.supervise.app import ViewSettings, create_app

    if (tls_cert is None) != (tls_key is None):
        fail("--tls-cert and --tls-key go together")
    settings = ctx.settings
    # Unset options come from [supervise] in the configuration (the installed service passes none).
    host = host or settings.supervise.host
    port = port or settings.supervise.port
    session_minutes = session_minutes or settings.supervise.session_minutes
    if demo and not ctx.db_url:
        from kiosk.cli.app_cmds import demo_settings
        from kiosk.config import data_paths

        settings = demo_settings(settings)
        if not data_paths(settings).ledger.exists():
            fail(f"no demo ledger at {data_paths(settings).ledger}; start `kiosk demo` first")
    with ledger_errors(settings.ledger.url):
        ledger = admin.open_ledger(settings, hold=True)  # `kiosk restore` refuses while it serves
    view = ViewSettings.from_settings(settings, session_minutes=session_minutes)
    desk = Desk(ledger, settings)
    app = create_app(desk, view, random_key=random_key)
    try:
        sock = socket.create_server((host, port))
    except OSError as exc:
        admin.dispose(ledger)
        fail(f"cannot listen on {host}:{port}: {os.strerror(exc.errno) if exc.errno else exc}")
    local = host in ("127.0.0.1", "localhost", "::1")
    where = "this computer only" if local else "the network"
    scheme = "https" if tls_cert else "http"
    click.echo(f"supervisor's view on {scheme}://{host}:{port}/ ({where}); Ctrl+C stops it", err=True)
    if not local and not tls_cert:
        # Badges, PINs and the sign-in cookie cross the LAN unencrypted: say so every time.
        click.echo(
            "warning: plain HTTP: badges, PINs and the sign-in cookie travel unencrypted; keep the view"
            " on a closed office network or put a TLS proxy in front",
            err=True,
        )
    config = uvicorn.Config(
        app,
        log_level="warning",
        timeout_graceful_shutdown=2,
        lifespan="off",
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
    )
    # The view also sends the alerts (e-mail, webhook) when [alerts] names a channel: on a thread of its
    # own, and only while it holds the ledger's sender lease (a kiosk on the same ledger may hold it).
    alerter = None if demo else start_alerter(desk)
    if alerter is not None:
        click.echo(f"sending alerts by {', '.join(settings.alerts.channels)}", err=True)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        if alerter is not None:
            alerter.stop()
        sock.close()
        admin.dispose(ledger)
