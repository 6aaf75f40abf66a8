"""The Camera device over the simulated webcam, files and directories: real OpenCV, real decoders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from drivers.camera import Camera
from drivers.camera_sources import FrameSource, ImageDirSource, VideoCaptureSource, open_source
from drivers.contract import DeviceStatus, ScanDevice
from drivers.errors import DeviceUnavailable, FrameError
from drivers.scan import Symbology
from drivers.text import REASON_MYNUMBER
from simulator.cabinet import Cabinet
from simulator.camera import SimCamera
from simulator.render import LabelSymbol, render_card_frame


class TickingClock:
    """A monotonic clock that moves 0.1 s each time it is read, so windows pass without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 0.1
        return self.now


class FramesSource:
    """A test frame source handing out prepared frames in turn (a FrameSource, not a mock)."""

    name = "frames"

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = frames
        self.exhausted = False
        self.i = 0

    def open(self) -> None:
        pass

    def grab(self) -> np.ndarray | None:
        if self.i >= len(self.frames):
            self.exhausted = True
            return None
        self.i += 1
        return self.frames[self.i - 1]

    def still(self) -> np.ndarray | None:
        return self.grab()

    def close(self) -> None:
        pass


@pytest.fixture
def cabinet() -> Cabinet:
    return Cabinet.generate(40, seed=2)


@pytest.fixture
def sim(cabinet: Cabinet) -> SimCamera:
    return SimCamera("webcam", cabinet, seed=4)


@pytest.fixture
def camera(sim: SimCamera) -> Iterator[Camera]:
    cam = Camera(sim, name="webcam", clock=TickingClock(), reconnect_interval=0.0)
    cam.open()
    yield cam
    cam.close()


def test_contract_and_one_report_per_presentation(cabinet: Cabinet, sim: SimCamera, camera: Camera) -> None:
    assert isinstance(camera, ScanDevice)
    first, second = cabinet.ids()[:2]
    assert camera.read(1.0) is None  # an empty counter
    sim.present(first)
    scan = camera.read(2.0)
    assert scan is not None
    assert (scan.code, scan.source) == (first, "webcam")
    assert scan.symbology in (Symbology.CODE128, Symbology.DATAMATRIX)
    # Held under the camera for many frames and both symbols readable: still only one report.
    assert camera.read(3.0) is None
    assert camera.frames > 10
    sim.present(second, condition="rotation")
    assert getattr(camera.read(2.0), "code", None) == second
    sim.take_away()
    assert camera.read(2.0) is None  # the window passes with nothing in view
    sim.present(first)
    assert getattr(camera.read(2.0), "code", None) == first  # a new presentation counts again
    camera.close()
    camera.close()
    assert camera.status is DeviceStatus.OFFLINE
    with pytest.raises(DeviceUnavailable):
        camera.read(0.1)


@pytest.mark.parametrize("fault", ["unplug", "freeze", "drop", "blank"])
def test_lost_camera_goes_offline_and_is_reopened(
    cabinet: Cabinet, sim: SimCamera, camera: Camera, fault: str
) -> None:
    seen: list[DeviceStatus] = []
    camera.on_status = lambda name, status: seen.append(status)
    mid = cabinet.ids()[5]
    if fault == "unplug":
        sim.unplug()
    elif fault == "freeze":
        camera.read(0.3)
        sim.freeze()
    elif fault == "drop":
        sim.drop_frames(10_000)
    else:
        sim.blank()
    with pytest.raises(DeviceUnavailable, match="camera lost"):
        camera.read(10.0)
    assert camera.status is DeviceStatus.OFFLINE
    sim.heal()
    sim.present(mid)
    scan = camera.read(3.0)
    assert scan is not None
    assert scan.code == mid
    assert camera.status is DeviceStatus.ONLINE
    assert seen[0] is DeviceStatus.OFFLINE
    assert seen[-1] is DeviceStatus.ONLINE


def test_refused_code_is_a_frame_error_without_the_value(mynumber_shaped: str) -> None:
    import zxingcpp

    sym = np.asarray(
        zxingcpp.create_barcode(mynumber_shaped, zxingcpp.BarcodeFormat.QRCode).to_image(scale=6)
    )
    frame = np.full((720, 1280), 225, np.uint8)
    frame[200 : 200 + sym.shape[0], 300 : 300 + sym.shape[1]] = sym
    frames = [frame.copy() for _ in range(5)]
    for i, f in enumerate(frames):
        f[0, 0] = i  # frames of a live camera differ
    cam = Camera(FramesSource(frames), clock=TickingClock())
    cam.open()
    with pytest.raises(FrameError) as err:
        cam.read(1.0)
    assert err.value.reason == REASON_MYNUMBER
    assert mynumber_shaped not in str(err.value)
    assert cam.read(1.0) is None  # held in view: refused once, not once per frame
    assert cam.scans_in(frame) == []


def test_tray_mode_reads_every_card_in_one_still(cabinet: Cabinet, sim: SimCamera, camera: Camera) -> None:
    scans = camera.capture_tray()
    assert sorted(s.code for s in scans) == cabinet.ids()
    assert len({s.code for s in scans}) == len(scans)
    removed = cabinet.remove(cabinet.ids()[3])
    assert removed.management_id not in {s.code for s in camera.capture_tray()}


def test_image_directory_source(tmp_path: Path, cabinet: Cabinet) -> None:
    import cv2

    ids = cabinet.ids()[:3]
    for i, mid in enumerate(ids):
        frame = render_card_frame(mid, seed=i, size=(1280, 720), symbol=LabelSymbol.QR)
        assert cv2.imwrite(str(tmp_path / f"{i:02d}.png"), frame)
    (tmp_path / "notes.txt").write_text("not an image")
    source = open_source(str(tmp_path))
    assert isinstance(source, ImageDirSource)
    cam = Camera(source, dedup_window=0)
    cam.open()
    codes = []
    while not cam.exhausted:
        scan = cam.read(5.0)
        if scan is not None:
            codes.append(scan.code)
    assert sorted(set(codes)) == sorted(ids)
    assert cam.read(0.1) is None


def test_video_file_source(tmp_path: Path, cabinet: Cabinet) -> None:
    import cv2

    path = tmp_path / "counter.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (1280, 720))
    ids = cabinet.ids()[10:12]
    for mid in ids:
        frame = render_card_frame(mid, seed=3, size=(1280, 720))
        for _ in range(3):
            writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    source = open_source(str(path))
    assert isinstance(source, VideoCaptureSource)
    cam = Camera(source, check_frozen=False)
    cam.open()
    codes = []
    while not cam.exhausted:
        scan = cam.read(5.0)
        if scan is not None:
            codes.append(scan.code)
    assert codes == ids


def test_absent_device_is_unavailable(tmp_path: Path) -> None:
    cam = Camera(str(tmp_path / "video-does-not-exist"))
    with pytest.raises(DeviceUnavailable):
        cam.open()
    assert cam.status is DeviceStatus.OFFLINE
    assert isinstance(SimCamera("x"), FrameSource)


def test_close_from_another_thread_ends_a_blocked_read(sim: SimCamera) -> None:
    import threading

    cam = Camera(sim, name="webcam")
    cam.open()
    outcome: list[object] = []

    def worker() -> None:
        try:
            outcome.append(cam.read(30.0))
        except DeviceUnavailable as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    thread.join(0.3)  # let it block on an empty counter
    cam.close()
    thread.join(5)
    assert not thread.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], DeviceUnavailable)


def test_a_camera_that_stays_frozen_is_reported_once(
    cabinet: Cabinet, sim: SimCamera, camera: Camera
) -> None:
    camera.read(0.3)
    sim.freeze()
    with pytest.raises(DeviceUnavailable, match="frozen"):
        camera.read(10.0)
    # It reopens, but the stream is still frozen: no new report, and not back online.
    assert camera.read(10.0) is None
    assert camera.status is not DeviceStatus.ONLINE
    sim.heal()
    sim.present(cabinet.ids()[7])
    assert getattr(camera.read(3.0), "code", None) == cabinet.ids()[7]
    assert camera.status is DeviceStatus.ONLINE
