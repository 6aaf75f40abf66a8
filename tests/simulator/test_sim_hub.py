"""The hub: named devices, attach for other kinds, the live-hub registry, key sequence generators."""

from __future__ import annotations

import itertools

import pytest

from drivers.keymaps import Layout
from drivers.scan import Scan
from drivers.serial_scanner import SerialScanner
from drivers.wedge import MonotonicAnchor, WedgeDecoder
from simulator.cabinet import Cabinet
from simulator.hub import SimDevice, SimHub, find_hub
from simulator.keys import burst, evdev_events, fullwidth, human, swap_layout
from simulator.serial_sim import ScanFormat


class Lamp:
    """A made-up device of another kind, as the camera and UHF simulators will attach."""

    def __init__(self) -> None:
        self.name = "lamp"
        self.log: list[str] = []

    def scan(self, code: str) -> None:
        self.log.append(f"scan {code}")

    def unplug(self) -> None:
        self.log.append("unplug")

    def replug(self, new_path: str | None = None) -> None:
        self.log.append(f"replug {new_path}")

    def close(self) -> None:
        self.log.append("close")


def test_attach_any_sim_device() -> None:
    lamp = Lamp()
    assert isinstance(lamp, SimDevice)
    with SimHub(Cabinet.generate(2)) as hub:
        hub.attach("lamp", lamp)
        hub.scan("lamp", "8000000015")
        hub.unplug("lamp")
        hub.replug("lamp", new_path="/x")
        with pytest.raises(ValueError, match="already"):
            hub.attach("lamp", Lamp())
        with pytest.raises(TypeError, match="does not simulate"):
            hub.garbage("lamp", b"x")
    assert lamp.log == ["scan 8000000015", "unplug", "replug /x", "close"]


def test_hub_registry_is_per_hub_and_forgets_closed_hubs() -> None:
    a, b = SimHub(), SimHub()
    assert a.id != b.id
    assert find_hub(a.id) is a
    a.close()
    with pytest.raises(KeyError):
        find_hub(a.id)
    b.close()


def test_two_hubs_do_not_share_devices() -> None:
    with SimHub() as a, SimHub() as b:
        a.add_serial("s")
        b.add_serial("s")
        dev = SerialScanner(b.url("s"))
        dev.open()
        a.scan("s", "8000000015")
        b.scan("s", "8000000028")
        scan = dev.read(2.0)
        assert isinstance(scan, Scan)
        assert scan.code == "8000000028"
        assert dev.read(0.1) is None
        dev.close()


def test_scan_formats() -> None:
    assert ScanFormat("crlf", aim="]C0").encode("8000000015") == b"]C08000000015\r\n"
    assert ScanFormat("stx-etx", prefix="K").encode("1") == b"\x02K1\x03"
    with pytest.raises(ValueError, match="framing"):
        ScanFormat("morse").encode("1")


def test_key_generators() -> None:
    keys = burst("80", 1.0, interval=0.01)
    assert keys == [("8", 1.0), ("0", 1.01), ("\r", 1.02)]
    slow = human("80", 0.0)
    assert all(b[1] - a[1] >= 0.06 for a, b in itertools.pairwise(slow))
    assert fullwidth("8-A") == "８ーＡ"
    assert swap_layout("]@", "us_on_jis") == '["'
    events = evdev_events("A", 0.0, layout=Layout.JIS)
    assert [e[2] for e in events if e[0] == 1] == [1, 1, 0, 0, 1, 0]  # shift, a, a-up, shift-up, enter


def test_generated_keys_decode_back() -> None:
    dec = WedgeDecoder(clock=MonotonicAnchor(0.0))
    out = [r for ch, t in burst("]Q1ABC-123", 0.0) for r in dec.feed(ch, t)]
    assert [r.code for r in out if isinstance(r, Scan)] == ["ABC-123"]
