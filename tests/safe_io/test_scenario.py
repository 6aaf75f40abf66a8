"""Scenarios as data drive the simulated safe: door, loop and power, each step seen by the driver."""

from __future__ import annotations

from drivers.contract import DeviceStatus
from drivers.safe_io import DoorChanged, DoorState, LineChanged, LineState, ModuleStatus
from simulator.hub import SimHub
from simulator.safe_io import SimSafeModule
from simulator.scenario import Step, build_devices, parse_scenario, run_scenario
from tests.safe_io.conftest import open_driver, wait_event

SCENARIO = {
    "name": "safe-after-hours",
    "devices": [{"name": "safe", "kind": "safe_io", "options": {"transport": "tcp", "line_input": 1}}],
    "steps": [
        {"action": "force_door", "device": "safe"},
        {"action": "close_door", "device": "safe"},
        {"action": "cut_line", "device": "safe"},
        {"action": "mend_line", "device": "safe"},
        {"action": "unplug", "device": "safe"},
        {"action": "replug", "device": "safe"},
        {"action": "leave_door_open", "device": "safe"},
    ],
}

EXPECTED: dict[str, object] = {
    "force_door": lambda e: isinstance(e, DoorChanged) and e.door is DoorState.OPEN,
    "close_door": lambda e: isinstance(e, DoorChanged) and e.door is DoorState.CLOSED,
    "cut_line": lambda e: isinstance(e, LineChanged) and e.line is LineState.CUT,
    "mend_line": lambda e: isinstance(e, LineChanged) and not e.fault,
    "unplug": lambda e: isinstance(e, ModuleStatus) and e.status is DeviceStatus.OFFLINE,
    "replug": lambda e: isinstance(e, ModuleStatus) and e.status is DeviceStatus.ONLINE,
    "leave_door_open": lambda e: isinstance(e, DoorChanged) and e.door is DoorState.OPEN,
}


def test_a_scenario_plays_on_the_module_and_the_driver_sees_each_step() -> None:
    scenario = parse_scenario(SCENARIO)
    with SimHub() as hub:
        build_devices(hub, scenario)
        module = hub.device("safe")
        assert isinstance(module, SimSafeModule)
        driver = open_driver(module)
        wait_event(driver, lambda e: isinstance(e, DoorChanged) and e.initial)
        seen: list[str] = []

        def after(step: Step) -> None:
            wanted = EXPECTED[step.action]
            wait_event(driver, wanted)  # type: ignore[arg-type]
            seen.append(step.action)

        try:
            run_scenario(hub, scenario, after_step=after)
        finally:
            driver.close()
        assert seen == [s["action"] for s in SCENARIO["steps"]]  # type: ignore[index]
        assert module.forced_openings == 1
        assert module.door_open
