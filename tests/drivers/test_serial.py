"""The serial driver's own behaviour on ptys and the sim:// URL: settings, faults, reconnects."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from drivers import registry
from drivers.contract import DeviceStatus
from drivers.errors import DeviceUnavailable, FrameError
from drivers.evdev_scanner import EvdevScanner
from drivers.payload import PayloadRules
from drivers.scan import Scan, Symbology
from drivers.serial_scanner import SerialScanner
from drivers.wedge_device import KeyboardWedge
from simulator.hub import SimHub
from tests.drivers.conftest import BACKENDS, drain, read_until, wait_online

CODE = "8000000015"


def is_scan(item: object) -> bool:
    return isinstance(item, Scan)


def test_registry_names_the_scanner_drivers() -> None:
    assert {"serial", "wedge", "evdev"} <= set(registry.names())
    assert registry.load("serial") is SerialScanner
    assert registry.load("wedge") is KeyboardWedge
    assert registry.load("evdev") is EvdevScanner


def test_line_settings_reach_pyserial(hub: SimHub, tmp_path: Path) -> None:
    pty = hub.add_pty("p", link=tmp_path / "ttyS")
    dev = SerialScanner(pty.path, baudrate=115200, parity="even", stopbits=2, bytesize=7)
    dev.open()
    try:
        port = dev._port
        assert (port.baudrate, port.parity, port.stopbits, port.bytesize) == (115200, "E", 2, 7)
    finally:
        dev.close()


def test_spy_url_runs_the_same_driver(hub: SimHub, tmp_path: Path) -> None:
    pty = hub.add_pty("p")
    log = tmp_path / "spy.txt"
    dev = SerialScanner(f"spy://{pty.path}?file={log}")
    dev.open()
    hub.scan("p", CODE)
    assert read_until(dev, is_scan).code == CODE
    dev.close()
    rx = [line for line in log.read_text().splitlines() if " RX " in line]
    assert rx  # spy:// logged the bytes the driver read


def test_garbage_and_modem_probe_are_rejected_frames(hub: SimHub) -> None:
    hub.add_serial("s")
    dev = SerialScanner(hub.url("s"))
    dev.open()
    hub.garbage("s", b"AT\r")
    hub.garbage("s", b"\xff\xfe\x00\x13\r")
    hub.garbage("s", b"\xc3\x28\xa0\r")  # invalid UTF-8
    hub.scan("s", CODE)
    got = drain(dev)
    # Two frames of line noise in one burst: one rejection with its own reason and no advice (noise at
    # power-up is normal; issue 25), not one per frame and not a line-settings report; then the scan.
    assert [getattr(x, "reason", None) for x in got[:2]] == ["modem_probe", "control_bytes"]
    assert "set " not in got[1].detail  # type: ignore[union-attr]
    assert isinstance(got[2], Scan)
    assert got[2].code == CODE
    assert len(got) == 3
    dev.close()


def test_split_frame_within_the_gap_is_joined(hub: SimHub) -> None:
    hub.add_serial("s", framing="stx-etx")
    dev = SerialScanner(hub.url("s"), gap=2.0)
    dev.open()
    hub.fault("s", "split", CODE, pause=0.05, pieces=3)
    assert read_until(dev, is_scan).code == CODE
    dev.close()


def test_split_frame_older_than_the_gap_is_dropped_not_glued(
    hub: SimHub, caplog: pytest.LogCaptureFixture
) -> None:
    hub.add_serial("s", framing="cr")
    dev = SerialScanner(hub.url("s"), gap=0.1)
    dev.open()
    writer = threading.Thread(target=hub.fault, args=("s", "split", CODE), kwargs={"pause": 0.5})
    writer.start()
    err = read_until(dev, lambda x: isinstance(x, FrameError))
    writer.join()
    assert err.reason == "partial_timeout"
    assert "dropped a partial frame" in caplog.text
    hub.scan("s", "8000000028")
    # The tail of the split frame ("...0015\r") arrives late: it is its own (short) frame, and the
    # next scan is intact, never glued to the head.
    got = [x for x in drain(dev) if isinstance(x, Scan)]
    assert [s.code for s in got][-1] == "8000000028"
    assert CODE not in [s.code for s in got]
    dev.close()


def test_merged_frames_in_one_write(hub: SimHub) -> None:
    hub.add_serial("s", framing="crlf", aim="]C0")
    dev = SerialScanner(hub.url("s"))
    dev.open()
    hub.fault("s", "merged", ["8000000015", "8000000028", "8000000031"])
    assert [read_until(dev, is_scan).code for _ in range(3)] == ["8000000015", "8000000028", "8000000031"]
    dev.close()


def test_stalled_device_stays_online_and_resumes(hub: SimHub) -> None:
    hub.add_serial("s")
    dev = SerialScanner(hub.url("s"))
    dev.open()
    hub.fault("s", "stall")
    hub.scan("s", CODE)
    assert dev.read(0.2) is None
    assert dev.status is DeviceStatus.ONLINE
    hub.fault("s", "resume")
    assert read_until(dev, is_scan).code == CODE
    dev.close()


def test_allow_list_and_prefix_on_the_driver(hub: SimHub) -> None:
    hub.add_serial("s", aim="]Q1", prefix="K")
    rules = PayloadRules(prefix="K", symbologies=frozenset({Symbology.QR}))
    dev = SerialScanner(hub.url("s"), rules=rules)
    dev.open()
    hub.scan("s", CODE)
    hub.fault("s", "send_raw", b"]C0K8000000028\r")
    scan = read_until(dev, is_scan)
    assert (scan.code, scan.symbology) == (CODE, Symbology.QR)
    err = read_until(dev, lambda x: isinstance(x, FrameError))
    assert err.reason == "prefix_missing"
    dev.close()


def test_status_changes_are_reported_across_unplug_and_replug(hub: SimHub, tmp_path: Path) -> None:
    seen: list[DeviceStatus] = []
    pty = hub.add_pty("p", link=tmp_path / "by-id-scanner")
    dev = SerialScanner(pty.path, reconnect_interval=0.05, on_status=lambda _n, s: seen.append(s))
    dev.open()
    hub.unplug("p")
    read_until(dev, lambda x: isinstance(x, DeviceUnavailable))
    hub.replug("p")
    wait_online(dev)
    assert seen[0] is DeviceStatus.ONLINE
    assert DeviceStatus.OFFLINE in seen
    assert DeviceStatus.RECONNECTING in seen
    assert seen[-1] is DeviceStatus.ONLINE
    hub.scan("p", CODE)
    assert read_until(dev, is_scan).code == CODE
    dev.close()


def test_waiting_for_an_absent_device_does_not_spin(hub: SimHub, tmp_path: Path) -> None:
    pty = hub.add_pty("p", link=tmp_path / "scanner")
    dev = SerialScanner(pty.path, reconnect_interval=0.1)
    dev.open()
    hub.unplug("p")
    read_until(dev, lambda x: isinstance(x, DeviceUnavailable))
    cpu = time.process_time()
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        assert dev.read(0.2) is None
    # A busy loop would burn about a second of CPU here; polling sleeps between attempts.
    assert time.process_time() - cpu < 0.5
    assert dev.status is DeviceStatus.RECONNECTING
    dev.close()


def test_replug_under_a_new_path(hub: SimHub, tmp_path: Path) -> None:
    pty = hub.add_pty("p", link=tmp_path / "old")
    dev = SerialScanner(str(tmp_path / "old"), reconnect_interval=0.05)
    dev.open()
    hub.unplug("p")
    read_until(dev, lambda x: isinstance(x, DeviceUnavailable))
    hub.replug("p", new_path=str(tmp_path / "new"))
    assert dev.read(0.3) is None  # the configured path is still absent: no crash, no scan
    assert dev.status is not DeviceStatus.ONLINE
    dev.close()
    moved = SerialScanner(pty.path)
    moved.open()
    hub.scan("p", CODE)
    assert read_until(moved, is_scan).code == CODE
    moved.close()


def test_sim_url_replug_under_a_new_name(hub: SimHub) -> None:
    hub.add_serial("s")
    old_url = hub.url("s")
    hub.unplug("s")
    hub.replug("s", new_path="s2")
    with pytest.raises(DeviceUnavailable):
        SerialScanner(old_url).open()
    dev = SerialScanner(hub.url("s2"))
    dev.open()
    hub.scan("s2", CODE)
    assert read_until(dev, is_scan).code == CODE
    dev.close()


@pytest.mark.parametrize("name", ["serial-sim", "serial-pty", "evdev", "wedge"])
def test_close_from_another_thread_ends_a_blocked_read(name: str, hub: SimHub, tmp_path: Path) -> None:
    """The scanner drivers let the UI close a device while its worker thread is blocked in read()."""
    with BACKENDS[name](hub, tmp_path) as backend:
        dev = backend.device
        dev.open()
        outcome: list[object] = []

        def worker() -> None:
            try:
                outcome.append(dev.read(10.0))
            except DeviceUnavailable as exc:
                outcome.append(exc)

        thread = threading.Thread(target=worker, daemon=True)
        thread.start()
        thread.join(0.2)  # let it block (a join with a timeout, not a bare sleep)
        dev.close()
        thread.join(5)
        assert not thread.is_alive()
        assert len(outcome) == 1
        assert isinstance(outcome[0], DeviceUnavailable)
