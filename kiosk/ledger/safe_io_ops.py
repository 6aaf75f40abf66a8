"""The safe's door and lock events of one kiosk, read back for the core's fold (kiosk.domain.safe_door).

The core keeps the fold in memory while the kiosk runs and rebuilds it from here at start; the
events themselves are written through `Unit.append` like every other.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from kiosk.domain.safe_door import SAFE_KINDS
from kiosk.ledger import models
from kiosk.ledger.service import Ledger


def safe_events(ledger: Ledger, kiosk: str) -> list[tuple[int, datetime, str, dict[str, Any]]]:
    """(seq, at, kind, payload) of this kiosk's safe events, oldest first."""
    with ledger.read() as s:
        rows = s.execute(
            select(models.Event.seq, models.Event.at, models.Event.kind, models.Event.payload)
            .where(models.Event.kind.in_([k.value for k in SAFE_KINDS]), models.Event.device == kiosk)
            .order_by(models.Event.seq)
        ).all()
    out = []
    for seq, at, kind, payload in rows:
        try:
            data = json.loads(payload)
        except ValueError:
            data = {}
        out.append((int(seq), at, str(kind), data if isinstance(data, dict) else {}))
    return out
