"""The UHF driver over real pyserial on a pseudo-terminal, against the simulated reader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.contract import DeviceStatus, ScanDevice
from drivers.errors import DeviceUnavailable, FrameError
from drivers.rfid import RfidStocktake
from drivers.rfid_uhf import UhfReader
from drivers.scan import Symbology
from simulator.cabinet import Cabinet
from simulator.uhf import SimUhfReader


def stocktake(reader: UhfReader, quiet_rounds: int = 3) -> RfidStocktake:
    st = RfidStocktake(quiet_rounds=quiet_rounds, max_rounds=50)
    while not st.done:
        st.add_round(reader.inventory(st.rounds + 1))
    return st


@pytest.fixture
def cabinet() -> Cabinet:
    return Cabinet.generate(300, seed=7)


@pytest.fixture
def sim(cabinet: Cabinet, tmp_path: Path) -> Iterator[SimUhfReader]:
    with SimUhfReader(
        "uhf", cabinet, seed=5, miss_rate=0.05, duplicate_rate=0.1, link=tmp_path / "uhf-by-id"
    ) as reader:
        yield reader


@pytest.fixture
def reader(sim: SimUhfReader) -> Iterator[UhfReader]:
    driver = UhfReader(sim.path, name="uhf", response_timeout=0.5, reconnect_interval=0.05)
    driver.open()
    yield driver
    driver.close()


def test_300_card_cabinet_fully_inventoried_and_removed_card_missing(
    cabinet: Cabinet, sim: SimUhfReader, reader: UhfReader
) -> None:
    expected = set(cabinet.by_tag())
    assert len(expected) == 300
    first = stocktake(reader)
    assert first.seen() == expected
    assert first.rounds >= 4  # with 5% misses one round is not enough; the quiet rounds follow
    assert any(t.reads > t.rounds for t in first.tags.values())  # duplicates in a round are counted

    removed = cabinet.remove(cabinet.ids()[42])
    assert removed.tag_epc is not None
    second = stocktake(reader)
    assert second.missing(expected) == {removed.tag_epc}
    assert second.seen() == expected - {removed.tag_epc}


def test_stray_and_foreign_tags_are_unexpected(
    cabinet: Cabinet, sim: SimUhfReader, reader: UhfReader
) -> None:
    sim.stray_rate = 1.0
    foreign = "E2009999000000000000ABCD"
    sim.scan(foreign)
    st = stocktake(reader)
    assert st.unexpected(cabinet.by_tag()) == {foreign, *sim.strays}


def test_rssi_layout_reports_rssi(tmp_path: Path) -> None:
    cab = Cabinet.generate(30, seed=1)
    with (
        SimUhfReader("uhf", cab, layout="rssi", rssi_noise=2.0, seed=2) as sim,
        UhfReader(sim.path, layout="rssi", response_timeout=0.5) as driver,
    ):
        reads = driver.inventory(1)
    assert {r.epc for r in reads} == set(cab.by_tag())
    assert all(r.rssi is not None and 30 <= r.rssi <= 95 for r in reads)


def test_empty_field_is_an_empty_round() -> None:
    with SimUhfReader("uhf", Cabinet(), seed=1) as sim, UhfReader(sim.path, response_timeout=0.5) as driver:
        assert driver.inventory(1) == []
        assert driver.status is DeviceStatus.ONLINE


def test_crc_error_and_truncated_frame_are_reported_not_guessed(sim: SimUhfReader, reader: UhfReader) -> None:
    sim.corrupt_next()
    with pytest.raises(FrameError) as err:
        reader.inventory(1)
    assert err.value.reason == "crc"
    assert len(reader.inventory(2)) > 250  # the next round is whole again

    sim.truncate_next()
    with pytest.raises(FrameError) as err:
        reader.inventory(3)
    assert err.value.reason == "truncated"
    assert len(reader.inventory(4)) > 250


def test_silent_reader_goes_offline_and_comes_back(sim: SimUhfReader, reader: UhfReader) -> None:
    seen: list[DeviceStatus] = []
    reader.on_status = lambda name, status: seen.append(status)
    sim.stall()
    with pytest.raises(DeviceUnavailable, match="did not answer"):
        reader.inventory(1)
    assert reader.status is DeviceStatus.OFFLINE
    sim.resume()
    assert len(reader.inventory(2)) > 250
    assert reader.status is DeviceStatus.ONLINE
    assert seen == [DeviceStatus.OFFLINE, DeviceStatus.ONLINE]


def test_unplug_replug_behind_a_stable_link(sim: SimUhfReader, reader: UhfReader) -> None:
    old_tty = sim.tty_path
    sim.unplug()
    with pytest.raises(DeviceUnavailable):
        reader.inventory(1)
    assert reader.status is DeviceStatus.OFFLINE
    with pytest.raises(DeviceUnavailable, match="cannot open"):
        reader.inventory(2)  # still unplugged: the reopen fails, reported again
    sim.replug()
    assert sim.tty_path != old_tty or Path(sim.path).exists()
    assert len(reader.inventory(3)) > 250
    assert reader.status is DeviceStatus.ONLINE


def test_scan_device_contract_reports_each_tag_once(sim: SimUhfReader) -> None:
    small = Cabinet.generate(5, seed=3)
    with SimUhfReader("uhf-small", small, seed=1) as sim_small:
        driver = UhfReader(sim_small.path, name="uhf-small", response_timeout=0.5, dedup_window=60)
        assert isinstance(driver, ScanDevice)
        with pytest.raises(DeviceUnavailable):
            driver.read(0.1)  # not open
        driver.open()
        scans = [driver.read(2.0) for _ in range(5)]
        assert {s.code for s in scans if s} == set(small.by_tag())
        assert all(
            s is not None and s.symbology is Symbology.RFID_EPC and s.source == "uhf-small" for s in scans
        )
        assert driver.read(0.2) is None  # the same tags again within the window: nothing new
        driver.close()
        driver.close()
        assert driver.status is DeviceStatus.OFFLINE


def test_open_missing_port_is_device_unavailable(tmp_path: Path) -> None:
    driver = UhfReader(str(tmp_path / "no-such-tty"))
    with pytest.raises(DeviceUnavailable, match="cannot open"):
        driver.open()
    assert driver.status is DeviceStatus.OFFLINE


def test_hub_uhf_reader_over_the_hub_cabinet(tmp_path: Path) -> None:
    from simulator.hub import SimHub

    with SimHub(Cabinet.generate(40, seed=4)) as hub:
        sim = hub.add_uhf("uhf", seed=3, miss_rate=0.2, link=tmp_path / "uhf")
        with UhfReader(sim.path, response_timeout=0.5) as driver:
            expected = set(hub.cabinet.by_tag())
            assert stocktake(driver).seen() == expected
            gone = hub.cabinet.remove(hub.cabinet.ids()[0]).tag_epc
            hub.fault("uhf", "corrupt_next")
            with pytest.raises(FrameError):
                driver.inventory(1)
            assert stocktake(driver).missing(expected) == {gone}


def test_close_from_another_thread_ends_a_blocked_read(cabinet: Cabinet, sim: SimUhfReader) -> None:
    import threading

    sim.stall()  # a round that never gets its answer: the worker blocks in the read
    driver = UhfReader(sim.path, response_timeout=30.0)
    driver.open()
    outcome: list[object] = []

    def worker() -> None:
        try:
            outcome.append(driver.read(60.0))
        except DeviceUnavailable as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    thread.join(0.3)
    driver.close()
    thread.join(5)
    assert not thread.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], DeviceUnavailable)
    assert driver.status is DeviceStatus.OFFLINE
