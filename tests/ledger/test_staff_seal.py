"""A ledger from before the row MAC (the 705e69e fixture) is sealed on its first open, on the chain;
from then on a staff row without its MAC is refused like one with a wrong MAC (issue 22)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from kiosk.domain.staff import AuthError
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.meta import check_identity, seal_staff, staff_sealed
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.ledger.test_ledger_from_before_the_core import FIXTURE, PEPPER, START


def test_an_older_ledger_is_sealed_once_and_then_holds_its_rows(tmp_path: Path) -> None:
    copy = tmp_path / "old.sqlite3"
    shutil.copyfile(FIXTURE, copy)
    engine = make_engine(f"sqlite:///{copy}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=PEPPER, kiosk="kiosk-old", clock=lambda: START)
    check_identity(ledger, "test")  # what open_ledger does first
    assert not staff_sealed(ledger)
    # The migration carried the old resets over: C002's PIN was reset and never chosen again.
    c002 = ledger.staff_by_badge("C002")
    assert c002 is not None
    assert c002.pin_change_due
    sealed = seal_staff(ledger)
    assert sealed == ledger.staff_count(active_only=False)
    assert seal_staff(ledger) == 0  # once
    assert [e.kind for e in ledger.events()].count("staff_sealed") == 1
    assert verify(ledger).ok
    assert ledger.authenticate("O001", "1111").badge == "O001"
    con = sqlite3.connect(copy)
    with con:
        con.execute("UPDATE staff SET role = 'supervisor', row_mac = NULL WHERE badge = 'C001'")
    con.close()
    with pytest.raises(AuthError) as refused:
        ledger.authenticate("C001", "3333")
    assert refused.value.reason == "integrity"
    assert not verify(ledger).ok
    engine.dispose()
