"""The sans-IO half of the safe I/O driver: bits and loop readings in, events out, time passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drivers.safe_io import (
    DoorChanged,
    DoorState,
    LineChanged,
    LineLimits,
    LineState,
    LockKind,
    LockState,
    Polarity,
    SafeIoSense,
)
from drivers.safe_io.sense import coil_for, door_from_bit, line_state, lock_from_coil

T0 = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("polarity", "bit", "door"),
    [
        (Polarity.NC, True, DoorState.CLOSED),
        (Polarity.NC, False, DoorState.OPEN),  # a cut NC wire reads as open: the safe default
        (Polarity.NO, True, DoorState.OPEN),
        (Polarity.NO, False, DoorState.CLOSED),
    ],
)
def test_polarity(polarity: Polarity, bit: bool, door: DoorState) -> None:
    assert door_from_bit(bit, polarity) is door


def test_first_reading_is_initial_then_only_changes_with_their_time() -> None:
    sense = SafeIoSense(Polarity.NC)
    assert sense.sample(True, None, 0.0, at(0)) == [DoorChanged(DoorState.CLOSED, at(0), initial=True)]
    assert sense.sample(True, None, 0.1, at(0.1)) == []
    assert sense.sample(False, None, 0.2, at(0.2)) == [DoorChanged(DoorState.OPEN, at(0.2))]
    assert sense.sample(False, None, 0.3, at(0.3)) == []
    assert sense.sample(True, None, 0.4, at(0.4)) == [DoorChanged(DoorState.CLOSED, at(0.4))]
    sense.reset()  # a reconnect: the state is reported again, marked initial
    assert sense.sample(True, None, 9.0, at(9)) == [DoorChanged(DoorState.CLOSED, at(9), initial=True)]


def test_debounce_reports_a_state_only_once_it_held() -> None:
    sense = SafeIoSense(Polarity.NC, debounce=0.05)
    sense.sample(True, None, 0.0, at(0))
    # A bounce shorter than the debounce time is never reported.
    assert sense.sample(False, None, 1.00, at(1.00)) == []
    assert sense.sample(True, None, 1.02, at(1.02)) == []
    assert sense.sample(True, None, 1.10, at(1.10)) == []
    # An opening that holds is reported at the poll where it has held long enough, with that time.
    assert sense.sample(False, None, 2.00, at(2.00)) == []
    assert sense.sample(False, None, 2.03, at(2.03)) == []
    assert sense.sample(False, None, 2.06, at(2.06)) == [DoorChanged(DoorState.OPEN, at(2.06))]


LIMITS = LineLimits(short=1000, closed=4000, open=8000)


@pytest.mark.parametrize(
    ("value", "state"),
    [
        (0, LineState.SHORTED),
        (999, LineState.SHORTED),
        (1000, LineState.CLOSED),
        (3999, LineState.CLOSED),
        (4000, LineState.OPEN),
        (7999, LineState.OPEN),
        (8000, LineState.CUT),
        (65535, LineState.CUT),
    ],
)
def test_line_bands(value: int, state: LineState) -> None:
    assert line_state(value, LIMITS) is state


def test_line_faults_come_before_the_door_change_they_cause() -> None:
    sense = SafeIoSense(Polarity.NC, line_limits=LIMITS)
    first = sense.sample(True, 2500, 0.0, at(0))
    assert first == [
        LineChanged(LineState.CLOSED, 2500, at(0), initial=True),
        DoorChanged(DoorState.CLOSED, at(0), initial=True),
    ]
    # The door moving on a healthy loop is a door event only.
    assert sense.sample(False, 6000, 0.1, at(0.1)) == [DoorChanged(DoorState.OPEN, at(0.1))]
    assert sense.sample(True, 2500, 0.2, at(0.2)) == [DoorChanged(DoorState.CLOSED, at(0.2))]
    # Cut: the NC input falls (reads as open); the cut is reported first, so a consumer knows why.
    cut = sense.sample(False, 9800, 0.3, at(0.3))
    assert cut == [LineChanged(LineState.CUT, 9800, at(0.3)), DoorChanged(DoorState.OPEN, at(0.3))]
    assert cut[0].fault  # type: ignore[union-attr]
    mended = sense.sample(True, 2500, 0.4, at(0.4))
    assert mended == [LineChanged(LineState.CLOSED, 2500, at(0.4)), DoorChanged(DoorState.CLOSED, at(0.4))]
    assert sense.sample(True, 200, 0.5, at(0.5)) == [LineChanged(LineState.SHORTED, 200, at(0.5))]


def test_door_read_from_the_loop_alone_and_never_invented_on_a_fault() -> None:
    sense = SafeIoSense(line_limits=LIMITS, door_from_line=True)
    assert sense.sample(None, 2500, 0.0, at(0))[-1] == DoorChanged(DoorState.CLOSED, at(0), initial=True)
    assert sense.sample(None, 6000, 0.1, at(0.1)) == [DoorChanged(DoorState.OPEN, at(0.1))]
    # A cut loop says nothing about the door: the fault is reported, the door stays as last known.
    assert sense.sample(None, 9800, 0.2, at(0.2)) == [LineChanged(LineState.CUT, 9800, at(0.2))]
    assert sense.door is DoorState.OPEN
    assert sense.sample(None, 2500, 0.3, at(0.3)) == [
        LineChanged(LineState.CLOSED, 2500, at(0.3)),
        DoorChanged(DoorState.CLOSED, at(0.3)),
    ]


@pytest.mark.parametrize(
    ("kind", "lock", "coil"),
    [
        (LockKind.STRIKE, LockState.RELEASED, True),
        (LockKind.STRIKE, LockState.ENGAGED, False),
        (LockKind.MAGLOCK, LockState.RELEASED, False),
        (LockKind.MAGLOCK, LockState.ENGAGED, True),
    ],
)
def test_relay_meaning_per_lock_kind(kind: LockKind, lock: LockState, coil: bool) -> None:
    assert coil_for(lock, kind) is coil
    assert lock_from_coil(coil, kind) is lock
