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
        fold.catch_up(conn, ledger.pepper, after)
        assert (fold.upto, fold.members[crew.clerk.id]["active"]) == (after, 0)
        # A head behind the fold (a restored, shorter chain): the fold is made again up to it, and the
        # deactivation after it is not in it.
        fold.catch_up(conn, ledger.pepper, before)
        assert (fold.upto, fold.members[crew.clerk.id]["active"]) == (before, 1)
