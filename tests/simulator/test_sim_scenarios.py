"""Scenarios load from TOML and, played on a hub, deliver exactly the scans they expect."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from drivers.errors import DeviceUnavailable, FrameError
from drivers.scan import Scan
from drivers.serial_scanner import SerialScanner
from drivers.wedge_device import KeyboardWedge
from simulator.hub import SimHub
from simulator.scenario import (
    ACTIONS,
    DEVICE_KINDS,
    build_devices,
    builtin_scenarios,
    load_scenario,
    parse_scenario,
    run_scenario,
)
from tests.drivers.conftest import drain


def test_builtin_scenarios_load() -> None:
    names = builtin_scenarios()
    assert {"counter-morning", "wedge-typing"} <= set(names)
    for name in names:
        sc = load_scenario(name)
        assert sc.steps
        for step in sc.steps:
            assert step.action in ACTIONS
        for dev in sc.devices:
            assert dev.kind in DEVICE_KINDS


def test_unknown_keys_and_actions_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown keys"):
        parse_scenario({"name": "x", "steps": [{"action": "scan", "devcie": "a"}]})
    with pytest.raises(ValueError, match="unknown action"):
        parse_scenario({"name": "x", "steps": [{"action": "explode"}]})


def test_counter_morning_on_the_real_serial_driver() -> None:
    sc = load_scenario("counter-morning")
    with SimHub(sc.make_cabinet()) as hub:
        build_devices(hub, sc)
        dev = SerialScanner(hub.url("counter"), name="counter", reconnect_interval=0.05)
        dev.open()
        player = threading.Thread(target=run_scenario, args=(hub, sc))
        player.start()
        got: list[object] = []
        while player.is_alive():
            got += drain(dev, quiet=0.2)
        player.join()
        got += drain(dev, quiet=0.5)
        dev.close()
    scans = [x.code for x in got if isinstance(x, Scan)]
    assert scans == sc.expected(hub.cabinet)
    reasons = [x.reason for x in got if isinstance(x, FrameError)]
    assert "modem_probe" in reasons
    assert "control_bytes" in reasons
    assert any(isinstance(x, DeviceUnavailable) for x in got)


def test_wedge_typing_scenario() -> None:
    sc = load_scenario("wedge-typing")
    with SimHub(sc.make_cabinet()) as hub:
        build_devices(hub, sc)
        dev = KeyboardWedge("wedge")
        hub.device("wedge").connect(dev)  # type: ignore[attr-defined]
        dev.open()
        run_scenario(hub, sc)
        got = drain(dev)
    assert [x.code for x in got if isinstance(x, Scan)] == sc.expected(hub.cabinet)
    assert [t.text for t in dev.typed] == ["hello"]


def test_a_scenario_file_of_ones_own(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        'name = "mine"\ncabinet = { size = 3 }\n'
        '[[devices]]\nname = "s"\nkind = "serial"\noptions = { framing = "stx-etx" }\n'
        '[[steps]]\naction = "scan"\ndevice = "s"\ncode = "8000000015"\n'
        '[[steps]]\naction = "garbage"\ndevice = "s"\nhex = "41540d"\n'
        '[[steps]]\naction = "scan"\ndevice = "s"\ncard = 2\n'
    )
    sc = load_scenario(path)
    with SimHub(sc.make_cabinet()) as hub:
        build_devices(hub, sc)
        dev = SerialScanner(hub.url("s"))
        dev.open()
        run_scenario(hub, sc)
        got = drain(dev)
        dev.close()
    assert [x.code for x in got if isinstance(x, Scan)] == ["8000000015", hub.cabinet.ids()[2]]
    # The driver frames "auto", so "AT\r" is a CR-terminated frame: refused as a modem probe.
    assert [x.reason for x in got if isinstance(x, FrameError)] == ["modem_probe"]


def test_evdev_scenario_on_the_real_evdev_driver() -> None:
    from drivers.contract import DeviceStatus
    from drivers.evdev_scanner import EvdevScanner
    from tests.drivers.conftest import read_until, wait_online

    sc = load_scenario("evdev-jis-counter")
    with SimHub(sc.make_cabinet()) as hub:
        build_devices(hub, sc)
        dev = EvdevScanner("wedge-usb", layout="jis", opener=hub.evdev_opener, reconnect_interval=0.05)
        dev.open()
        got: list[object] = []

        def after(step: object) -> None:
            # Read what each step produced before the next one (an unplug must fall between frames).
            got.extend(drain(dev, quiet=0.1))

        run_scenario(hub, sc, after_step=after)
        if not any(isinstance(x, DeviceUnavailable) for x in got):
            got.append(read_until(dev, lambda x: isinstance(x, DeviceUnavailable)))
        wait_online(dev)
        assert dev.status is DeviceStatus.ONLINE
        hub.scan("wedge-usb", hub.cabinet.ids()[2])
        got.append(read_until(dev, lambda x: isinstance(x, Scan)))
        dev.close()
    scans = [x.code for x in got if isinstance(x, Scan)]
    assert scans == [*sc.expected(hub.cabinet), hub.cabinet.ids()[2]]
    assert [x.reason for x in got if isinstance(x, FrameError)] == ["syn_dropped"]
