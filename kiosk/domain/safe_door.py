"""The safe's own signals (扉・電気錠): what a door change, a lock change or the module's outage means.

Pure rules over plain values; the application core (`kiosk.desk.safe_io`) feeds them what the I/O
module reported and records what they return:

- the door opening while no safe session is open is **forced** (a key, or force): the door event, a
  `safe_door_forced` event, an incident, and an alarm that stays until a supervisor acknowledges it;
- a session cannot close while the door contact says open (「扉が開いています」);
- with the module offline, a session opens only by the manual (key) procedure a supervisor approved;
- the door left open past the configured limit is recorded once per opening;
- when the module answers again, the door it reads is compared with the last one on record, and a
  difference is recorded as a change made while nobody could see it (`while_offline`).

`SafeState` is a fold over this kiosk's safe events (`apply`), so a restart rebuilds it from the chain.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from kiosk.domain.events import (
    DoorForced,
    DoorLeftOpen,
    DoorMoved,
    EventKind,
    LockMoved,
    Payload,
    SafeIoDown,
    SafeIoUp,
)


class Door(enum.StrEnum):
    """The safe's door as its contact reports it."""

    OPEN = "open"
    CLOSED = "closed"


class Lock(enum.StrEnum):
    """The electric lock as its relay drives it."""

    ENGAGED = "engaged"
    RELEASED = "released"


# The kinds the fold reads (this kiosk's own, by `device`), in chain order.
SAFE_KINDS = (
    EventKind.SAFE_DOOR_OPENED,
    EventKind.SAFE_DOOR_CLOSED,
    EventKind.SAFE_LOCK_RELEASED,
    EventKind.SAFE_LOCK_ENGAGED,
    EventKind.SAFE_DOOR_FORCED,
    EventKind.SAFE_DOOR_LEFT_OPEN,
    EventKind.SAFE_IO_OFFLINE,
    EventKind.SAFE_IO_ONLINE,
    EventKind.SAFE_ALARM_ACKNOWLEDGED,
    EventKind.SAFE_MANUAL_APPROVED,
    EventKind.INCIDENT_OPENED,
    EventKind.SESSION_OPENED,  # an opening by key uses up the manual procedure's approval
)


@dataclass(frozen=True, slots=True)
class Alarm:
    """A forced door not yet acknowledged: the safe_door_forced event and its incident."""

    forced: int
    incident: int
    at: datetime


@dataclass(frozen=True, slots=True)
class SafeState:
    """The door, the lock, the module and the open alarms at one kiosk, as the chain has them."""

    online: bool | None = None  # None: no module event on record yet
    door: Door | None = None
    door_seq: int | None = None  # the event that recorded the latest opening
    door_at: datetime | None = None
    left_open_recorded: bool = False
    lock: Lock | None = None
    alarms: tuple[Alarm, ...] = ()
    outage: int | None = None  # the safe_io_offline event of the outage in progress
    outage_at: datetime | None = None
    manual: int | None = None  # the manual procedure approved during this outage, not yet used
    pending_forced: int | None = None  # a forced event whose incident the fold has not seen yet

    @property
    def alarm(self) -> Alarm | None:
        """The oldest open alarm (the one the kiosk shows), if any."""
        return self.alarms[0] if self.alarms else None


# -- what the module reported (the core translates the driver's events into these) ----------------


@dataclass(frozen=True, slots=True)
class DoorSeen:
    """The door read `door`; `initial` for the first reading after (re)connecting."""

    door: Door
    initial: bool = False


@dataclass(frozen=True, slots=True)
class LockSeen:
    """The lock is `lock` (`reason`: commanded, timer, door_opened, read)."""

    lock: Lock
    reason: str


@dataclass(frozen=True, slots=True)
class ModuleSeen:
    """The module answers (`online`) or stopped answering, with the driver's short reason."""

    online: bool
    reason: str = ""


Observation = DoorSeen | LockSeen | ModuleSeen


@dataclass(frozen=True, slots=True)
class Record:
    """One event to record."""

    kind: EventKind
    payload: Payload


@dataclass(frozen=True, slots=True)
class Plan:
    """What an observation means: the events to record, and whether it raises the forced-door alarm
    (the core then opens the incident for the `safe_door_forced` record)."""

    records: tuple[Record, ...] = ()
    forced: bool = False


class DoorOpen(ValueError):
    """The session cannot close: the door contact says open (扉が開いています)."""

    reason = "door_open"

    def __init__(self) -> None:
        super().__init__("扉が開いています (the safe's door is open): close it first")


class ModuleOffline(ValueError):
    """The module is offline: the safe opens only by the manual (key) procedure a supervisor approved."""

    reason = "module_offline"

    def __init__(self) -> None:
        super().__init__(
            "the safe's door/lock module is offline: the manual (key) procedure needs a supervisor's approval"
        )


def decide(state: SafeState, seen: Observation, *, session_open: bool, module: str) -> Plan:
    """What one report of the module means, given the state on record and whether a session is open."""
    if isinstance(seen, ModuleSeen):
        if seen.online:
            if state.online is True:
                return Plan()
            return Plan((Record(EventKind.SAFE_IO_ONLINE, SafeIoUp(module)),))
        if state.online is False:
            return Plan()  # one record per outage
        return Plan((Record(EventKind.SAFE_IO_OFFLINE, SafeIoDown(module, seen.reason[:120])),))
    if isinstance(seen, LockSeen):
        if seen.lock is state.lock:
            return Plan()
        kind = EventKind.SAFE_LOCK_RELEASED if seen.lock is Lock.RELEASED else EventKind.SAFE_LOCK_ENGAGED
        return Plan((Record(kind, LockMoved(seen.reason[:32])),))
    if seen.door is state.door:
        return Plan()
    # A first reading that differs from the record changed while nobody could see it.
    unseen = True if seen.initial and state.door is not None else None
    if seen.door is Door.CLOSED:
        return Plan((Record(EventKind.SAFE_DOOR_CLOSED, DoorMoved(unseen)),))
    opened = Record(EventKind.SAFE_DOOR_OPENED, DoorMoved(unseen))
    if session_open:
        return Plan((opened,))
    lock = (state.lock or Lock.ENGAGED).value
    forced = Record(EventKind.SAFE_DOOR_FORCED, DoorForced(lock, bool(seen.initial)))
    return Plan((opened, forced), forced=True)


def left_open_due(state: SafeState, now: datetime, limit_s: float) -> bool:
    """True once the door has been open longer than `limit_s` and that was not yet recorded."""
    if state.door is not Door.OPEN or state.door_at is None or state.left_open_recorded:
        return False
    return (now - state.door_at).total_seconds() >= limit_s


def left_open_record(state: SafeState, limit_s: float) -> Record:
    """The safe_door_left_open record for the opening in progress."""
    return Record(EventKind.SAFE_DOOR_LEFT_OPEN, DoorLeftOpen(state.door_seq or 0, int(limit_s)))


def check_close(state: SafeState, *, watched: bool) -> None:
    """A session closes only with the door shut, where a door contact is watched. With the module
    offline the door is unknown: the manual procedure applies and the closing says so."""
    if watched and state.online is not False and state.door is Door.OPEN:
        raise DoorOpen


def check_open(state: SafeState, *, watched: bool) -> bool:
    """May a session open? Returns True when it opens by the manual (key) procedure; raises
    `ModuleOffline` when the module is offline and no supervisor approved the manual procedure."""
    if not watched or state.online is not False:
        return False
    if state.manual is None:
        raise ModuleOffline
    return True


def apply(state: SafeState, kind: str, payload: Mapping[str, Any], seq: int, at: datetime) -> SafeState:
    """The state after one recorded event of this kiosk (other kinds leave it as it is)."""
    if kind == EventKind.SAFE_DOOR_OPENED:
        return replace(state, door=Door.OPEN, door_seq=seq, door_at=at, left_open_recorded=False)
    if kind == EventKind.SAFE_DOOR_CLOSED:
        return replace(state, door=Door.CLOSED, door_at=at, left_open_recorded=False)
    if kind == EventKind.SAFE_LOCK_RELEASED:
        return replace(state, lock=Lock.RELEASED)
    if kind == EventKind.SAFE_LOCK_ENGAGED:
        return replace(state, lock=Lock.ENGAGED)
    if kind == EventKind.SAFE_DOOR_LEFT_OPEN:
        return replace(state, left_open_recorded=True)
    if kind == EventKind.SAFE_IO_OFFLINE:
        return replace(state, online=False, outage=seq, outage_at=at, manual=None)
    if kind == EventKind.SAFE_IO_ONLINE:
        return replace(state, online=True, outage=None, outage_at=None, manual=None)
    if kind == EventKind.SAFE_MANUAL_APPROVED:
        return replace(state, manual=seq) if state.online is False else state
    if kind == EventKind.SAFE_DOOR_FORCED:
        return replace(state, pending_forced=seq)
    if kind == EventKind.INCIDENT_OPENED:
        forced = payload.get("forced")
        if isinstance(forced, int):
            return replace(state, alarms=(*state.alarms, Alarm(forced, seq, at)), pending_forced=None)
        return state
    if kind == EventKind.SESSION_OPENED:
        # One approval, one opening by key.
        return replace(state, manual=None) if payload.get("manual") else state
    if kind == EventKind.SAFE_ALARM_ACKNOWLEDGED:
        incident = payload.get("incident")
        return replace(state, alarms=tuple(a for a in state.alarms if a.incident != incident))
    return state
