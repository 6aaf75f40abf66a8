"""A virtual cabinet of cards with labels and RFID tags, the simulator's ground truth.

Tests and the demo build a cabinet, put it behind simulated devices, and compare what the kiosk
concluded with what the cabinet really holds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from drivers.damm import with_check_digit

CARD_KINDS = ("mynumber_card", "notification_card")


@dataclass(frozen=True, slots=True)
class VirtualCard:
    """One card: its management ID (printed as Code 128 and a 2-D symbol), kind, tag and place."""

    management_id: str
    kind: str = "mynumber_card"
    tag_epc: str | None = None  # hex EPC of the bound UHF tag, if any
    location: str = "safe"


def make_management_id(serial: int, prefix: str = "8") -> str:
    """A valid 10-digit management ID for a running number (9 digits of body, then the Damm digit).

    The leading digit marks simulator IDs so they never collide with an office's real ones.
    """
    body = f"{prefix}{serial:08d}"
    if len(body) != 9:
        raise ValueError("serial too large for a 10-digit management ID")
    return with_check_digit(body)


@dataclass
class Cabinet:
    """The cards physically present in the safe (the simulator's truth, not the ledger's)."""

    cards: dict[str, VirtualCard] = field(default_factory=dict)

    @classmethod
    def generate(
        cls, count: int, *, seed: int = 0, start: int = 1, with_tags: bool = True, shelves: int = 4
    ) -> Cabinet:
        """A cabinet of `count` cards with consecutive IDs, deterministic for a seed."""
        rng = random.Random(seed)
        cabinet = cls()
        for i in range(start, start + count):
            mid = make_management_id(i)
            kind = CARD_KINDS[0] if rng.random() < 0.8 else CARD_KINDS[1]
            tag = f"E280{rng.getrandbits(80):020X}" if with_tags else None
            shelf = f"shelf-{(i % shelves) + 1}"
            cabinet.add(VirtualCard(mid, kind, tag, shelf))
        return cabinet

    def add(self, card: VirtualCard) -> None:
        """Put a card into the cabinet."""
        self.cards[card.management_id] = card

    def remove(self, management_id: str) -> VirtualCard:
        """Take a card out of the cabinet (it is then absent from any inventory)."""
        return self.cards.pop(management_id)

    def ids(self) -> list[str]:
        """Management IDs present, sorted."""
        return sorted(self.cards)

    def by_tag(self) -> dict[str, str]:
        """EPC -> management ID for every tagged card present."""
        return {c.tag_epc: c.management_id for c in self.cards.values() if c.tag_epc}

    def __len__(self) -> int:
        return len(self.cards)
