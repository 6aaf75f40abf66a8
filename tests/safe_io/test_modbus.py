"""The safe I/O driver against a real pymodbus server (the simulator's module) over TCP and RTU on ptys."""

from __future__ import annotations

import threading
import time

import pytest

from drivers.contract import DeviceStatus
from drivers.errors import DeviceUnavailable
from drivers.safe_io import (
    DoorChanged,
    DoorState,
    LineChanged,
    LineState,
    LockChanged,
    LockState,
    ModuleStatus,
)
from drivers.safe_io.device import SafeIo
from simulator.hub import SimHub
from simulator.safe_io import SimSafeModule
from tests.safe_io.conftest import open_driver, wait_event


def door(state: DoorState, *, initial: bool = False) -> object:
    return lambda e: isinstance(e, DoorChanged) and e.door is state and e.initial is initial


def status(state: DeviceStatus) -> object:
    return lambda e: isinstance(e, ModuleStatus) and e.status is state


def lock(state: LockState, reason: str) -> object:
    return lambda e: isinstance(e, LockChanged) and e.lock is state and e.reason == reason


def test_door_changes_are_seen(module: SimSafeModule) -> None:
    driver = open_driver(module)
    try:
        first = wait_event(driver, door(DoorState.CLOSED, initial=True))
        assert any(isinstance(e, ModuleStatus) and e.status is DeviceStatus.ONLINE for e in first)
        assert [e.at for e in first] == sorted(e.at for e in first)  # the stream is in time order
        assert driver.status is DeviceStatus.ONLINE
        for _ in range(3):
            module.open_door()
            opened = wait_event(driver, door(DoorState.OPEN))[-1]
            module.close_door()
            closed = wait_event(driver, door(DoorState.CLOSED))[-1]
            assert opened.at < closed.at  # type: ignore[union-attr]
            assert opened.at.tzinfo is not None  # type: ignore[union-attr]
        assert driver.door is DoorState.CLOSED
        assert module.relay_writes == []  # opening and polling never touch the relay
    finally:
        driver.close()


def test_reconnect_after_the_module_loses_power(module: SimSafeModule) -> None:
    statuses: list[DeviceStatus] = []
    driver = open_driver(module, on_status=lambda _name, s: statuses.append(s))
    try:
        wait_event(driver, door(DoorState.CLOSED, initial=True))
        module.power_off()
        offline = wait_event(driver, status(DeviceStatus.OFFLINE))[-1]
        assert isinstance(offline, ModuleStatus)
        assert offline.reason
        assert driver.status is DeviceStatus.OFFLINE
        module.open_door()  # the door moves while the module is away
        deadline = time.monotonic() + 10
        while DeviceStatus.RECONNECTING not in statuses and time.monotonic() < deadline:
            assert driver.read(0.2) is None  # reading drives the retries; nothing to report while away
        module.power_on()
        back = wait_event(driver, door(DoorState.OPEN, initial=True))
        kinds = [type(e).__name__ for e in back]
        assert kinds.count("ModuleStatus") == 1  # one offline per outage, however many attempts failed
        assert any(isinstance(e, ModuleStatus) and e.status is DeviceStatus.ONLINE for e in back)
        assert driver.status is DeviceStatus.ONLINE
        # The status bar's view: one outage, retried quietly, back.
        assert statuses == [
            DeviceStatus.ONLINE,
            DeviceStatus.OFFLINE,
            DeviceStatus.RECONNECTING,
            DeviceStatus.ONLINE,
        ]
        module.close_door()
        wait_event(driver, door(DoorState.CLOSED))
    finally:
        driver.close()


def test_relay_writes_are_observed_on_the_module(module: SimSafeModule) -> None:
    driver = open_driver(module)
    try:
        wait_event(driver, lock(LockState.ENGAGED, "read"))
        driver.release(None)
        assert module.wait_for(lambda: module.coil)
        assert not module.locked
        wait_event(driver, lock(LockState.RELEASED, "commanded"))
        driver.engage()
        assert module.wait_for(lambda: not module.coil)
        assert [value for value, _t in module.relay_writes] == [True, False]
        # A timed release is engaged again by the driver while it reads.
        driver.release(0.3)
        wait_event(driver, lock(LockState.ENGAGED, "timer"))
        assert module.locked
        # A release ends as soon as the door opens.
        driver.release(60)
        module.open_door()
        wait_event(driver, lock(LockState.ENGAGED, "door_opened"))
        assert module.locked
        assert [value for value, _t in module.relay_writes] == [True, False, True, False, True, False]
    finally:
        driver.close()


def test_a_lock_command_while_the_module_is_away_says_so_and_writes_nothing(module: SimSafeModule) -> None:
    driver = open_driver(module)
    try:
        wait_event(driver, door(DoorState.CLOSED, initial=True))
        module.power_off()
        wait_event(driver, status(DeviceStatus.OFFLINE))
        with pytest.raises(DeviceUnavailable, match="offline; the lock was not released"):
            driver.release(5)
        module.power_on()
        wait_event(driver, status(DeviceStatus.ONLINE))
        assert module.relay_writes == []
    finally:
        driver.close()


def test_a_release_that_ran_out_while_away_is_finished_when_the_module_is_back() -> None:
    # A maglock holds while its coil is on; a module that lost power comes back with the coil off,
    # so the lock is open. The driver engages it only because its own release had run out.
    with SimSafeModule(transport="tcp", lock="maglock") as module:
        module.power_off()
        module.power_on()
        driver = open_driver(module)
        try:
            wait_event(driver, lock(LockState.RELEASED, "read"))
            assert module.relay_writes == []  # found released at start: reported, not "corrected"
            driver.engage()
            assert module.wait_for(lambda: module.locked)
            driver.release(0.5)
            module.power_off()
            wait_event(driver, status(DeviceStatus.OFFLINE))
            module.power_on()
            back = wait_event(driver, lock(LockState.ENGAGED, "timer"))
            assert any(isinstance(e, LockChanged) and e.reason == "read" for e in back)
            assert module.locked
            assert [value for value, _t in module.relay_writes] == [True, False, True]
        finally:
            driver.close()


def test_normally_open_contact() -> None:
    with SimSafeModule(transport="tcp", polarity="no") as module:
        assert "polarity=no" in module.url
        driver = open_driver(module)
        try:
            wait_event(driver, door(DoorState.CLOSED, initial=True))
            assert module.contact_conducting is False  # NO: no current while shut
            module.open_door()
            wait_event(driver, door(DoorState.OPEN))
        finally:
            driver.close()


def test_line_supervision_cut_and_shorted(transport: str) -> None:
    with SimSafeModule(transport=transport, line_input=1) as module:
        driver = open_driver(module)
        try:
            wait_event(driver, door(DoorState.CLOSED, initial=True))
            module.cut_line()
            seen = wait_event(driver, lambda e: isinstance(e, LineChanged) and e.line is LineState.CUT)
            cut = seen[-1]
            assert isinstance(cut, LineChanged)
            assert cut.fault
            wait_event(driver, door(DoorState.OPEN))  # a cut NC loop also reads as open, after the cut
            module.short_line()
            wait_event(driver, lambda e: isinstance(e, LineChanged) and e.line is LineState.SHORTED)
            module.mend_line()
            mended = wait_event(driver, lambda e: isinstance(e, LineChanged) and not e.fault)[-1]
            assert isinstance(mended, LineChanged)
            assert mended.line is LineState.CLOSED
        finally:
            driver.close()


def test_door_from_the_supervised_loop_alone() -> None:
    with SimSafeModule(transport="tcp", door_input=None, line_input=3) as module:
        assert "door_input=none" in module.url
        driver = open_driver(module)
        try:
            wait_event(driver, door(DoorState.CLOSED, initial=True))
            module.open_door()
            wait_event(driver, door(DoorState.OPEN))
            module.cut_line()
            wait_event(driver, lambda e: isinstance(e, LineChanged) and e.line is LineState.CUT)
            assert driver.door is DoorState.OPEN  # the fault invents no door state
        finally:
            driver.close()


def test_a_wrong_input_address_is_named() -> None:
    with SimSafeModule(transport="tcp") as module:
        driver = SafeIo(module.url.replace("door_input=0", "door_input=900"), poll_ms=50)
        with pytest.raises(DeviceUnavailable, match="illegal data address"):
            driver.open()
        event = driver.read(1.0)
        assert isinstance(event, ModuleStatus)
        assert "check door_input" in event.reason
        driver.close()


def test_open_with_the_module_off_then_it_comes_online() -> None:
    with SimSafeModule(transport="tcp") as module:
        module.power_off()
        driver = SafeIo(module.url, poll_ms=50, reconnect_max_s=1)
        with pytest.raises(DeviceUnavailable, match=r"cannot reach 127\.0\.0\.1"):
            driver.open()
        module.power_on()
        events = wait_event(driver, door(DoorState.CLOSED, initial=True))
        assert isinstance(events[0], ModuleStatus)
        assert events[0].status is DeviceStatus.OFFLINE
        driver.close()


def test_a_cut_bus_cable_is_offline_and_mended_online() -> None:
    with SimSafeModule(transport="rtu") as module:
        driver = open_driver(module)
        try:
            wait_event(driver, door(DoorState.CLOSED, initial=True))
            assert module.cable is not None
            module.cable.cut()
            offline = wait_event(driver, status(DeviceStatus.OFFLINE))[-1]
            assert isinstance(offline, ModuleStatus)
            assert offline.reason == "no answer"
            module.cable.mend()
            wait_event(driver, status(DeviceStatus.ONLINE))
        finally:
            driver.close()


def test_close_from_another_thread_ends_a_blocked_read(module: SimSafeModule) -> None:
    driver = open_driver(module)
    wait_event(driver, door(DoorState.CLOSED, initial=True))
    outcome: list[object] = []

    def reader() -> None:
        try:
            while True:
                driver.read(None)
        except DeviceUnavailable as exc:
            outcome.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    driver.close()
    thread.join(10)
    assert not thread.is_alive()
    assert isinstance(outcome[0], DeviceUnavailable)
    driver.close()  # twice is harmless


def test_the_hub_holds_the_module_and_its_faults() -> None:
    with SimHub() as hub:
        module = hub.add_safe_io("safe", transport="tcp")
        driver = open_driver(module)
        try:
            wait_event(driver, door(DoorState.CLOSED, initial=True))
            hub.unplug("safe")
            wait_event(driver, status(DeviceStatus.OFFLINE))
            hub.replug("safe")
            wait_event(driver, status(DeviceStatus.ONLINE))
            assert hub.fault("safe", "force_door") is True  # opened while locked
            wait_event(driver, door(DoorState.OPEN))
            assert module.forced_openings == 1
        finally:
            driver.close()
