"""The My Number guard (番号法 Art. 20): a 12-digit value never reaches storage, logs or reports.

The check itself lives in `drivers.text` so that drivers refuse at the source; this module is the
kiosk's entry point for every other input path (typed entry, CSV import, badge codes, config).
"""

from __future__ import annotations

from drivers.text import REASON_MYNUMBER, looks_like_individual_number
from kiosk.domain.management_id import Refusal

__all__ = ["REASON_MYNUMBER", "ensure_not_individual_number", "looks_like_individual_number"]


def ensure_not_individual_number(text: str, what: str = "value") -> str:
    """Return `text` unchanged, or raise `Refusal(mynumber_refused)` without repeating it."""
    if looks_like_individual_number(text):
        raise Refusal(REASON_MYNUMBER, f"{what} has the shape of an individual number and was discarded")
    return text
