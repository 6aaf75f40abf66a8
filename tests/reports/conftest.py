"""A small office day on a real ledger: deliveries, a safe session, take-outs, an issue, refusals."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date

import pytest

from kiosk.config import DEFAULT_CLOSING_CHECKLIST, DEFAULT_OPENING_CHECKLIST
from kiosk.domain.card_state import office_date
from kiosk.domain.safe_session import ScanMode
from kiosk.ledger.safe import add_to_pick_list, close_session, open_session, scan_in_session
from kiosk.ledger.service import Ledger
from tests.conftest import Crew, FakeClock
from tests.ledger.helpers import ids, receive

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftoppm, pdftotext) is not installed; .ci/run installs it",
)


@dataclass
class Day:
    """What happened on the office day the reports are about."""

    day: date
    cards: list[str]
    issued: str
    returned: str
    refused_twelve: str


def run_day(ledger: Ledger, clock: FakeClock, crew: Crew) -> Day:
    cards = ids(8)
    receive(ledger, cards, batch="J-LIS-TEST-01")
    add_to_pick_list(ledger, cards[:2], crew.supervisor)
    clock.advance(minutes=30)
    session = open_session(
        ledger,
        crew.officer,
        crew.clerk,
        required=DEFAULT_OPENING_CHECKLIST,
        confirmed=DEFAULT_OPENING_CHECKLIST,
    )
    assert scan_in_session(ledger, session.id, cards[0], ScanMode.TAKE_OUT, crew.clerk).ok
    assert scan_in_session(ledger, session.id, cards[1], ScanMode.TAKE_OUT, crew.clerk).ok
    not_booked = scan_in_session(ledger, session.id, cards[2], ScanMode.TAKE_OUT, crew.clerk)
    assert not_booked.code == "not_on_pick_list"
    twelve = "".join(str(i % 10) for i in range(3, 15))
    assert scan_in_session(ledger, session.id, twelve, ScanMode.TAKE_OUT, crew.clerk).code == "refused_input"
    clock.advance(minutes=5)
    issued = scan_in_session(
        ledger, session.id, cards[0], ScanMode.HAND_OVER, crew.clerk, witness=crew.clerk2
    )
    assert issued.ok
    assert scan_in_session(ledger, session.id, cards[1], ScanMode.PUT_BACK, crew.clerk).ok
    close_session(
        ledger,
        session.id,
        crew.officer,
        crew.deputy,
        required=DEFAULT_CLOSING_CHECKLIST,
        confirmed=DEFAULT_CLOSING_CHECKLIST,
    )
    return Day(office_date(clock()), cards, cards[0], cards[1], twelve)


@pytest.fixture
def office_day(ledger: Ledger, clock: FakeClock, crew: Crew) -> Day:
    return run_day(ledger, clock, crew)
