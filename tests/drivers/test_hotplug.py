"""The inotify watcher behind the reconnect (issue 14, item 2)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from drivers.errors import DeviceUnavailable
from drivers.hotplug import PathWatcher, inotify_available
from drivers.serial_scanner import SerialScanner
from simulator.hub import SimHub

pytestmark = pytest.mark.skipif(not inotify_available(), reason="inotify is Linux only")


def test_the_watcher_wakes_when_the_link_appears_even_if_its_directory_was_gone(tmp_path: Path) -> None:
    link = tmp_path / "serial" / "by-id" / "usb-Scanner-if00"  # udev removes by-id with the last device
    watcher = PathWatcher(link)
    try:
        assert watcher.uses_inotify
        assert watcher.wait(0.05) is False  # nothing happened
        link.parent.mkdir(parents=True)
        assert watcher.wait(1.0) is True  # the directory appeared
        assert watcher.wait(0.05) is False
        link.symlink_to("/dev/null")
        assert watcher.wait(1.0) is True  # the link appeared
    finally:
        watcher.close()


def test_status_says_why_a_device_cannot_be_opened(hub: SimHub, tmp_path: Path) -> None:
    missing = SerialScanner(str(tmp_path / "nothing-here"))
    with pytest.raises(DeviceUnavailable, match="path absent"):
        missing.open()
    assert missing.last_error == "path absent"
    missing.close()
    pty = hub.add_pty("p", link=tmp_path / "scanner")
    first = SerialScanner(pty.path)
    first.open()
    second = SerialScanner(pty.path)
    try:
        with pytest.raises(DeviceUnavailable, match="busy"):
            second.open()
        assert second.last_error.startswith("busy")
    finally:
        first.close()
        second.close()


def test_a_replug_is_noticed_well_before_the_poll_interval(hub: SimHub, tmp_path: Path) -> None:
    (tmp_path / "by-id").mkdir()
    pty = hub.add_pty("p", link=tmp_path / "by-id" / "scanner")
    dev = SerialScanner(pty.path, reconnect_interval=5.0)  # polling alone would take 5 s
    dev.open()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                dev.read(0.05)
            except DeviceUnavailable:
                continue

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        pty.unplug()
        time.sleep(0.3)
        assert dev.status.value == "offline"
        pty.replug()
        end = time.monotonic() + 2.0
        while dev.status.value != "online" and time.monotonic() < end:
            time.sleep(0.01)
        assert dev.status.value == "online"
    finally:
        stop.set()
        thread.join(timeout=5)
        dev.close()
