"""The page's retention summary is kept between renders (`DueBoard`) and still follows every change:
a notice date, a hold, a take-out, a card coming back and the office date moving on. Through the
served page (Starlette's TestClient), and the board against the lists built from every card."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from kiosk.domain.card_state import office_date
from kiosk.domain.retention import RetentionPolicy, parse_dated_ids
from kiosk.domain.safe_session import ScanMode
from kiosk.ledger.read_models.due_board import DueBoard, DueSummary, summarise
from kiosk.ledger.retention_ops import due_lists
from tests.conftest import PINS
from tests.ledger_ops import record_sent, release_hold, scan_in_session, set_hold
from tests.supervise.conftest import FAST, Office, app_for
from tests.supervise.test_app import sign_in

POLICY = RetentionPolicy()  # the view's default: reminder due 30 days after the notice

_ROW = re.compile(r'<tr data-due="(\w+)"><th>[^<]*</th><td>(\d+)</td><td(?: class="ids")?>([^<]*)</td></tr>')


def due_rows(client: TestClient) -> dict[str, tuple[int, list[str]]]:
    """The page's work-list rows: key → (count, the IDs shown)."""
    r = client.get("/panel")
    assert r.status_code == 200
    rows = {
        key: (int(count), [i for i in ids.replace(" …", "").split("、") if i])
        for key, count, ids in _ROW.findall(r.text)
    }
    assert set(rows) == {"reminders_due", "eligible", "held", "notice_unknown", "waiting"}
    return rows


def send(office: Office, which: str, card: str, on: date) -> None:
    today = office_date(office.clock())
    record_sent(office.ledger, which, parse_dated_ids([f"{card},{on}"], default=None, today=today))


def test_the_page_shows_each_change_of_the_work_lists_after_it_was_first_rendered(office: Office) -> None:
    client = TestClient(app_for(office, FAST))  # one app, so one board, for the whole test
    sign_in(client, "S001", PINS["S001"])
    a, b, c, d = office.cards[:4]
    today = office_date(office.clock())
    rows = due_rows(client)  # the first render fills the board
    assert rows["notice_unknown"][0] == 12
    assert rows["reminders_due"] == (0, [])

    # A notice sent 40 days ago: the reminder is due today.
    send(office, "notice", a, today - timedelta(days=40))
    rows = due_rows(client)
    assert rows["reminders_due"] == (1, [a])
    assert rows["notice_unknown"][0] == 11
    assert a not in rows["notice_unknown"][1]

    # On hold: the card leaves the reminder list for the held list.
    set_hold(office.ledger, a, "長期入院", actor_id=office.crew.officer.id)
    rows = due_rows(client)
    assert rows["held"] == (1, [a])
    assert rows["reminders_due"] == (0, [])
    release_hold(office.ledger, a, actor_id=office.crew.officer.id)
    assert due_rows(client)["reminders_due"] == (1, [a])

    # Taken out of the safe: no longer waiting there; put back: waiting again.
    office.book(b)
    session = office.open_safe()
    office.take_out(session, b)
    rows = due_rows(client)
    assert rows["notice_unknown"][0] == 10
    assert b not in rows["notice_unknown"][1]
    back = scan_in_session(office.ledger, session.id, b, ScanMode.PUT_BACK, office.crew.clerk)
    assert back.ok, back
    rows = due_rows(client)
    assert rows["notice_unknown"][0] == 11
    assert b in rows["notice_unknown"][1]

    # A notice sent today: its period runs; 31 days on (a new office date) its reminder is due.
    send(office, "notice", c, today)
    rows = due_rows(client)
    assert rows["waiting"][0] == 1
    assert c not in rows["reminders_due"][1]
    office.close_safe(session)
    office.clock.advance(days=31)
    sign_in(client, "S001", PINS["S001"])  # the cookie of a month ago has long expired
    rows = due_rows(client)
    assert rows["reminders_due"] == (2, [a, c])
    assert rows["waiting"][0] == 0
    assert d in rows["notice_unknown"][1]


def yardstick(office: Office) -> DueSummary:
    """The summary built from every waiting card, as the page did before the board."""
    return summarise(due_lists(office.ledger, POLICY, office_date(office.clock())))


def test_the_board_matches_the_lists_built_from_every_card_and_rebuilds_only_for_a_new_day(
    office: Office,
) -> None:
    board = DueBoard(office.ledger, POLICY)
    a, b, c = office.cards[:3]
    today = office_date(office.clock())

    def check() -> None:
        assert board.summary(office_date(office.clock())) == yardstick(office)

    check()
    send(office, "notice", a, today - timedelta(days=200))
    send(office, "notice", b, today - timedelta(days=35))
    send(office, "notice", c, today)
    check()
    send(office, "reminder", a, today - timedelta(days=100))  # 90 days after the reminder: eligible
    check()
    set_hold(office.ledger, b, "所在確認中", actor_id=office.crew.officer.id)
    check()
    office.book(c)
    session = office.open_safe()
    office.take_out(session, c)
    check()
    office.clock.advance(days=1)  # the same cards, one office day later
    check()
    assert board.summary(office_date(office.clock())).counts["eligible"] == 1
    # Everything but the new office date came from the events since the last read.
    assert board.rebuilds == 2


def test_the_board_starts_again_when_the_chain_under_it_is_rewound_or_replaced(
    office: Office, tmp_path: Path
) -> None:
    """A file-level restore (SQLite's online backup API copying an older copy over the live ledger):
    first a shorter chain, then the old chain grown past the length the board last saw."""
    if office.ledger.engine.dialect.name != "sqlite":
        pytest.skip("an online file-level restore is SQLite's; PostgreSQL restores are pg_restore")
    live = office.ledger.engine.url.database
    assert live is not None
    board = DueBoard(office.ledger, POLICY)
    a, b, c = office.cards[:3]
    today = office_date(office.clock())

    def check() -> None:
        assert board.summary(today) == yardstick(office)

    check()
    copy = tmp_path / "before.sqlite3"
    with sqlite3.connect(live) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    send(office, "notice", a, today - timedelta(days=40))  # the reminder is due: on the board
    send(office, "notice", b, today - timedelta(days=40))
    check()
    assert board.summary(today).counts["reminders_due"] == 2

    def restore() -> None:
        office.ledger.engine.dispose()  # no pooled connection keeps a page of the replaced file
        with sqlite3.connect(copy) as src, sqlite3.connect(live) as dst:
            src.backup(dst)

    restore()  # rewound: the chain is shorter than the board last saw
    check()
    assert board.summary(today).counts["reminders_due"] == 0
    send(office, "notice", a, today - timedelta(days=40))
    send(office, "notice", b, today - timedelta(days=40))
    check()
    restore()  # replaced: then grown past the length the board saw, by other events
    send(office, "notice", c, today - timedelta(days=40))
    set_hold(office.ledger, a, "所在確認中", actor_id=office.crew.officer.id)
    set_hold(office.ledger, b, "所在確認中", actor_id=office.crew.officer.id)
    check()
    assert board.summary(today).reminders_due == (c,)
