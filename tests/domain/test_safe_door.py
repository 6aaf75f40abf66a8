"""The safe's door rules as pure decisions (kiosk.domain.safe_door), fed plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.domain.events import EventKind
from kiosk.domain.safe_door import (
    Door,
    DoorOpen,
    DoorSeen,
    Lock,
    LockSeen,
    ModuleOffline,
    ModuleSeen,
    Observation,
    SafeState,
    apply,
    check_close,
    check_open,
    decide,
    left_open_due,
)

AT = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
SHUT = SafeState(online=True, door=Door.CLOSED, lock=Lock.ENGAGED)


def kinds(state: SafeState, seen: Observation, *, session_open: bool = False) -> list[EventKind]:
    plan = decide(state, seen, session_open=session_open, module="safe-io")
    return [r.kind for r in plan.records]


def test_the_door_opening_with_no_session_is_forced_and_with_one_is_not() -> None:
    assert kinds(SHUT, DoorSeen(Door.OPEN)) == [EventKind.SAFE_DOOR_OPENED, EventKind.SAFE_DOOR_FORCED]
    assert decide(SHUT, DoorSeen(Door.OPEN), session_open=False, module="m").forced
    assert kinds(SHUT, DoorSeen(Door.OPEN), session_open=True) == [EventKind.SAFE_DOOR_OPENED]
    assert not decide(SHUT, DoorSeen(Door.OPEN), session_open=True, module="m").forced


def test_a_reading_equal_to_the_record_records_nothing() -> None:
    assert kinds(SHUT, DoorSeen(Door.CLOSED, initial=True)) == []
    assert kinds(SHUT, LockSeen(Lock.ENGAGED, "read")) == []
    assert kinds(SHUT, ModuleSeen(True)) == []
    down = SafeState(online=False, door=Door.CLOSED)
    assert kinds(down, ModuleSeen(False, "no answer")) == []  # one record per outage


def test_a_change_seen_only_on_reconnecting_says_so() -> None:
    plan = decide(SHUT, DoorSeen(Door.OPEN, initial=True), session_open=False, module="m")
    assert plan.records[0].payload.encode() == {"while_offline": True}
    assert plan.records[1].payload.encode() == {"lock": "engaged", "while_offline": True}
    first_ever = decide(SafeState(), DoorSeen(Door.CLOSED, initial=True), session_open=False, module="m")
    assert first_ever.records[0].payload.encode() == {}


def test_close_and_open_checks() -> None:
    open_door = SafeState(online=True, door=Door.OPEN)
    with pytest.raises(DoorOpen):
        check_close(open_door, watched=True)
    check_close(open_door, watched=False)  # no module: as before
    check_close(SafeState(online=False, door=Door.OPEN), watched=True)  # door unknown: the key procedure
    assert check_open(SHUT, watched=True) is False
    with pytest.raises(ModuleOffline):
        check_open(SafeState(online=False, outage=5), watched=True)
    assert check_open(SafeState(online=False, outage=5, manual=6), watched=True) is True


def test_the_fold_tracks_alarms_outages_and_the_door() -> None:
    s = SafeState()
    s = apply(s, EventKind.SAFE_IO_ONLINE, {"module": "m"}, 1, AT)
    s = apply(s, EventKind.SAFE_DOOR_OPENED, {}, 2, AT)
    s = apply(s, EventKind.SAFE_DOOR_FORCED, {"lock": "engaged", "while_offline": False}, 3, AT)
    s = apply(s, EventKind.INCIDENT_OPENED, {"type": "safe_door_forced", "forced": 3}, 4, AT)
    assert s.alarm is not None
    assert (s.alarm.forced, s.alarm.incident) == (3, 4)
    assert not left_open_due(s, AT + timedelta(seconds=119), 120)
    assert left_open_due(s, AT + timedelta(seconds=120), 120)
    s = apply(s, EventKind.SAFE_DOOR_LEFT_OPEN, {"opened_seq": 2, "limit_s": 120}, 5, AT)
    assert not left_open_due(s, AT + timedelta(hours=1), 120)
    s = apply(s, EventKind.SAFE_ALARM_ACKNOWLEDGED, {"incident": 4, "forced": 3, "reason": "r"}, 6, AT)
    assert s.alarms == ()
    s = apply(s, EventKind.SAFE_IO_OFFLINE, {"module": "m", "reason": "x"}, 7, AT)
    s = apply(s, EventKind.SAFE_MANUAL_APPROVED, {"supervisor": 1, "reason": "r", "outage": 7}, 8, AT)
    assert (s.online, s.outage, s.manual) == (False, 7, 8)
    s = apply(s, EventKind.SESSION_OPENED, {"checklist": [], "manual": "key"}, 9, AT)
    assert s.manual is None
    # A stocktake's incident is not the door's.
    assert apply(s, EventKind.INCIDENT_OPENED, {"type": "card_missing", "stocktake": 1}, 10, AT).alarms == ()
