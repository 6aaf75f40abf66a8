"""Builders for stocktake tests: a ledger filled from a simulator cabinet."""

from __future__ import annotations

from kiosk.domain.delivery import parse_delivery
from kiosk.ledger.service import Ledger
from simulator.cabinet import Cabinet


def fill_from_cabinet(ledger: Ledger, cabinet: Cabinet, *, actor_id: int | None = None) -> None:
    """Receive every card of the cabinet into the safe at its shelf, and bind its RFID tag."""
    by_shelf: dict[str, list[str]] = {}
    for card in cabinet.cards.values():
        by_shelf.setdefault(card.location, []).append(f"{card.management_id},{card.kind}\n")
    for shelf, lines in sorted(by_shelf.items()):
        text = "management_id,kind\n" + "".join(lines)
        ledger.receive_batch(f"B-{shelf}", parse_delivery(text), actor_id=actor_id, location=shelf)
    for card in cabinet.cards.values():
        if card.tag_epc:
            ledger.bind_rfid(card.management_id, card.tag_epc, actor_id=actor_id)
