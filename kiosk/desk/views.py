"""The values front ends receive from the core, in one place.

Front ends (`kiosk.tui`, `kiosk.cli`, `kiosk.sim`, `kiosk.supervise`, `kiosk.reports`) import these names
from here, never from `kiosk.ledger`. Most are still defined in the ledger while the core is finished
(issue 20): when a definition moves out of the ledger, only this module changes, not the front ends.
`Ledger` is here for typing and for the few front ends that build one (the app factory, the demo).
"""

from __future__ import annotations

from kiosk.ledger.read_models import (
    DayFacts,
    EventRow,
    HeadMark,
    SessionRow,
    StaffRow,
)
from kiosk.ledger.retention_ops import DisposalBatch, DisposalError
from kiosk.ledger.safe import SessionView
from kiosk.ledger.service import Clock, HistoryEntry, Ledger, Verdict, today, utc_now
from kiosk.ledger.stocktake_glance import GLANCE_LINES, StocktakeGlance
from kiosk.ledger.stocktake_ops import (
    SOURCE_BARCODE,
    SOURCE_DECISION,
    SOURCE_RFID,
    SOURCE_TRAY,
    BatchVerdict,
    Progress,
    ResultLine,
    ScanVerdict,
    StocktakeError,
    StocktakeRecord,
    StocktakeResult,
    StocktakeView,
)
from kiosk.ledger.ui_queries import DEFAULT_PAGE, EventLine, EventPage

__all__ = [
    "DEFAULT_PAGE",
    "GLANCE_LINES",
    "SOURCE_BARCODE",
    "SOURCE_DECISION",
    "SOURCE_RFID",
    "SOURCE_TRAY",
    "BatchVerdict",
    "Clock",
    "DayFacts",
    "DisposalBatch",
    "DisposalError",
    "EventLine",
    "EventPage",
    "EventRow",
    "HeadMark",
    "HistoryEntry",
    "Ledger",
    "Progress",
    "ResultLine",
    "ScanVerdict",
    "SessionRow",
    "SessionView",
    "StaffRow",
    "StocktakeError",
    "StocktakeGlance",
    "StocktakeRecord",
    "StocktakeResult",
    "StocktakeView",
    "Verdict",
    "today",
    "utc_now",
]
