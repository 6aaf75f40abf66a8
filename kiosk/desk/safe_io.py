"""The safe's door contact and electric lock at the core (扉・電気錠): every report of the module is
decided here once, whichever front end runs the module's device thread.

The front end that owns the module (the TUI, through its device link) calls `watch_safe(lock, ...)`
once; from then on:

- `observe_safe(event)` takes each report of the driver (door, lock, module online/offline), lets the
  pure rules (`kiosk.domain.safe_door`) decide, and records what they said: a door opened with no
  session open is `safe_door_forced` with an incident opened at once, and the alarm stays in the
  state until `acknowledge_door_alarm` (a supervisor, with a reason);
- `open_safe` (kiosk.desk.safe) releases the lock only after its two-person unit committed, for
  `release_seconds` or until the door opens; nothing else in the kiosk holds the relay;
- `close_safe` refuses while the door is open, engages the lock and records door and lock;
- `check_door_left_open(now)` records `safe_door_left_open` once per opening past the limit;
- with the module offline, `approve_manual` (an officer and a supervisor, with a reason) lets the
  session open by key.

Without `watch_safe` (a site without the module, the CLI, the headless runner) none of this applies.
The fold lives in memory on the one thread that calls the core (the TUI's ledger thread) and is
rebuilt from the chain at `watch_safe`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from kiosk.desk.base import DeskBase
from kiosk.desk.errors import storage_errors
from kiosk.domain.authz import Act
from kiosk.domain.events import AlarmAcknowledged, EventKind, IncidentOpened, ManualApproved, encode
from kiosk.domain.safe_door import (
    Door,
    DoorOpen,
    DoorSeen,
    Lock,
    LockSeen,
    ModuleOffline,
    ModuleSeen,
    Observation,
    Plan,
    Record,
    SafeState,
    apply,
    check_close,
    check_open,
    decide,
    left_open_due,
    left_open_record,
)
from kiosk.domain.staff import StaffMember
from kiosk.ledger.safe_io_ops import safe_events
from kiosk.ledger.service import Unit

log = logging.getLogger(__name__)

DEFAULT_RELEASE_SECONDS = 5.0
DEFAULT_DOOR_OPEN_LIMIT_S = 120.0
FORCED_NOTE = "扉が保管庫利用なしに開いた"


class SafeLock(Protocol):
    """The relay, as the driver (`drivers.safe_io.device.SafeIo`) offers it."""

    def release(self, seconds: float | None, *, until_door_opens: bool = True) -> None: ...

    def engage(self) -> None: ...


@dataclass(frozen=True, slots=True)
class SafeOutcome:
    """What one report changed: the kinds recorded, the state after, and whether it raised the alarm."""

    recorded: tuple[EventKind, ...]
    state: SafeState
    alarm_raised: bool = False


class SafeIoDesk(DeskBase):
    """The safe's door and lock rules over the ledger (see the module docstring)."""

    _safe_lock: SafeLock | None = None
    _safe_state: SafeState | None = None
    _safe_module = "safe-io"
    release_seconds = DEFAULT_RELEASE_SECONDS
    door_open_limit_s = DEFAULT_DOOR_OPEN_LIMIT_S

    # -- set-up ---------------------------------------------------------------------------------

    def watch_safe(
        self,
        lock: SafeLock | None,
        *,
        module: str = "safe-io",
        release_seconds: float | None = None,
        door_open_limit_s: float | None = None,
    ) -> SafeState:
        """This kiosk runs the safe's module: its lock (None: a contact without a lock), its name, the
        release time and the door-open limit (defaults: `[safe_io]`). Reads the state from the chain."""
        section = getattr(self.settings, "safe_io", None)
        self._safe_lock = lock
        self._safe_module = module
        self.release_seconds = release_seconds or (
            section.release_seconds if section is not None else DEFAULT_RELEASE_SECONDS
        )
        self.door_open_limit_s = door_open_limit_s or (
            section.door_open_limit_s if section is not None else DEFAULT_DOOR_OPEN_LIMIT_S
        )
        self._safe_state = self.read(self._fold)
        return self._safe_state

    @property
    def safe_watched(self) -> bool:
        """True when this kiosk watches a door contact (a module is configured and attached)."""
        return self._safe_state is not None

    def safe_state(self) -> SafeState:
        """The door, lock, module and open alarms as on record (an empty state when not watched)."""
        return self._safe_state if self._safe_state is not None else SafeState()

    def _fold(self) -> SafeState:
        state = SafeState()
        for seq, at, kind, payload in safe_events(self.ledger, self.kiosk):
            state = apply(state, kind, payload, seq, at)
        return state

    # -- the module's reports -------------------------------------------------------------------

    def observe_safe(self, event: Any) -> SafeOutcome:
        """One event of the driver (`DoorChanged`, `LockChanged`, `ModuleStatus`; others are ignored),
        decided and recorded. Storage failures raise `StorageError` (the state is then unchanged)."""
        seen = observation(event)
        state = self.safe_state()
        if seen is None or self._safe_state is None:
            return SafeOutcome((), state)
        session = self._open_session_id()
        plan = decide(state, seen, session_open=session is not None, module=self._safe_module)
        return self._record(plan, session)

    def check_door_left_open(self, now: datetime | None = None) -> SafeOutcome | None:
        """Record `safe_door_left_open` when the door has been open past the limit (once per opening)."""
        state = self.safe_state()
        if self._safe_state is None or not left_open_due(
            state, now or self.ledger.clock(), self.door_open_limit_s
        ):
            return None
        return self._record(Plan((left_open_record(state, self.door_open_limit_s),)), self._open_session_id())

    def _open_session_id(self) -> int | None:
        from kiosk.ledger import safe

        view = safe.current_session(self.ledger)
        return view.id if view is not None else None

    def _record(self, plan: Plan, session_id: int | None) -> SafeOutcome:
        if not plan.records:
            return SafeOutcome((), self.safe_state())
        applied: list[tuple[int, datetime, str, dict[str, Any]]] = []
        with storage_errors(), self.ledger.unit() as u:
            for record in plan.records:
                applied.append(self._append(u, record, session_id))
                if record.kind is EventKind.SAFE_DOOR_FORCED:
                    forced = applied[-1][0]
                    incident = IncidentOpened(EventKind.SAFE_DOOR_FORCED, None, FORCED_NOTE, forced=forced)
                    applied.append(self._append(u, Record(EventKind.INCIDENT_OPENED, incident), None))
        state = self.safe_state()
        for seq, at, kind, payload in applied:
            state = apply(state, kind, payload, seq, at)
        self._safe_state = state
        kinds = tuple(EventKind(kind) for _, _, kind, _ in applied)
        if plan.forced:
            log.warning("safe door forced (no session open): alarm raised, incident opened")
        return SafeOutcome(kinds, state, plan.forced)

    def _append(
        self, u: Unit, record: Record, session_id: int | None
    ) -> tuple[int, datetime, str, dict[str, Any]]:
        rec = u.append(
            record.kind,
            payload=record.payload,
            device=self.kiosk,
            source=self._safe_module[:32],
            session_id=session_id,
        )
        return rec.seq, rec.at, record.kind.value, encode(record.kind, record.payload)

    # -- people's acts --------------------------------------------------------------------------

    def acknowledge_door_alarm(self, supervisor: StaffMember, reason: str) -> SafeState:
        """A supervisor acknowledges every open forced-door alarm, with a reason (recorded per incident)."""
        reason = self.text(reason, "reason", attempted=Act.ACKNOWLEDGE_DOOR_ALARM.value, actor=supervisor)
        state = self.safe_state()
        if not state.alarms:
            return state
        applied = []
        with self.act(Act.ACKNOWLEDGE_DOOR_ALARM, supervisor) as u:
            for alarm in state.alarms:
                payload = AlarmAcknowledged(alarm.incident, alarm.forced, reason)
                rec = u.append(
                    EventKind.SAFE_ALARM_ACKNOWLEDGED,
                    payload=payload,
                    actor_id=supervisor.id,
                    device=self.kiosk,
                    source=self._safe_module[:32],
                )
                applied.append((rec.seq, rec.at, payload.encode()))
        for seq, at, data in applied:
            state = apply(state, EventKind.SAFE_ALARM_ACKNOWLEDGED, data, seq, at)
        self._safe_state = state
        return state

    def approve_manual(self, officer: StaffMember, supervisor: StaffMember, reason: str) -> int:
        """With the module offline, a supervisor approves the manual (key) procedure for an officer.

        Raises `ValueError` when the module is not offline (the lock is then the kiosk's to release).
        """
        reason = self.text(reason, "reason", attempted=Act.SAFE_MANUAL.value, actor=officer)
        state = self.safe_state()
        if state.online is not False or state.outage is None:
            raise ValueError("the door/lock module is online: the kiosk releases the lock itself")
        payload = ManualApproved(supervisor.id, reason, state.outage)
        with self.act(Act.SAFE_MANUAL, officer, supervisor) as u:
            rec = u.append(
                EventKind.SAFE_MANUAL_APPROVED,
                payload=payload,
                actor_id=officer.id,
                witness_id=supervisor.id,
                device=self.kiosk,
                source=self._safe_module[:32],
            )
        self._safe_state = apply(state, EventKind.SAFE_MANUAL_APPROVED, payload.encode(), rec.seq, rec.at)
        return rec.seq

    # -- used by opening and closing (kiosk.desk.safe) -------------------------------------------

    def _check_safe_open(self, operator: StaffMember) -> str | None:
        """ "key" when the session opens by the approved manual procedure; a recorded refusal
        (`ModuleOffline`) when the module is offline without one; None otherwise."""
        try:
            manual = check_open(self.safe_state(), watched=self.safe_watched)
        except ModuleOffline as exc:
            self.record_refusal(exc.reason, attempted=Act.OPEN_SAFE.value, actor=operator)
            raise
        return "key" if manual else None

    def _manual_used(self) -> None:
        """An opening by key used up the approval (the fold does the same with session_opened)."""
        if self._safe_state is not None:
            self._safe_state = replace(self._safe_state, manual=None)

    def _release_after_open(self) -> bool:
        """Release the lock after a committed two-person opening; False when it could not be."""
        if self._safe_lock is None or self.safe_state().online is False:
            return False
        from drivers.errors import DriverError

        try:
            self._safe_lock.release(self.release_seconds, until_door_opens=True)
        except (DriverError, ValueError, OSError) as exc:
            log.warning("the lock was not released: %s", exc)
            return False
        return True

    def _door_and_lock_for_close(
        self, operator: StaffMember, session_id: int
    ) -> tuple[str | None, str | None]:
        """Refuse (recorded) while the door is open; engage the lock; the door and lock to record."""
        if not self.safe_watched:
            return None, None
        state = self.safe_state()
        try:
            check_close(state, watched=True)
        except DoorOpen as exc:
            self.record_refusal(
                exc.reason, attempted=Act.CLOSE_SAFE.value, actor=operator, session_id=session_id
            )
            raise
        if state.online is False:
            return "unknown", "unknown"  # the module is away: the key procedure applies
        lock = state.lock.value if state.lock is not None else None
        if self._safe_lock is not None:
            from drivers.errors import DriverError

            try:
                self._safe_lock.engage()
                lock = Lock.ENGAGED.value
            except (DriverError, ValueError, OSError) as exc:
                log.warning("the lock was not engaged at closing: %s", exc)
        return (state.door or Door.CLOSED).value, lock


def observation(event: Any) -> Observation | None:
    """The driver's event as the rules' observation (None for what they do not judge: loop faults)."""
    from drivers.contract import DeviceStatus
    from drivers.safe_io import DoorChanged, LockChanged, ModuleStatus

    if isinstance(event, DoorChanged):
        return DoorSeen(Door(event.door.value), event.initial)
    if isinstance(event, LockChanged):
        return LockSeen(Lock(event.lock.value), event.reason)
    if isinstance(event, ModuleStatus):
        return ModuleSeen(event.status is DeviceStatus.ONLINE, getattr(event, "reason", "") or "")
    if isinstance(event, DoorSeen | LockSeen | ModuleSeen):
        return event
    return None
