"""Queries the appliance's own jobs need (the installed timers, `kiosk doctor`): read-only, no rules.

The front ends (`kiosk.cli`) reach the ledger only through the desk; these are the few facts an
installed kiosk asks of it outside the day's work.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from kiosk.desk import Desk
from kiosk.ledger import models


def last_daily_close(desk: Desk) -> datetime | None:
    """When the daily close (日次締め: `kiosk report daily`) last verified the ledger, if ever.

    The daily close records `ledger_verified` on the chain whether or not the ledger verified, so its
    time says that the close was run, not that it passed.
    """

    def work() -> datetime | None:
        with desk.ledger.read() as s:
            return s.scalar(
                select(models.Event.at)
                .where(models.Event.kind == "ledger_verified")
                .order_by(models.Event.seq.desc())
                .limit(1)
            )

    return desk.read(work)


def ledger_head(desk: Desk) -> tuple[int, str]:
    """The chain head (sequence number, hash): a ledger that answers this is reachable."""
    return desk.read(desk.ledger.head)
