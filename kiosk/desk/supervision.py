"""What the supervisor's view shows (監督者画面), through the core: read models, never a write.

The queries live in the ledger (`kiosk.ledger.read_models.supervision`); `SupervisionDesk` serves them
with storage failures as `StorageError`, and the web front end (kiosk.supervise) renders the frozen
dataclasses it gets. The module-level functions take a `Ledger` and are kept for tests that read the
read models directly.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from kiosk.desk.base import DeskBase
from kiosk.domain.retention import RetentionPolicy
from kiosk.domain.staff import StaffMember
from kiosk.ledger.read_models import supervision as rm
from kiosk.ledger.read_models.supervision import (
    DAY_KINDS,
    SUPERVISING_ROLES,
    DeviceLine,
    DueSummary,
    IncidentLine,
    Integrity,
    LockLine,
    OutLine,
    OverrideLine,
    Overview,
    SafeLine,
    SeenLine,
    StocktakeLine,
    day_bounds,
    head_seq,
    may_supervise,
    overview,
    supervisor,
)

__all__ = [
    "DAY_KINDS",
    "SUPERVISING_ROLES",
    "DeviceLine",
    "DueSummary",
    "IncidentLine",
    "Integrity",
    "LockLine",
    "OutLine",
    "OverrideLine",
    "Overview",
    "SafeLine",
    "SeenLine",
    "StocktakeLine",
    "SupervisionDesk",
    "day_bounds",
    "head_seq",
    "may_supervise",
    "overview",
    "supervisor",
]


class SupervisionDesk(DeskBase):
    """The supervisor's view's queries over the whole ledger (every kiosk that shares it)."""

    def head_seq(self) -> int:
        """The chain head's sequence number: the live view's cheap poll."""
        return self.read(lambda: rm.head_seq(self.ledger))

    def supervising_member(self, staff_id: int, now: datetime) -> StaffMember | None:
        """The member behind a session cookie, re-read on every request (None once deactivated, demoted
        or locked out)."""
        return self.read(lambda: rm.supervisor(self.ledger, staff_id, now))

    def supervision_overview(
        self,
        *,
        now: datetime,
        max_open_minutes: int,
        stocktake_every_days: int,
        policy: RetentionPolicy,
    ) -> Overview:
        """The whole supervisor's page at `now` (the caller's clock, so tests can move it)."""
        return self.read(
            lambda: rm.overview(
                self.ledger,
                now=now,
                max_open_minutes=max_open_minutes,
                stocktake_every_days=stocktake_every_days,
                policy=policy,
            )
        )

    def key_for(self, context: bytes) -> bytes:
        """A key for `context` derived from this ledger's PIN pepper (never the pepper itself)."""
        return hmac.new(self.ledger.pepper, context, hashlib.sha256).digest()
