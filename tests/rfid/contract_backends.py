"""The UHF reader over a pty as a backend of the driver contract suite (tests/drivers/test_contract.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from drivers.rfid_uhf import UhfReader
from simulator.cabinet import Cabinet
from simulator.hub import SimHub
from simulator.uhf import SimUhfReader
from tests.drivers.conftest import Backend


def uhf_backend(hub: SimHub, tmp: Path) -> contextlib.AbstractContextManager[Backend]:
    @contextlib.contextmanager
    def cm() -> Iterator[Backend]:
        # An empty field (not the hub's tagged cabinet): the suite's scans are the only tags present,
        # each "scan" a tag tapped on the reader for one inventory round.
        sim = SimUhfReader("u1", Cabinet(), seed=1, shuffle=False, tap_rounds=1, link=tmp / "uhf-by-id")
        hub.attach("u1", sim)
        dev = UhfReader(sim.path, name="u1", response_timeout=0.3, reconnect_interval=0.05)
        yield Backend("uhf-pty", dev, lambda c: hub.scan("u1", c.zfill(len(c) + len(c) % 2)),
                      lambda: hub.unplug("u1"), lambda: hub.replug("u1"))  # fmt: skip
        dev.close()

    return cm()
