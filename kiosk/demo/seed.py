"""Fill an empty ledger with the demo office: staff (badges and PINs shown on the demo panel) and cards.

The same seed serves `kiosk demo`, training mode and the tests; the cards are the simulator cabinet's,
so simulated scans and RFID rounds find them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.demo.retention_seed import seed_retention
from kiosk.domain.delivery import parse_delivery
from kiosk.domain.staff import Role
from simulator.cabinet import Cabinet

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.desk.views import Ledger


@dataclass(frozen=True, slots=True)
class DemoStaff:
    """A demo member of staff (badge and PIN are printed on the demo panel on purpose)."""

    badge: str
    name: str
    role: Role
    rank: int | None
    pin: str
    employee_no: str


DEMO_STAFF = (
    DemoStaff("O001", "保管 正子", Role.OFFICER, 0, "1111", "E1001"),
    DemoStaff("O002", "保管 副男", Role.OFFICER, 1, "2222", "E1002"),
    DemoStaff("C001", "窓口 一郎", Role.CLERK, None, "3333", "E2001"),
    DemoStaff("C002", "窓口 二郎", Role.CLERK, None, "4444", "E2002"),
    DemoStaff("S001", "課長 三子", Role.SUPERVISOR, None, "5555", "E3001"),
    DemoStaff("A001", "情報 管理子", Role.ADMIN, None, "9999", "E9001"),
)
# The administrator is created first (kiosk init); the others are added by the administrator with the
# first officer as witness, as on site.
DEMO_ADMIN = "A001"
DEMO_CARDS = 120
PICK_LIST_SIZE = 6


def demo_cabinet() -> Cabinet:
    """The demo cabinet (deterministic)."""
    return Cabinet.generate(DEMO_CARDS, seed=2017)


def seed_demo(ledger: Ledger, cabinet: Cabinet | None = None, settings: Settings | None = None) -> Cabinet:
    """Seed an empty ledger through the application core; a ledger that already has staff is left alone.

    Today's pick list is booked by the supervisor, so either of the session's people may take the cards
    out (the booker may not take out alone).
    """
    from kiosk.config import Settings
    from kiosk.desk import Desk

    cabinet = cabinet or demo_cabinet()
    desk = Desk(ledger, settings or Settings())
    if desk.staff_count(active_only=False):
        return cabinet
    by_badge = {s.badge: s for s in DEMO_STAFF}
    first = by_badge[DEMO_ADMIN]
    admin = desk.init_administrator(
        name=first.name, badge=first.badge, employee_no=first.employee_no, pin=first.pin
    )
    people = {DEMO_ADMIN: admin}
    witness = None
    for s in DEMO_STAFF:
        if s.badge == DEMO_ADMIN:
            continue
        people[s.badge] = desk.add_staff(
            admin,
            witness,
            name=s.name,
            badge=s.badge,
            employee_no=s.employee_no,
            role=s.role,
            rank=s.rank,
            pin=s.pin,
        )
        witness = witness or people[s.badge]
    officer, clerk, supervisor = people["O001"], people["C001"], people["S001"]
    cards = list(cabinet.cards.values())
    half = len(cards) // 2
    for batch, part in (("J-LIS-2026-001", cards[:half]), ("J-LIS-2026-002", cards[half:])):
        text = "management_id,kind\n" + "".join(f"{c.management_id},{c.kind}\n" for c in part)
        desk.receive(batch, parse_delivery(text), officer, clerk)
    desk.bind_rfid([(c.management_id, c.tag_epc) for c in cards if c.tag_epc], officer, clerk)
    desk.book([c.management_id for c in cards[:PICK_LIST_SIZE]], supervisor)
    seed_retention(desk, cabinet)  # notice/reminder dates and a hold, so every due list has cards
    return cabinet
