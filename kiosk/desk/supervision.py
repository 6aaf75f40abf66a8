"""What the supervisor's view shows (監督者画面), through the core: read models; its sign-in and sign-out.

The queries live in the ledger (`kiosk.ledger.read_models.supervision`); `SupervisionDesk` serves them
with storage failures as `StorageError`, and the web front end (kiosk.supervise) renders the frozen
dataclasses it gets. The module-level functions take a `Ledger` and are kept for tests that read the
read models directly.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime

from kiosk.desk.base import DeskBase
from kiosk.desk.errors import storage_errors
from kiosk.domain.events import EventKind, StaffRef
from kiosk.domain.retention import RetentionPolicy
from kiosk.domain.staff import AuthError, StaffMember
from kiosk.ledger.head_signal import head_signal
from kiosk.ledger.read_models import alerts as alert_rm
from kiosk.ledger.read_models import supervision as rm
from kiosk.ledger.read_models.alerts import Delivery, QueuedAlert
from kiosk.ledger.read_models.due_board import DueBoard, DueSummary
from kiosk.ledger.read_models.safe_door import DeviceStateLine, DoorLine
from kiosk.ledger.read_models.supervision import (
    DAY_KINDS,
    SUPERVISING_ROLES,
    DeviceLine,
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
    "Delivery",
    "DeviceLine",
    "DeviceStateLine",
    "DoorLine",
    "DueSummary",
    "IncidentLine",
    "Integrity",
    "LockLine",
    "OutLine",
    "OverrideLine",
    "Overview",
    "QueuedAlert",
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

    # The retention summary kept between renders of the live view (made on first use; one policy).
    _due_board: DueBoard | None = None

    def head_seq(self) -> int:
        """The chain head's sequence number: what the live view re-reads when woken."""
        return self.read(lambda: rm.head_seq(self.ledger))

    def on_head_moved(self, wake: Callable[[], None]) -> Callable[[], None] | None:
        """Call `wake` (on another thread) soon after any committed unit of any kiosk moves the head,
        until the returned function is called; None when this ledger cannot be watched (in memory):
        the caller then reads the head on a timer. See `kiosk.ledger.head_signal` for the rule."""
        signal = head_signal(self.ledger.engine)
        return signal.subscribe(wake) if signal.pushes else None

    def supervising_member(
        self, staff_id: int, now: datetime, issued_seq: int | None = None
    ) -> StaffMember | None:
        """The member behind a session cookie, re-read on every request (None once deactivated, demoted,
        locked out, owing a new PIN, or signed out / changed on the chain after `issued_seq`)."""
        return self.read(lambda: rm.supervisor(self.ledger, staff_id, now, issued_seq))

    def supervisor_sign_in(self, badge: str, pin: str, *, device: str) -> tuple[StaffMember, int]:
        """Sign in to the supervisor's view: (the member, the chain head to issue the session at).

        Only a supervisor's or administrator's badge gets as far as its PIN; a wrong PIN here is recorded
        but never counts towards the kiosk's lockout (the view backs off per client address instead), so
        nobody can lock an officer out of the safe from a browser. Raises `AuthError`.
        """
        member = self.read(
            lambda: self.ledger.authenticate(
                badge, pin, device=device, roles=rm.SUPERVISING_ROLES, count_failures=False
            )
        )
        if member.pin_change_due:
            # A one-time PIN opens nothing here either: the member chooses a PIN at the kiosk first.
            raise AuthError("pin_change_due")
        return member, self.head_seq()

    def end_web_sessions(self, member_id: int, *, device: str) -> None:
        """A sign-out at the web view: on the chain, so every session of the member issued before it ends
        (across restarts of the view)."""
        with storage_errors(), self.ledger.unit() as u:
            u.append(EventKind.WEB_SIGNED_OUT, actor_id=member_id, device=device, payload=StaffRef(member_id))

    def supervision_overview(
        self,
        *,
        now: datetime,
        max_open_minutes: int,
        stocktake_every_days: int,
        policy: RetentionPolicy,
    ) -> Overview:
        """The whole supervisor's page at `now` (the caller's clock, so tests can move it).

        The retention summary comes from a board this desk keeps between calls (`DueBoard`): after the
        first call a render re-assesses only the cards the new events name."""
        board = self._due_board
        if board is None or board.policy != policy:
            board = self._due_board = DueBoard(self.ledger, policy)
        return self.read(
            lambda: rm.overview(
                self.ledger,
                now=now,
                max_open_minutes=max_open_minutes,
                stocktake_every_days=stocktake_every_days,
                policy=policy,
                due=board,
            )
        )

    def alert_history(self, limit: int = 20) -> list[QueuedAlert]:
        """The newest alerts (newest first), each with where its e-mail and webhook deliveries stand."""
        return self.read(lambda: alert_rm.alert_history(self.ledger, limit))

    def key_for(self, context: bytes) -> bytes:
        """A key for `context` derived from this ledger's PIN pepper (never the pepper itself)."""
        return hmac.new(self.ledger.pepper, context, hashlib.sha256).digest()
