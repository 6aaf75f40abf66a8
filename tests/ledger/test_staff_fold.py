"""The staff fold each process keeps (kiosk.ledger.service.StaffFold): what the chain's staff events made
each staff row, up to a head, so that an older version of a row put back is refused (tests/security)."""

from __future__ import annotations

from kiosk.desk import Desk
from kiosk.ledger.service import Ledger
from tests.conftest import Crew


def test_the_fold_stops_at_the_head_it_is_given_and_starts_anew_on_a_shorter_chain(
    desk: Desk, crew: Crew, ledger: Ledger
) -> None:
    fold = ledger._staff_fold
    desk.open_safe(crew.officer, crew.clerk, desk.settings.session.opening_checklist)  # an act: fold built
    before = ledger.head()[0]
    assert fold.upto == before
    assert fold.members[crew.clerk.id]["active"] == 1
    desk.deactivate(crew.admin, crew.supervisor, "C001")
    after = ledger.head()[0]
    with ledger.engine.connect() as conn:
        fold.catch_up(conn, after)
        assert (fold.upto, fold.members[crew.clerk.id]["active"]) == (after, 0)
        # A head behind the fold (a restored, shorter chain): the fold is made again up to it, and the
        # deactivation after it is not in it.
        fold.catch_up(conn, before)
        assert (fold.upto, fold.members[crew.clerk.id]["active"]) == (before, 1)


def test_the_scans_staff_check_walks_the_primary_key_not_every_staff_event(ledger: Ledger) -> None:
    """Every scan asks whether a staff event came after the fold's: SQLite must answer from the primary
    key's range after it (a few events), never from the kind's index (every sign-in of years)."""
    import datetime

    import pytest

    from kiosk.ledger import service

    if ledger.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan (PostgreSQL plans by its statistics)")
    plan = service._SCAN_FACTS._plan(ledger.engine.dialect, None)
    params = {"actor": 1, "second": None, "sid": 1, "mid": "x", "day": datetime.date(2026, 12, 7)}
    values = service._SCAN_FACTS._values(plan, params | {"fold_upto": 10})
    with ledger.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        steps = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + plan.sql, values).fetchall()]
    staff_check = steps[steps.index("SCALAR SUBQUERY 2") + 1]
    assert staff_check == "SEARCH events USING INTEGER PRIMARY KEY (rowid>?)", steps
