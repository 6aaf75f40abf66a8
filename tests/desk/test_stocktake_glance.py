"""The stocktake screen's glance is the reconciliation, counted and cut in SQL: every count equal to
`reconcile()`'s, and each list the first rows of `reconcile()`'s list, in its order (SQLite and
PostgreSQL)."""

from __future__ import annotations

import pytest

from drivers.damm import with_check_digit
from kiosk.desk import Desk
from kiosk.domain.safe_session import Override, ScanMode
from kiosk.ledger.service import Ledger
from kiosk.ledger.stocktake_glance import StocktakeGlance
from simulator.cabinet import Cabinet
from tests import ledger_ops as st
from tests.conftest import Crew
from tests.ledger_ops import open_session, scan_in_session
from tests.stocktake.helpers import fill_from_cabinet


def counted_stocktake(ledger: Ledger, crew: Crew) -> int:
    """A stocktake with several cards on every list: missing, misplaced, unexpected, unknown, repeated."""
    cabinet = Cabinet.generate(40, seed=11)
    fill_from_cabinet(ledger, cabinet, actor_id=crew.officer.id)
    ids = cabinet.ids()
    cards = cabinet.cards
    session = open_session(ledger, crew.officer, crew.clerk, required=[], confirmed=[])
    override = Override(crew.supervisor, "test")
    taken = ids[-3:]  # out of the safe before the stocktake: seen in it, they are unexpected
    for mid in taken:
        assert scan_in_session(ledger, session.id, mid, ScanMode.TAKE_OUT, crew.clerk, override=override).ok
    view = st.start(ledger, crew.officer, crew.clerk)
    st.record_many(ledger, view.id, ids[:20], source="rfid")
    st.record_many(ledger, view.id, ids[:6], source="tray_photo")  # six repeats
    shelf = cards[ids[20]].location
    assert st.record_scan(ledger, view.id, f"L:{shelf}", device="hand").code.value == "location"
    elsewhere = [m for m in ids[20:-3] if cards[m].location != shelf][:4]
    for mid in elsewhere:
        assert st.record_scan(ledger, view.id, mid, device="hand").code.value == "misplaced"
    for mid in taken:
        assert st.record_scan(ledger, view.id, mid).code.value == "unexpected"
    for i in range(3):
        assert st.record_scan(ledger, view.id, with_check_digit(f"79{i:07d}")).code.value == "unknown"
    return view.id


def lists(g: StocktakeGlance | st.StocktakeResult, n: int) -> dict[str, list[st.ResultLine]]:
    return {
        name: list(getattr(g, name))[:n]
        for name in ("missing", "misplaced", "unexpected", "unknown", "duplicates")
    }


@pytest.mark.parametrize("lines", [1, 2, 1000])
def test_the_glance_is_the_reconciliation_cut_to_its_first_lines(
    desk: Desk, ledger: Ledger, crew: Crew, lines: int
) -> None:
    sid = counted_stocktake(ledger, crew)
    result = desk.reconcile(sid)
    glance = desk.stocktake_glance(sid, lines=lines)
    # Every list has more than two lines, so the cut is tested, and the whole list when it fits.
    assert min(len(result.missing), len(result.misplaced), len(result.duplicates)) > 2
    assert min(len(result.unexpected), len(result.unknown)) > 2
    assert glance.progress == result.progress
    assert dict(glance.sources) == dict(result.sources)
    assert lists(glance, lines) == lists(result, lines)
    assert all(len(v) == min(lines, len(getattr(result, k))) for k, v in lists(glance, 10_000).items())


def test_a_fresh_stocktake_glances_at_a_bounded_list_and_an_unknown_one_is_refused(
    desk: Desk, ledger: Ledger, crew: Crew
) -> None:
    cabinet = Cabinet.generate(30, seed=3)
    fill_from_cabinet(ledger, cabinet, actor_id=crew.officer.id)
    view = st.start(ledger, crew.officer, crew.clerk)
    glance = desk.stocktake_glance(view.id, lines=5)
    assert (glance.progress.expected, glance.progress.found, glance.progress.missing) == (30, 0, 30)
    assert [line.management_id for line in glance.missing] == sorted(cabinet.ids())[:5]
    assert glance.misplaced == glance.unexpected == glance.unknown == glance.duplicates == ()
    with pytest.raises(st.StocktakeError):
        desk.stocktake_glance(view.id + 1)
