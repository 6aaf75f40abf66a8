"""The safe's door and lock rules at the core, end to end on the simulator: pymodbus's own server (the
simulated module), the real driver over Modbus TCP, and the application core over a real ledger.

The test plays the device thread: it reads the driver and hands every event to `Desk.observe_safe`,
as the kiosk's device link does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from drivers.safe_io.device import SafeIo, quiet_stack_logs
from kiosk.config import Settings
from kiosk.desk import Desk, NotAllowed
from kiosk.domain.events import EventKind
from kiosk.domain.safe_door import Door, DoorOpen, Lock, ModuleOffline, SafeState
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from simulator.safe_io import SimSafeModule
from tests.conftest import Crew, FakeClock

quiet_stack_logs()

CHECK_OPEN = Settings().session.opening_checklist
CHECK_CLOSE = Settings().session.closing_checklist


@dataclass
class Rig:
    desk: Desk
    module: SimSafeModule
    driver: SafeIo
    ledger: Ledger

    def pump_until(self, condition: Callable[[SafeState], bool], timeout: float = 10.0) -> SafeState:
        """Feed the driver's events to the core until its state satisfies `condition` (a deadline)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.desk.safe_state()
            if condition(state):
                return state
            event = self.driver.read(0.1)
            if event is not None:
                self.desk.observe_safe(event)
        raise AssertionError(f"not reached; state {self.desk.safe_state()}")

    def kinds(self) -> list[str]:
        return [e.kind for e in self.ledger.events()]

    def last(self, kind: EventKind) -> dict[str, object]:
        events = [e for e in self.ledger.events() if e.kind == kind]
        assert events, f"no {kind} on the chain"
        payload: dict[str, object] = json.loads(events[-1].payload)
        return payload


@pytest.fixture
def rig(ledger: Ledger, crew: Crew) -> Iterator[Rig]:
    with SimSafeModule("safe", transport="tcp") as module:
        driver = SafeIo(module.url, poll_ms=30, reconnect_max_s=0.5)
        desk = Desk(ledger, Settings())
        desk.watch_safe(driver, module="safe-io", release_seconds=30)
        driver.open()
        r = Rig(desk, module, driver, ledger)
        r.pump_until(lambda s: s.online is True and s.door is Door.CLOSED and s.lock is Lock.ENGAGED)
        yield r
        driver.close()


def test_start_records_the_module_and_never_touches_the_relay(rig: Rig) -> None:
    assert rig.module.relay_writes == []
    kinds = rig.kinds()
    assert EventKind.SAFE_IO_ONLINE in kinds
    assert EventKind.SAFE_DOOR_CLOSED in kinds
    assert EventKind.SAFE_LOCK_ENGAGED in kinds
    assert EventKind.SAFE_LOCK_RELEASED not in kinds


def test_a_two_person_opening_releases_the_lock(rig: Rig, crew: Crew) -> None:
    session = rig.desk.open_safe(crew.officer, crew.clerk, CHECK_OPEN)
    assert rig.module.wait_for(lambda: rig.module.coil)  # the relay write reached the module
    assert rig.module.relay_writes[0][0] is True
    rig.pump_until(lambda s: s.lock is Lock.RELEASED)
    rig.module.open_door()
    # The door opening in the session is not forced; the driver engages the lock as it opens.
    state = rig.pump_until(lambda s: s.door is Door.OPEN and s.lock is Lock.ENGAGED)
    assert state.alarms == ()
    assert EventKind.SAFE_DOOR_FORCED not in rig.kinds()
    assert rig.last(EventKind.SAFE_LOCK_RELEASED) == {"reason": "commanded"}
    assert rig.last(EventKind.SAFE_LOCK_ENGAGED) == {"reason": "door_opened"}
    opened = [e for e in rig.ledger.events() if e.kind == EventKind.SAFE_DOOR_OPENED][-1]
    assert opened.session_id == session.id


def test_the_door_opened_with_no_session_is_forced(rig: Rig) -> None:
    assert rig.module.force_door()
    state = rig.pump_until(lambda s: s.alarm is not None)
    kinds = rig.kinds()
    assert kinds[-3:] == [EventKind.SAFE_DOOR_OPENED, EventKind.SAFE_DOOR_FORCED, EventKind.INCIDENT_OPENED]
    forced = [e for e in rig.ledger.events() if e.kind == EventKind.SAFE_DOOR_FORCED][-1]
    assert json.loads(forced.payload) == {"lock": "engaged", "while_offline": False}
    incident = rig.last(EventKind.INCIDENT_OPENED)
    assert incident["type"] == EventKind.SAFE_DOOR_FORCED
    assert incident["forced"] == forced.seq
    assert state.alarm is not None
    assert state.alarm.forced == forced.seq
    assert rig.module.relay_writes == []  # a forced door never moves the lock
    # The alarm is on record: a restart (a fresh core over the same chain) still has it.
    again = Desk(rig.ledger, Settings())
    assert again.watch_safe(None).alarm == state.alarm
    assert verify(rig.ledger).ok


def test_only_a_supervisor_acknowledges_the_alarm_with_a_reason(rig: Rig, crew: Crew) -> None:
    rig.module.force_door()
    rig.pump_until(lambda s: s.alarm is not None)
    with pytest.raises(NotAllowed):
        rig.desk.acknowledge_door_alarm(crew.officer, "見回り")
    assert rig.desk.safe_state().alarm is not None
    state = rig.desk.acknowledge_door_alarm(crew.supervisor, "鍵で開けたことを確認")
    assert state.alarms == ()
    ack = rig.last(EventKind.SAFE_ALARM_ACKNOWLEDGED)
    assert ack["reason"] == "鍵で開けたことを確認"
    assert [e for e in rig.ledger.events() if e.kind == EventKind.SAFE_ALARM_ACKNOWLEDGED][-1].actor_id == (
        crew.supervisor.id
    )
    assert Desk(rig.ledger, Settings()).watch_safe(None).alarms == ()


def test_closing_with_the_door_open_is_refused(rig: Rig, crew: Crew) -> None:
    session = rig.desk.open_safe(crew.officer, crew.clerk, CHECK_OPEN)
    rig.module.open_door()
    rig.pump_until(lambda s: s.door is Door.OPEN)
    with pytest.raises(DoorOpen, match="扉が開いています"):
        rig.desk.close_safe(session.id, crew.officer, crew.clerk, CHECK_CLOSE)
    assert rig.last(EventKind.REFUSED) == {"reason": "door_open", "attempted": "close_safe"}
    assert rig.desk.current_session() is not None
    rig.module.close_door()
    rig.pump_until(lambda s: s.door is Door.CLOSED)
    writes = len(rig.module.relay_writes)
    rig.desk.close_safe(session.id, crew.officer, crew.clerk, CHECK_CLOSE)
    closed = rig.last(EventKind.SESSION_CLOSED)
    assert closed["door"] == "closed"
    assert closed["lock"] == "engaged"
    assert len(rig.module.relay_writes) == writes + 1
    assert rig.module.locked


def test_the_door_left_open_is_recorded_once(rig: Rig, crew: Crew, clock: FakeClock) -> None:
    rig.desk.open_safe(crew.officer, crew.clerk, CHECK_OPEN)
    rig.module.open_door()
    rig.pump_until(lambda s: s.door is Door.OPEN)
    assert rig.desk.check_door_left_open() is None
    clock.advance(seconds=rig.desk.door_open_limit_s + 1)
    outcome = rig.desk.check_door_left_open()
    assert outcome is not None
    assert outcome.recorded == (EventKind.SAFE_DOOR_LEFT_OPEN,)
    assert rig.desk.check_door_left_open() is None
    assert rig.last(EventKind.SAFE_DOOR_LEFT_OPEN)["limit_s"] == int(rig.desk.door_open_limit_s)


def test_module_offline_and_back_is_recorded_with_the_change_it_missed(rig: Rig, crew: Crew) -> None:
    rig.module.power_off()
    rig.pump_until(lambda s: s.online is False)
    assert rig.last(EventKind.SAFE_IO_OFFLINE)["module"] == "safe-io"
    # Offline: no opening without the manual (key) procedure, and that needs a supervisor.
    with pytest.raises(ModuleOffline):
        rig.desk.open_safe(crew.officer, crew.clerk, CHECK_OPEN)
    assert rig.last(EventKind.REFUSED) == {"reason": "module_offline", "attempted": "open_safe"}
    with pytest.raises(NotAllowed):
        rig.desk.approve_manual(crew.officer, crew.clerk, "停電")
    rig.desk.approve_manual(crew.officer, crew.supervisor, "入出力機器の故障")
    session = rig.desk.open_safe(crew.officer, crew.clerk, CHECK_OPEN)
    assert rig.last(EventKind.SESSION_OPENED)["manual"] == "key"
    assert rig.module.relay_writes == []
    # The door opened with the key while the module was away: seen, and recorded as such, when it returns.
    rig.module.door_open = True
    rig.module.power_on()
    rig.module.open_door()
    state = rig.pump_until(lambda s: s.online is True and s.door is Door.OPEN)
    assert rig.last(EventKind.SAFE_DOOR_OPENED) == {"while_offline": True}
    assert state.alarms == ()  # a session was open: not forced
    rig.module.close_door()
    rig.pump_until(lambda s: s.door is Door.CLOSED)
    rig.desk.close_safe(session.id, crew.officer, crew.clerk, CHECK_CLOSE)
    kinds = rig.kinds()
    assert kinds.index(EventKind.SAFE_IO_OFFLINE) < kinds.index(EventKind.SAFE_MANUAL_APPROVED)
    assert kinds.index(EventKind.SAFE_MANUAL_APPROVED) < kinds.index(
        EventKind.SAFE_IO_ONLINE, kinds.index(EventKind.SAFE_IO_OFFLINE)
    )
    assert verify(rig.ledger).ok


def test_a_site_without_the_module_runs_as_before(ledger: Ledger, crew: Crew) -> None:
    desk = Desk(ledger, Settings())
    session = desk.open_safe(crew.officer, crew.clerk, CHECK_OPEN)
    desk.close_safe(session.id, crew.officer, crew.clerk, CHECK_CLOSE)
    assert not [k for k in (e.kind for e in ledger.events()) if k.startswith("safe_")]
    assert json.loads([e for e in ledger.events() if e.kind == EventKind.SESSION_CLOSED][-1].payload) == {
        "checklist": list(CHECK_CLOSE)
    }


def test_closing_while_the_module_is_offline_records_door_and_lock_unknown(rig: Rig, crew: Crew) -> None:
    rig.module.power_off()
    rig.pump_until(lambda s: s.online is False)
    rig.desk.approve_manual(crew.officer, crew.supervisor, "停電")
    session = rig.desk.open_safe(crew.officer, crew.clerk, CHECK_OPEN)
    rig.desk.close_safe(session.id, crew.officer, crew.clerk, CHECK_CLOSE)
    closed = rig.last(EventKind.SESSION_CLOSED)
    assert (closed["door"], closed["lock"]) == ("unknown", "unknown")
    # One approval, one opening by key: another opening needs another approval (after a restart too).
    assert Desk(rig.ledger, Settings()).watch_safe(None).manual is None
    with pytest.raises(ModuleOffline):
        rig.desk.open_safe(crew.officer, crew.clerk, CHECK_OPEN)
