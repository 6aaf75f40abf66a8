"""A virtual cabinet of cards with labels and RFID tags, the simulator's ground truth.

Tests and the demo build a cabinet, put it behind simulated devices, and compare what the kiosk
concluded with what the cabinet really holds.
"""

from __future__ import annotations

import random
from collections.abc import Callable
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
    """The cards physically present in the safe (the simulator's truth, not the ledger's).

    A card taken out of the tray for a while (`take_out`: out at the counter, handed over) is `away`
    and comes back with `put_back`; `remove` takes a card away for good (behind the kiosk's back).
    `follow`, when set, is called before the tray is read (`ids`, `by_tag`), so an owner can make the
    tray follow the world outside the simulator: the demo's follows its ledger, so a card handed over
    at the counter is not in the next tray photo or RFID round.
    """

    cards: dict[str, VirtualCard] = field(default_factory=dict)
    away: dict[str, VirtualCard] = field(default_factory=dict)
    follow: Callable[[Cabinet], None] | None = field(default=None, repr=False, compare=False)
    _following: bool = field(default=False, init=False, repr=False, compare=False)

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

    def take_out(self, management_id: str) -> None:
        """The card leaves the tray for now (out at the counter, or handed over)."""
        card = self.cards.pop(management_id, None)
        if card is not None:
            self.away[management_id] = card

    def put_back(self, management_id: str) -> None:
        """A card that was away is back in the tray (a card removed for good stays gone)."""
        card = self.away.pop(management_id, None)
        if card is not None:
            self.cards[management_id] = card

    def all_ids(self) -> list[str]:
        """Every card of this cabinet, in the tray or away, sorted (not the ones removed for good)."""
        return sorted({*self.cards, *self.away})

    def refresh(self) -> None:
        """Let `follow` bring the tray up to date (once; a follower that reads the tray is not re-entered)."""
        if self.follow is None or self._following:
            return
        self._following = True
        try:
            self.follow(self)
        finally:
            self._following = False

    def ids(self) -> list[str]:
        """Management IDs present, sorted."""
        self.refresh()
        return sorted(self.cards)

    def by_tag(self) -> dict[str, str]:
        """EPC -> management ID for every tagged card present."""
        self.refresh()
        return {c.tag_epc: c.management_id for c in self.cards.values() if c.tag_epc}

    def __len__(self) -> int:
        return len(self.cards)
