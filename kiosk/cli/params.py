"""Command-line parameters that never echo a refused value back (a bad argument may be a My Number).

Click's own messages repeat the input (`'1234-…' is not a valid integer`), and a number too large for the
database ends in a traceback. `RECORD_ID` (batch and stocktake numbers) and `COUNT` parse and range-check
with `kiosk.domain.guard` first and say only which argument was refused.
"""

from __future__ import annotations

from typing import Any

import click

from kiosk.domain.guard import MAX_ID, guard_int, guard_text
from kiosk.domain.management_id import Refusal

__all__ = ["COUNT", "RECORD_ID", "GuardedInt"]


class GuardedInt(click.ParamType[int, Any]):
    """A whole number from `low` to `high`; refusals name the argument, never the text given."""

    name = "integer"

    def __init__(self, low: int, high: int) -> None:
        self.low = low
        self.high = high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value)
            try:
                guard_text(text, "the value")
            except Refusal as exc:
                self.fail(exc.detail, param, ctx)
            stripped = text.strip()
            # ASCII digits only: int() would also take full-width digits and underscores.
            if not (stripped.isascii() and stripped.isdigit()):
                self.fail("not a whole number", param, ctx)
            number = int(stripped)
        try:
            return guard_int(number, "the value", low=self.low, high=self.high)
        except Refusal as exc:
            self.fail(exc.detail, param, ctx)


RECORD_ID = GuardedInt(1, MAX_ID)  # a batch, stocktake or session number
COUNT = GuardedInt(0, 1_000_000)  # a number of cards
