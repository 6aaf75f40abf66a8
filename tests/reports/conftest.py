"""A small office day on a real ledger: deliveries, a safe session, take-outs, an issue, refusals."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date

import pytest

from kiosk.config import DEFAULT_CLOSING_CHECKLIST, DEFAULT_OPENING_CHECKLIST
from kiosk.domain.card_state import office_date
from kiosk.domain.delivery import parse_delivery
from kiosk.domain.safe_session import Override, ScanMode
from kiosk.ledger.service import Ledger
from tests.conftest import Crew, FakeClock
from tests.ledger.helpers import ids, receive
from tests.ledger_ops import add_to_pick_list, close_session, open_session, scan_in_session

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
    overridden: str
    notification: list[str]


def run_day(ledger: Ledger, clock: FakeClock, crew: Crew) -> Day:
    cards = ids(8)
    text = "management_id,kind\n" + "".join(f"{m},mynumber_card\n" for m in cards)
    # Received by an officer with a witness, as the core requires (受領: who received it is on paper).
    ledger.receive_batch(
        "J-LIS-TEST-01", parse_delivery(text), actor_id=crew.officer.id, witness_id=crew.clerk2.id
    )
    notification = ids(2, start=50)
    receive(ledger, notification, batch="J-LIS-TEST-02", kind="notification_card")
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
    urgent = Override(crew.supervisor, "窓口で急ぎの交付依頼")
    rushed = scan_in_session(ledger, session.id, cards[2], ScanMode.TAKE_OUT, crew.clerk, override=urgent)
    assert rushed.ok
    assert scan_in_session(ledger, session.id, cards[2], ScanMode.PUT_BACK, crew.clerk).ok
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
    return Day(office_date(clock()), cards, cards[0], cards[1], twelve, cards[2], notification)


@pytest.fixture
def office_day(ledger: Ledger, clock: FakeClock, crew: Crew) -> Day:
    return run_day(ledger, clock, crew)
