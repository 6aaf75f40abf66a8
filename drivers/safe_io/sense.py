"""What the module's readings mean, sans-IO: input bits and loop readings in, door and line events out.

`SafeIoSense.sample(door_bit, line_value, now, at)` takes one poll's readings with the time passed in
(`now` a monotonic clock for debouncing, `at` the UTC time the events carry) and returns the events it
implies; `reset()` after a reconnect makes the next readings `initial`. No I/O, no clock read inside:
the tests feed it directly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from drivers.contract import DeviceStatus
from drivers.safe_io.target import LineLimits, LockKind, Polarity


class DoorState(enum.StrEnum):
    """The safe's door as the contact reports it."""

    OPEN = "open"
    CLOSED = "closed"


class LineState(enum.StrEnum):
    """An end-of-line supervised loop's state: the door's two states, or one of two wiring faults."""

    SHORTED = "shorted"
    CLOSED = "closed"
    OPEN = "open"
    CUT = "cut"

    @property
    def is_fault(self) -> bool:
        """Cut or shorted: the loop says nothing about the door."""
        return self in (LineState.SHORTED, LineState.CUT)


class LockState(enum.StrEnum):
    """The lock as the relay drives it."""

    ENGAGED = "engaged"
    RELEASED = "released"


@dataclass(frozen=True, slots=True)
class DoorChanged:
    """The door opened or closed at `at`. `initial` marks the first reading after (re)connecting:
    the state then, which may or may not differ from the last one reported before the module went away."""

    door: DoorState
    at: datetime
    initial: bool = False


@dataclass(frozen=True, slots=True)
class LineChanged:
    """The supervised loop changed between normal (`closed`/`open`), `cut` and `shorted`; `value` is
    the module's raw reading. Reported on the first reading and on every change of `fault`."""

    line: LineState
    value: int
    at: datetime
    initial: bool = False

    @property
    def fault(self) -> bool:
        """True for a cut or shorted loop."""
        return self.line.is_fault


@dataclass(frozen=True, slots=True)
class LockChanged:
    """The driver switched the relay (`reason`: "commanded", "timer" or "door_opened"), or read its
    state on (re)connecting (`reason` "read")."""

    lock: LockState
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class ModuleStatus:
    """The module answered again (`online`) or stopped answering (`offline`, with a short `reason`)."""

    status: DeviceStatus
    at: datetime
    reason: str = ""


SafeIoEvent = DoorChanged | LineChanged | LockChanged | ModuleStatus


def door_from_bit(bit: bool, polarity: Polarity) -> DoorState:
    """A discrete input's bit to the door: NC conducts (1) while shut, NO conducts while open."""
    conducting_means_closed = polarity is Polarity.NC
    return DoorState.CLOSED if bit == conducting_means_closed else DoorState.OPEN


def line_state(value: int, limits: LineLimits) -> LineState:
    """A loop reading to its state by the ascending limits (see `LineLimits`)."""
    if value < limits.short:
        return LineState.SHORTED
    if value < limits.closed:
        return LineState.CLOSED
    if value < limits.open:
        return LineState.OPEN
    return LineState.CUT


def coil_for(lock: LockState, kind: LockKind) -> bool:
    """The coil value that puts the lock in `lock`: a strike is released by energising it, a maglock
    by de-energising it."""
    return (lock is LockState.RELEASED) == (kind is LockKind.STRIKE)


def lock_from_coil(coil: bool, kind: LockKind) -> LockState:
    """The lock's state for a coil value (the inverse of `coil_for`)."""
    return LockState.RELEASED if coil == (kind is LockKind.STRIKE) else LockState.ENGAGED


class Debounced:
    """A value reported only once it has held for `hold` seconds (0: at once). `feed(value, now)`
    returns the value when it becomes the reported one, else None; `reset()` forgets everything, so
    the next feed reports again."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.reported: object = None
        self._candidate: object = None
        self._since = 0.0

    def reset(self) -> None:
        """Forget the reported value: the next `feed` reports at once."""
        self.reported = self._candidate = None

    def feed(self, value: object, now: float) -> object:
        """`value` read at `now`; returns it when it becomes the reported value, else None."""
        if value == self.reported:
            self._candidate = None
            return None
        if value != self._candidate:
            self._candidate, self._since = value, now
        if now - self._since >= self.hold or self.reported is None:
            # The first reading after (re)connecting is reported at once: there is nothing to bounce from.
            self.reported, self._candidate = value, None
            return value
        return None


class SafeIoSense:
    """The door and the loop, debounced, as events (sans-IO).

    The door is read from the discrete input when the wiring has one (`door_input`), else from the
    supervised loop's closed/open bands; a loop fault never invents a door state, and it is reported
    before the door change of the same poll (a cut NC loop also reads as an open door).
    """

    def __init__(
        self,
        polarity: Polarity = Polarity.NC,
        *,
        debounce: float = 0.0,
        line_limits: LineLimits | None = None,
        door_from_line: bool = False,
    ) -> None:
        self.polarity = polarity
        self.line_limits = line_limits
        self.door_from_line = door_from_line
        self._door = Debounced(debounce)
        self._line = Debounced(debounce)
        self._line_class: object = None
        self.door: DoorState | None = None
        self.line: LineState | None = None

    def reset(self) -> None:
        """After a reconnect: the next readings are reported as `initial`."""
        self._door.reset()
        self._line.reset()
        self._line_class = None

    def sample(
        self, door_bit: bool | None, line_value: int | None, now: float, at: datetime
    ) -> list[SafeIoEvent]:
        """One poll's readings (None for an input not wired) to the events they imply."""
        events: list[SafeIoEvent] = []
        door: DoorState | None = None
        initial_door = self._door.reported is None
        if line_value is not None and self.line_limits is not None:
            state = line_state(line_value, self.line_limits)
            self.line = state
            # Report faults and their end, not every door movement on the loop (that is the door's).
            klass = state if state.is_fault else "normal"
            if self._line.feed(klass, now) is not None:
                events.append(LineChanged(state, line_value, at, initial=self._line_class is None))
                self._line_class = klass
            if self.door_from_line and not state.is_fault:
                door = DoorState.CLOSED if state is LineState.CLOSED else DoorState.OPEN
        if door_bit is not None and not self.door_from_line:
            door = door_from_bit(door_bit, self.polarity)
        if door is not None and self._door.feed(door, now) is not None:
            self.door = door
            events.append(DoorChanged(door, at, initial=initial_door))
        return events
