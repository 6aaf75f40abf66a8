"""The core's daily close: only a responsible officer closes (refusal recorded before any work), the
head must be the chain's, and the home screen's warning names the previous office day until that very
day is closed (a later day's close does not stand in for it; weekends are not office days)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.desk import Desk, NotAllowed
from kiosk.desk.closing import CloseRefused
from kiosk.desk.views import HeadMark
from kiosk.domain.events import EventKind
from kiosk.domain.staff import Role
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.meta import initialise
from kiosk.ledger.service import Ledger
from tests.conftest import PINS, FakeClock
from tests.ledger.helpers import ids, receive


@pytest.fixture
def desk(tmp_path: Path, clock: FakeClock) -> Desk:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"test-pepper", kiosk="kiosk-test", clock=clock)
    initialise(ledger)
    settings = Settings.model_validate({"ledger": {"url": url}, "paths": {"data_dir": str(tmp_path / "var")}})
    return Desk(ledger, settings)


def kinds(desk: Desk, kind: EventKind) -> list[dict[str, object]]:
    return [json.loads(e.payload) for e in desk.event_rows() if e.kind == kind]


def test_only_an_officer_closes_and_the_warning_waits_for_that_very_day(desk: Desk, clock: FakeClock) -> None:
    officer = desk.ledger.add_staff(
        name="保管 正子", badge="O001", employee_no="E-O001", role=Role.OFFICER, rank=0, pin=PINS["O001"]
    )
    clerk = desk.ledger.add_staff(
        name="窓口 一郎", badge="C001", employee_no="E-C001", role=Role.CLERK, pin=PINS["C001"]
    )
    receive(desk.ledger, ids(3))
    first_day = date(2026, 4, 1)  # a Wednesday
    assert desk.close_missing(clock()) is None  # the ledger's first day: nothing before it
    assert desk.last_close() is None

    clock.advance(days=1)
    assert desk.close_missing(clock()) == first_day
    with pytest.raises(NotAllowed):
        desk.close_day(first_day, clerk)
    refused = kinds(desk, EventKind.REFUSED)
    assert refused[-1]["attempted"] == "daily_close"
    assert kinds(desk, EventKind.LEDGER_VERIFIED) == []  # refused before the verify ran
    with pytest.raises(CloseRefused, match="does not hold"):
        desk.close_day(first_day, officer, HeadMark(1, "0" * 64))

    today = desk.close_day(date(2026, 4, 2), officer)  # closing today does not close yesterday
    assert desk.close_missing(clock()) == first_day
    closed = desk.close_day(first_day, officer)
    assert desk.close_missing(clock()) is None
    assert closed.backup.is_file()
    assert closed.head_seq < today.seq
    last = desk.last_close()
    assert last is not None
    assert (last.day, last.closed_by, last.head_seq) == (first_day, "保管 正子", closed.head_seq)

    clock.advance(days=4)  # Monday 6 April: the office day before it is Friday the 3rd
    assert desk.close_missing(clock()) == date(2026, 4, 3)


def test_a_head_hash_with_a_run_of_digits_is_recorded_as_the_digest_it_is(desk: Desk) -> None:
    from kiosk.domain.events import DailyClosed
    from kiosk.domain.guard import TextRefusal

    # One event hash in a few thousand holds 12 digits in a row: a digest, checked by its format.
    digits = "".join(str(i % 10) for i in range(13)) + "a" * 51
    with desk.ledger.unit() as u:
        u.append(EventKind.DAILY_CLOSED, payload=DailyClosed("2026-04-01", 1, digits, 1))
    assert kinds(desk, EventKind.DAILY_CLOSED)[-1]["head_hash"] == digits
    with pytest.raises(TextRefusal), desk.ledger.unit() as u:
        u.append(EventKind.DAILY_CLOSED, payload=DailyClosed("2026-04-01", 1, digits[:-1] + "z", 1))
