"""The values front ends receive from the core, in one place.

Front ends (`kiosk.tui`, `kiosk.cli`, `kiosk.sim`, `kiosk.supervise`, `kiosk.reports`) import these names
from here, never from `kiosk.ledger`. The verdicts and the stocktake's values are defined in the domain;
the read models' rows still in the ledger: when one moves out of it, only this module changes.
`Ledger` is here for typing and for the few front ends that build one (the app factory, the demo).
"""

from __future__ import annotations

from kiosk.domain.disposal import DisposalBatch, DisposalError
from kiosk.domain.stocktake import Progress, ResultLine, StocktakeResult, StocktakeView
from kiosk.domain.verdicts import (
    BatchVerdict,
    FinishKind,
    FinishOutcome,
    StocktakeVerdict,
    Verdict,
    VerdictCode,
)
from kiosk.ledger.read_models import (
    DayFacts,
    EventRecord,
    HeadMark,
    SessionRow,
    StaffRow,
)
from kiosk.ledger.read_models.stocktakes import (
    SOURCE_BARCODE,
    SOURCE_DECISION,
    SOURCE_RFID,
    SOURCE_TRAY,
    StocktakeError,
    StocktakeRecord,
)
from kiosk.ledger.safe import PickProblem, SessionView
from kiosk.ledger.service import Clock, HistoryEntry, Ledger, today, utc_now
from kiosk.ledger.stocktake_glance import GLANCE_LINES, StocktakeGlance
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
    "EventRecord",
    "FinishKind",
    "FinishOutcome",
    "HeadMark",
    "HistoryEntry",
    "Ledger",
    "PickProblem",
    "Progress",
    "ResultLine",
    "SessionRow",
    "SessionView",
    "StaffRow",
    "StocktakeError",
    "StocktakeGlance",
    "StocktakeRecord",
    "StocktakeResult",
    "StocktakeVerdict",
    "StocktakeView",
    "Verdict",
    "VerdictCode",
    "today",
    "utc_now",
]
