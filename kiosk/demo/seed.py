"""Fill an empty ledger with the demo office: staff (badges and PINs shown on the demo panel) and cards.

The same seed serves `kiosk demo`, training mode and the tests; the cards are the simulator cabinet's,
so simulated scans and RFID rounds find them.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.demo.retention_seed import seed_retention
from kiosk.domain.delivery import parse_delivery
from kiosk.domain.staff import Role
from kiosk.ledger.safe import add_to_pick_list
from kiosk.ledger.service import Ledger
from simulator.cabinet import Cabinet


@dataclass(frozen=True, slots=True)
class DemoStaff:
    """A demo member of staff (badge and PIN are printed on the demo panel on purpose)."""

    badge: str
    name: str
    role: Role
    rank: int | None
    pin: str


DEMO_STAFF = (
    DemoStaff("O001", "保管 正子", Role.OFFICER, 0, "1111"),
    DemoStaff("O002", "保管 副男", Role.OFFICER, 1, "2222"),
    DemoStaff("C001", "窓口 一郎", Role.CLERK, None, "3333"),
    DemoStaff("C002", "窓口 二郎", Role.CLERK, None, "4444"),
    DemoStaff("S001", "課長 三子", Role.SUPERVISOR, None, "5555"),
)
DEMO_CARDS = 120
PICK_LIST_SIZE = 6


def demo_cabinet() -> Cabinet:
    """The demo cabinet (deterministic)."""
    return Cabinet.generate(DEMO_CARDS, seed=2017)


def seed_demo(ledger: Ledger, cabinet: Cabinet | None = None) -> Cabinet:
    """Seed an empty ledger; a ledger that already has staff is left as it is."""
    cabinet = cabinet or demo_cabinet()
    if ledger.list_staff():
        return cabinet
    people = {
        s.badge: ledger.add_staff(name=s.name, badge=s.badge, role=s.role, rank=s.rank, pin=s.pin)
        for s in DEMO_STAFF
    }
    officer, clerk = people["O001"], people["C001"]
    cards = list(cabinet.cards.values())
    half = len(cards) // 2
    for batch, part in (("J-LIS-2026-001", cards[:half]), ("J-LIS-2026-002", cards[half:])):
        text = "management_id,kind\n" + "".join(f"{c.management_id},{c.kind}\n" for c in part)
        ledger.receive_batch(batch, parse_delivery(text), actor_id=officer.id, witness_id=clerk.id)
    ledger.bind_rfid_many([(c.management_id, c.tag_epc) for c in cards if c.tag_epc], actor_id=officer.id)
    add_to_pick_list(ledger, [c.management_id for c in cards[:PICK_LIST_SIZE]], clerk)
    seed_retention(ledger, cabinet)  # notice/reminder dates and a hold, so every due list has cards
    return cabinet
