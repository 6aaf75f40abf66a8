"""The application core (窓口): the only way any front end changes or reads the ledger.

The Textual screens, the `kiosk` CLI, the headless `kiosk sim` runner and the supervisor's web view all
call a `Desk`. Each command names its people; inside every write transaction the ledger re-reads them
(active, locked, role, rank) and asks the one authorisation table (`kiosk.domain.authz`), so a rule is
enforced once, here, whichever front end the request came from. A refusal is recorded as a refused
attempt and raised as `NotAllowed` (or returned as a `Verdict` for scans); storage failures are one
`StorageError` with a one-line reason.
"""

from __future__ import annotations

from kiosk.desk.cards import CardsDesk
from kiosk.desk.closing import ClosingDesk
from kiosk.desk.errors import NotAllowed, StorageError
from kiosk.desk.notices import NoticesDesk
from kiosk.desk.queries import QueriesDesk
from kiosk.desk.registers import RegistersDesk
from kiosk.desk.restores import RestoresDesk
from kiosk.desk.safe import SafeDesk
from kiosk.desk.staff import StaffDesk
from kiosk.desk.stocktake import StocktakeDesk
from kiosk.desk.supervision import SupervisionDesk


class Desk(
    SafeDesk,
    StocktakeDesk,
    CardsDesk,
    NoticesDesk,
    StaffDesk,
    QueriesDesk,
    SupervisionDesk,
    ClosingDesk,
    RegistersDesk,
    RestoresDesk,
):
    """Every command and query of the kiosk, over one ledger and its settings."""


__all__ = ["Desk", "NotAllowed", "StorageError"]
