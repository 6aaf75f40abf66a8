"""Small builders for ledger tests."""

from __future__ import annotations

from drivers.damm import with_check_digit
from kiosk.domain.delivery import parse_delivery
from kiosk.ledger.service import Ledger


def ids(count: int, start: int = 1, prefix: str = "7") -> list[str]:
    """Valid management IDs (test range, leading 7)."""
    return [with_check_digit(f"{prefix}{n:08d}") for n in range(start, start + count)]


def receive(
    ledger: Ledger, management_ids: list[str], batch: str = "B-TEST", kind: str = "mynumber_card"
) -> None:
    text = "management_id,kind\n" + "".join(f"{m},{kind}\n" for m in management_ids)
    ledger.receive_batch(batch, parse_delivery(text))
