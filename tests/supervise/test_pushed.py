"""The supervisor's page is pushed (issue 26): a committed unit wakes the event stream through the core's
head signal (PostgreSQL LISTEN/NOTIFY, SQLite's data_version), not through a timer.

The view here reads the head on a timer only once a minute, so a take-out that reaches the stream within
the read timeout can only have come through the push. The latency itself is measured by the bench
(`python -m bench.supervise_bench`), never asserted here.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from sqlalchemy import text

from kiosk.ledger.engine import make_engine
from kiosk.ledger.head_signal import LISTENER_NAME, head_signal
from kiosk.supervise.app import ViewSettings
from tests.conftest import PG_URL, PINS
from tests.supervise.conftest import Office
from tests.supervise.test_browser import _next_event

# No timer could deliver a row inside the test: the stream must be woken by the ledger.
NO_TIMER = ViewSettings(max_open_minutes=30, poll_seconds=60, refresh_seconds=60)
READ_TIMEOUT_S = 15  # generous for a loaded CI machine; far below the minute of the timers above


def _signed_in(client: httpx.Client) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
    assert token is not None
    r = client.post("/signin", data={"badge": "S001", "pin": PINS["S001"], "csrf": token.group(1)})
    assert r.status_code == 303


def _until_row(lines: Any, card: str) -> dict[str, str]:
    event = _next_event(lines)
    while f'data-card="{card}"' not in event["data"]:
        event = _next_event(lines)
    return event


def _wait_for(condition: Any, what: str) -> None:
    # The signal's reconnection happens on its own thread with no event to await from here.
    deadline = time.monotonic() + READ_TIMEOUT_S
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def test_a_take_out_is_pushed_and_the_listener_survives_a_lost_connection(office: Office, serve: Any) -> None:
    served = serve(office, NO_TIMER)
    session = office.open_safe()
    office.book(*office.cards[:2])
    signal = head_signal(office.ledger.engine)
    postgres = office.ledger.engine.dialect.name == "postgresql"
    with httpx.Client(base_url=served.url, timeout=httpx.Timeout(10, read=READ_TIMEOUT_S)) as client:
        _signed_in(client)
        with client.stream("GET", "/events") as stream:
            lines = stream.iter_lines()
            first = _next_event(lines)
            assert first["event"] == "panel"
            assert 'data-card="' not in first["data"]
            office.take_out(session, office.cards[0])
            pushed = _until_row(lines, office.cards[0])
            assert int(pushed["id"]) == office.ledger.head()[0]
            if not postgres:
                return
            # The server ends the listening backend (as a PostgreSQL restart would): the signal
            # reconnects, and the page keeps following the ledger.
            old = signal.listener_pid
            assert old is not None
            assert PG_URL is not None
            admin = make_engine(PG_URL)
            try:
                with admin.begin() as conn:
                    name = conn.execute(
                        text("SELECT application_name FROM pg_stat_activity WHERE pid = :pid"), {"pid": old}
                    ).scalar_one()
                    assert name == LISTENER_NAME
                    assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": old}).scalar_one()
                _wait_for(lambda: signal.listener_pid not in (None, old), "the listener did not reconnect")
                with admin.begin() as conn:
                    gone = conn.execute(
                        text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": old}
                    ).scalar_one()
                assert gone == 0
            finally:
                admin.dispose()
            # Taken out after the new LISTEN: only its NOTIFY can bring the row within the timeout.
            office.take_out(session, office.cards[1])
            pushed = _until_row(lines, office.cards[1])
            assert int(pushed["id"]) == office.ledger.head()[0]
    assert signal.connections >= 2
