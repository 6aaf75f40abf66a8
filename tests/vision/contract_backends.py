"""The simulated webcam as a backend of the driver contract suite (tests/drivers/test_contract.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from drivers.camera import Camera
from simulator.camera import SimCamera
from simulator.hub import SimHub
from tests.drivers.conftest import Backend


def camera_backend(hub: SimHub, tmp: Path) -> contextlib.AbstractContextManager[Backend]:
    @contextlib.contextmanager
    def cm() -> Iterator[Backend]:
        sim: SimCamera = hub.add_camera("cam1", seed=1, size=(1280, 720))
        dev = Camera(sim, name="cam1", reconnect_interval=0.05)
        yield Backend("camera-sim", dev, lambda c: hub.scan("cam1", c), lambda: hub.unplug("cam1"),
                      lambda: hub.replug("cam1"))  # fmt: skip
        dev.close()

    return cm()
