"""What every command of the core shares: the ledger, the settings, and the one way an act is run."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from kiosk.desk.errors import StorageError, storage_errors
from kiosk.domain.authz import Act, NotAllowed
from kiosk.domain.events import DeviceOffline, DeviceOnline, EventKind
from kiosk.domain.guard import ensure_not_individual_number, guard_free_text, guard_name
from kiosk.domain.management_id import Refusal
from kiosk.domain.staff import AuthError, StaffMember, TwoPersonError
from kiosk.ledger.service import Acting, ScanFacts, Unit

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.ledger.service import Ledger

T = TypeVar("T")
log = logging.getLogger(__name__)


class DeskBase:
    """The application core's shared machinery (see `kiosk.desk.Desk`)."""

    def __init__(self, ledger: Ledger, settings: Settings) -> None:
        self.ledger = ledger
        self.settings = settings

    @property
    def kiosk(self) -> str:
        return self.ledger.kiosk

    # -- running an act ---------------------------------------------------------------------------

    @contextmanager
    def act(
        self,
        act: Act,
        actor: StaffMember,
        second: StaffMember | None = None,
        *,
        session_id: int | None = None,
        card_id: str | None = None,
        facts: ScanFacts | None = None,
    ) -> Iterator[Unit]:
        """A unit of work for `act` by `actor` (with `second`), authorised inside its transaction.

        The unit re-reads both people with the chain head locked and asks the authorisation table
        (`Acting`). A refusal rolls the unit back, is recorded as a refused attempt (a reason code, the
        act, who tried) and raised as `NotAllowed`; a storage failure is `StorageError`.
        """
        acting = Acting(act, actor.id, second.id if second is not None else None, session_id)
        try:
            with storage_errors(), self.ledger.unit(acting, facts) as u:
                yield u
        except NotAllowed as exc:
            exc.seq = self.record_refusal(
                exc.reason, attempted=act.value, actor=actor, session_id=session_id, card_id=card_id
            )
            raise
        except TwoPersonError as exc:
            # The ledger's own checks on the snapshot (same person, no officer …): a refusal all the same.
            refusal = NotAllowed(exc.reason, str(exc))
            refusal.seq = self.record_refusal(
                exc.reason, attempted=act.value, actor=actor, session_id=session_id, card_id=card_id
            )
            raise refusal from None

    def anchor_head(self, reason: str) -> None:
        """Append the head to the anchor log (every safe-session close: issue 22), when this ledger was
        opened with its data directory (`open_ledger`). The act is committed already: a log that cannot
        be written is logged, never turned into a failure of the act."""
        if self.ledger.watch is None:
            return
        from kiosk.ledger.anchors import AnchorError, IntegrityRefused, record_anchor

        try:
            record_anchor(self.ledger, self.settings, reason)
        except (OSError, AnchorError, IntegrityRefused) as exc:
            log.error("cannot anchor the head (%s): %s", reason, getattr(exc, "strerror", None) or exc)

    def record_refusal(
        self,
        reason: str,
        *,
        attempted: str,
        actor: StaffMember | None = None,
        session_id: int | None = None,
        card_id: str | None = None,
        device: str | None = None,
        source: str | None = None,
    ) -> int | None:
        """Put a refused attempt on the chain (reason code only); None when the ledger could not take it."""
        try:
            with storage_errors(), self.ledger.unit() as u:
                rec = u.refuse(
                    reason,
                    attempted=attempted,
                    card_id=card_id,
                    actor_id=actor.id if actor else None,
                    session_id=session_id,
                    device=device,
                    source=source,
                )
                return rec.seq
        except StorageError:
            return None

    def record_device(self, name: str, *, online: bool, reason: str = "") -> int | None:
        """A device at this kiosk went offline (with why) or came back: on the chain for the supervisor.

        Called on each change only, never per retry. None when the ledger could not take it (the
        status bar still shows the device's state).
        """
        kind = EventKind.DEVICE_ONLINE if online else EventKind.DEVICE_OFFLINE
        payload = DeviceOnline(name) if online else DeviceOffline(name, reason[:120])
        try:
            with storage_errors(), self.ledger.unit() as u:
                return u.append(kind, device=self.kiosk, source=name[:32], payload=payload).seq
        except (StorageError, Refusal):
            return None

    def read(self, work: Callable[[], T]) -> T:
        """A query, with storage failures as `StorageError`."""
        with storage_errors():
            return work()

    # -- text at the boundary --------------------------------------------------------------------

    def text(
        self,
        value: str,
        field: str,
        *,
        attempted: str,
        actor: StaffMember | None = None,
        name: bool = False,
    ) -> str:
        """The stored form of a free text or label (NFKC, stripped), or a recorded refusal.

        The My Number guard (a run of 12+ digits, in any script, separators ignored), control characters
        and empty values are refused before any unit of work; the refusal is on the chain as its reason
        code and the field's name, never the value.
        """
        try:
            return guard_name(value, field) if name else guard_free_text(value, field)
        except Refusal as exc:
            self.record_refusal(exc.reason, attempted=f"{attempted}.{field}", actor=actor)
            raise

    # -- people -----------------------------------------------------------------------------------

    def sign_in(self, badge: str, pin: str, *, device: str | None = None) -> StaffMember:
        """Authenticate a badge and PIN (failures count towards the lockout and are recorded).

        Raises `AuthError` (reason unknown_badge, wrong_pin, locked, inactive) or `StorageError`.
        """
        try:
            ensure_not_individual_number(badge, "badge code")
        except Refusal:
            # A 12-digit "badge" is refused before it reaches the ledger, and recorded by reason only.
            self.record_refusal("mynumber_refused", attempted="sign_in", device=device)
            raise AuthError("unknown_badge") from None
        with storage_errors():
            return self.ledger.authenticate(badge, pin, device=device or self.kiosk)

    def confirm_witness(self, badge: str, pin: str | None, *, device: str | None = None) -> StaffMember:
        """The witness of a hand-over confirms now: badge and PIN, or the badge alone where configured."""
        if self.settings.session.handover_witness == "badge" and not pin:
            member = self.read(lambda: self.ledger.staff_by_badge(badge))
            if member is None:
                raise AuthError("unknown_badge")
            return member
        return self.sign_in(badge, pin or "", device=device)

    def person(self, staff_id: int) -> StaffMember | None:
        return self.read(lambda: self.ledger.staff_by_id(staff_id))

    def person_by_badge(self, badge: str) -> StaffMember | None:
        return self.read(lambda: self.ledger.staff_by_badge(badge))
