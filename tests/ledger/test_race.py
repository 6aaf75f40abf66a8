"""Two kiosks (two processes) take the same card out at the same moment: exactly one wins."""

from __future__ import annotations

import multiprocessing as mp
from datetime import datetime
from multiprocessing.synchronize import Barrier

import pytest

from kiosk.domain.safe_session import ScanMode
from kiosk.domain.status import CardStatus
from kiosk.ledger.engine import make_engine
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.conftest import Crew, FakeClock
from tests.ledger.helpers import ids, receive
from tests.ledger_ops import add_to_pick_list, open_session, scan_in_session

CHECKS = ["ok"]


def _kiosk(  # a child process is one kiosk
    url: str,
    kiosk: str,
    now: datetime,
    session_id: int,
    card: str,
    clerk_badge: str,
    barrier: Barrier,
    out: mp.Queue,  # type: ignore[type-arg]
) -> None:
    ledger = Ledger(make_engine(url), pepper=b"test-pepper", kiosk=kiosk, clock=lambda: now)
    clerk = ledger.staff_by_badge(clerk_badge)
    assert clerk is not None
    barrier.wait(timeout=60)
    verdict = scan_in_session(ledger, session_id, card, ScanMode.TAKE_OUT, clerk, device=kiosk)
    out.put((kiosk, verdict.code))


@pytest.mark.parametrize("rounds", [3])
def test_two_kiosks_race_for_one_card(
    ledger: Ledger, crew: Crew, db_url: str, clock: FakeClock, rounds: int
) -> None:
    cards = ids(rounds)
    receive(ledger, cards)
    add_to_pick_list(ledger, cards, crew.supervisor)
    # Each kiosk has its own open session (two safes, one shared ledger).
    first = open_session(ledger, crew.officer, crew.clerk, required=CHECKS, confirmed=CHECKS)
    other = Ledger(ledger.engine, pepper=b"test-pepper", kiosk="kiosk-2", clock=ledger.clock)
    second = open_session(other, crew.deputy, crew.clerk2, required=CHECKS, confirmed=CHECKS)

    ctx = mp.get_context("spawn")
    for card in cards:
        barrier = ctx.Barrier(2)
        results: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        procs = [
            ctx.Process(
                target=_kiosk, args=(db_url, "kiosk-1", clock.now, first.id, card, "C001", barrier, results)
            ),
            ctx.Process(
                target=_kiosk, args=(db_url, "kiosk-2", clock.now, second.id, card, "C002", barrier, results)
            ),
        ]
        for p in procs:
            p.start()
        codes = sorted(results.get(timeout=60)[1] for _ in procs)
        for p in procs:
            p.join(timeout=60)
            assert p.exitcode == 0
        assert codes == ["already_out", "taken_out"]
        assert ledger.card(card).status is CardStatus.OUT  # type: ignore[union-attr]
    report = verify(ledger)
    assert report.ok, report.problem
