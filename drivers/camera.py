"""The webcam as a scan device: labels read from live frames, and tray photos for a stocktake.

    camera = Camera(0)                          # /dev/video0 (V4L2), 1080p MJPEG by default
    camera = Camera("/dev/v4l/by-id/usb-...-video-index0", settings=CaptureSettings(focus=40))
    camera = Camera("recording.mp4")            # a video file
    camera = Camera("photos/")                  # each image in a directory once
    camera = Camera(sim_camera)                 # any FrameSource, e.g. simulator.camera.SimCamera
    camera.open()
    scan = camera.read(timeout=0.5)             # continuous mode: each label once per presentation
    scans = camera.capture_tray()               # tray mode: every label in one still

Continuous mode decodes each frame with the cascade (fast pass first) and reports a label once while it
stays in view: repeats within `dedup_window` seconds (sliding) are double reads; a label shown again
after a pause counts again. A label whose two symbols both read counts once (same code).

`mode="counter"` (the default) takes one label per frame, the one presented (largest, nearest the
centre, the one still in view; `drivers.counter`), never a card lying in the background, and reports
`two_labels_in_view` (once while it lasts) when it cannot tell which one is meant. `mode="tray"`
reports every label in view, as `capture_tray` does for a still.

A camera that stops delivering — `read()` False, empty frames, or identical frames (a frozen driver)
for `lost_after` seconds — is reported offline with `DeviceUnavailable` and reopened every
`reconnect_interval` seconds by later reads. Frames are decoded in memory and never written anywhere:
a card's back shows the individual number.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from drivers.camera_sources import CaptureSettings, FrameSource, ImageDirSource, open_source
from drivers.contract import DeviceStatus
from drivers.counter import CounterPicker
from drivers.decode import DEFAULT_SYMBOLOGIES, Decoded, TrayCheck, decode, decode_counter, decode_tray
from drivers.errors import DeviceUnavailable, FrameError
from drivers.scan import DEFAULT_DEDUP_WINDOW, Deduplicator, Scan, Symbology, utc_now

if TYPE_CHECKING:
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

REASON_TWO_LABELS = "two_labels_in_view"
REASON_PRESENT_UNREADABLE = "present_card_unreadable"
MODES = ("counter", "tray")

StatusCallback = Callable[[str, DeviceStatus], None]


def is_usable() -> tuple[bool, str]:
    """The camera needs OpenCV (and zxing-cpp for decoding)."""
    try:
        import cv2  # noqa: F401
        import zxingcpp  # noqa: F401
    except ImportError as exc:
        return False, f"{exc}; pip install opencv-python-headless zxing-cpp"
    return True, ""


def _signature(frame: NDArray[np.uint8]) -> bytes:
    """A cheap fingerprint of a frame: equal for a frozen camera, never for a live sensor's noise."""
    step_y = max(1, frame.shape[0] // 24)
    step_x = max(1, frame.shape[1] // 32)
    return bytes(np.ascontiguousarray(frame[::step_y, ::step_x]).data)


class Camera:
    """A webcam (or file, directory, simulator) reading management-ID labels; see the module docstring.

    `source`: a device index, a device or file path, a directory, or a `FrameSource`.
    `settings`: resolution, focus, exposure (`CaptureSettings`). `symbologies` and `backend` go to
    `drivers.decode.decode`. `lost_after`: seconds without a usable, changing frame before the camera
    counts as lost (`check_frozen=False` for sources whose frames may legitimately repeat).
    `full_every`: run the whole decoding cascade on every n-th frame, the quick passes on the others
    (default 5 for video, 1 for a directory of stills).
    """

    def __init__(
        self,
        source: int | str | Path | FrameSource,
        *,
        name: str | None = None,
        settings: CaptureSettings | Mapping[str, Any] | None = None,
        symbologies: Iterable[Symbology | str] = DEFAULT_SYMBOLOGIES,
        backend: str = "cascade",
        dedup_window: float = DEFAULT_DEDUP_WINDOW,
        lost_after: float = 2.0,
        check_frozen: bool = True,
        reconnect_interval: float = 1.0,
        full_every: int | None = None,
        mode: str = "counter",
        on_status: StatusCallback | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self.picker = CounterPicker()
        self.tray_advice: str | None = None  # why the last tray photo could not be read (too coarse)
        self.tray_coarse: TrayCheck | None = None  # the same, as numbers for a screen's own words
        self.source = open_source(source, CaptureSettings.coerce(settings))
        self.name = name or self.source.name
        self.symbologies = frozenset(Symbology(s) for s in symbologies)
        self.backend = backend
        self.lost_after = lost_after
        self.check_frozen = check_frozen
        self.reconnect_interval = reconnect_interval
        # Stills from a directory are one presentation each: every one gets the whole cascade.
        default_every = 1 if isinstance(self.source, ImageDirSource) else 5
        self.full_every = max(1, full_every if full_every is not None else default_every)
        self.on_status = on_status
        self._clock = clock
        self._dedup = Deduplicator(dedup_window)
        self._refused_at: dict[str, float] = {}  # reason -> last frame it was seen (sliding, like dedup)
        self._ready: deque[Scan | FrameError] = deque()
        self._status = DeviceStatus.OFFLINE
        self._wanted = False
        self._connected = False
        self._next_attempt = 0.0
        self._last_good = 0.0
        self._last_sig = b""
        self._loss_reported = False  # a loss was raised and no good frame has come since
        self.frames = 0  # frames decoded since open (diagnostics, the benchmark)

    # -- the contract -------------------------------------------------------------------------------
    @property
    def status(self) -> DeviceStatus:
        return self._status

    @property
    def exhausted(self) -> bool:
        """True when a file or directory source has no more frames (a live camera never is)."""
        return self.source.exhausted and not self._ready

    def open(self) -> None:
        """Open the source; raises `DeviceUnavailable` if it is absent (later reads keep trying)."""
        self._wanted = True
        self._loss_reported = False
        if not self._connected:
            self._connect()

    def close(self) -> None:
        """Release the camera; harmless twice."""
        self._wanted = False
        if self._connected:
            self._connected = False
            self.source.close()
        self._ready.clear()
        self._set_status(DeviceStatus.OFFLINE)

    def read(self, timeout: float | None = None) -> Scan | None:
        """The next label presented, or None after `timeout` seconds (or at the end of a file source).

        Raises `FrameError` for a refused code (e.g. `mynumber_refused`) and `DeviceUnavailable` once when
        the camera is lost (or when `close()` is called from another thread during the read).
        """
        if not self._wanted:
            raise DeviceUnavailable(f"{self.name}: not open")
        deadline = None if timeout is None else self._clock() + timeout
        while True:
            if not self._wanted:  # close() from another thread ends a blocked read
                raise DeviceUnavailable(f"{self.name}: closed")
            if self._ready:
                item = self._ready.popleft()
                if isinstance(item, FrameError):
                    raise item
                return item
            now = self._clock()
            if deadline is not None and now >= deadline:
                return None
            if not self._connected:
                if now < self._next_attempt:
                    wait = self._next_attempt - now
                    if deadline is not None:
                        wait = min(wait, deadline - now)
                    time.sleep(max(wait, 0.0))
                    continue
                self._set_status(DeviceStatus.RECONNECTING)
                try:
                    self._connect()
                except DeviceUnavailable:
                    continue
            if self.source.exhausted:
                return None
            frame = self._grab()
            if frame is None:
                time.sleep(0.005)  # a camera that says "no frame" is asked again shortly, not spun on
                continue
            # Most frames get the quick passes (an empty counter stays cheap); every `full_every`-th
            # frame the whole cascade, so a hard label is still read within a fraction of a second.
            quick = self.frames % self.full_every != 0
            unreadable = False
            if self.mode == "counter":
                # The picker must see every label in view, not only what the first pass read.
                found, unreadable = decode_counter(
                    frame, symbologies=self.symbologies, backend=self.backend, quick=quick
                )
            else:
                found = decode(frame, symbologies=self.symbologies, backend=self.backend, quick=quick)
            self._accept(found, self._clock(), frame.shape, unreadable=unreadable)

    def __enter__(self) -> Camera:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- tray mode ----------------------------------------------------------------------------------
    def capture_tray(self) -> list[Scan]:
        """Every label in one still of a tray of cards, one scan per distinct code, in reading order.

        Refused codes are left out (their reason codes are logged); the double-read window does not
        apply (a stocktake wants every label in the photo). Raises `DeviceUnavailable` when no still
        can be taken.
        """
        if not self._connected:
            self.open()
        try:
            frame = self.source.still()
        except DeviceUnavailable:
            self._lost("no still")
            raise
        if frame is None or frame.size == 0:
            raise DeviceUnavailable(f"{self.name}: no still frame")
        return self.scans_in(frame)

    def scans_in(self, frame: Any) -> list[Scan]:
        """Tray-mode decoding of one frame into scans (also for photos taken elsewhere)."""
        found, check = decode_tray(frame, symbologies=self.symbologies, backend=self.backend)
        # Too small for any decoder: said (and kept for the stocktake screen), never a silent 16 of 430.
        self.tray_coarse = check if check is not None and check.coarse else None
        self.tray_advice = self.tray_coarse.advice() if self.tray_coarse is not None else None
        if self.tray_advice is not None:
            log.warning("%s: %s", self.name, self.tray_advice)
        at = utc_now()
        scans: dict[str, Scan] = {}
        for d in sorted(found, key=lambda d: (round(d.centre[1] / 64), d.centre[0])):
            if d.code is None:
                log.info("%s: refused a code in a tray photo (%s)", self.name, d.rejected)
                continue
            scans.setdefault(d.code, Scan(d.code, d.symbology, self.name, at))
        return list(scans.values())

    # -- internals ----------------------------------------------------------------------------------
    def _connect(self) -> None:
        try:
            self.source.open()
        except DeviceUnavailable:
            self._connected = False
            self._next_attempt = self._clock() + self.reconnect_interval
            self._set_status(DeviceStatus.OFFLINE)
            raise
        self._connected = True
        self._last_good = self._clock()
        # `_last_sig` survives a reopen: a driver that hands out the old frozen frame is still frozen.
        # After a loss the camera counts as back only once it delivers a live frame again.
        self._set_status(DeviceStatus.RECONNECTING if self._loss_reported else DeviceStatus.ONLINE)

    def _grab(self) -> NDArray[np.uint8] | None:
        now = self._clock()
        try:
            frame = self.source.grab()
        except DeviceUnavailable as exc:
            if not self._wanted:
                raise DeviceUnavailable(f"{self.name}: closed") from None
            self._lost(str(exc))
            self._report_loss("camera gone")
            return None
        if frame is None or frame.size == 0:
            if self.source.exhausted:
                return None
            self._check_lost(now, "no frames")
            return None
        if self.check_frozen:
            sig = _signature(frame)
            if sig == self._last_sig:
                self._check_lost(now, "frozen frames")
                return None  # nothing new to read in a repeated frame
            self._last_sig = sig
        self._last_good = now
        self._loss_reported = False
        self._set_status(DeviceStatus.ONLINE)
        self.frames += 1
        return frame

    def _check_lost(self, now: float, why: str) -> None:
        if now - self._last_good > self.lost_after:
            self._lost(why)
            self._report_loss(why)

    def _report_loss(self, why: str) -> None:
        # Once per loss: a camera that reopens but still streams nothing is not reported again.
        if not self._loss_reported:
            self._loss_reported = True
            raise DeviceUnavailable(f"{self.name}: camera lost ({why})")

    def _refuse(self, reason: str, now: float) -> None:
        # Reported once while it lasts (sliding, like a double read), never with the value.
        last = self._refused_at.get(reason)
        self._refused_at[reason] = now
        if last is None or now - last > self._dedup.window:
            self._ready.append(FrameError(reason, self.name))

    def _accept(
        self, found: list[Decoded], now: float, shape: tuple[int, ...] = (0, 0), *, unreadable: bool = False
    ) -> None:
        at = utc_now()
        in_frame: set[str] = set()
        for d in found:
            if d.code is None:
                # The reason code only; the refused value never leaves `decode`. A refused label held
                # in view is reported once, like an accepted one.
                self._refuse(d.rejected or "refused", now)
        if self.mode == "counter":
            if unreadable:
                # A larger label than any read is in view (the presented card, nearer than the focus):
                # say so and take nothing, never the smaller card behind it.
                self._refuse(REASON_PRESENT_UNREADABLE, now)
                return
            pick = self.picker.pick(found, shape, now)
            if pick.ambiguous:
                self._refuse(REASON_TWO_LABELS, now)
            if pick.code is not None and pick.symbology is not None:
                scan = Scan(pick.code, pick.symbology, self.name, at)
                if self._dedup.accept(scan, now):
                    self._ready.append(scan)
            return
        for d in found:
            if d.code is None or d.code in in_frame:
                continue  # refused, or the label's other symbol in the same frame
            in_frame.add(d.code)
            scan = Scan(d.code, d.symbology, self.name, at)
            if self._dedup.accept(scan, now):
                self._ready.append(scan)

    def _lost(self, why: str) -> None:
        log.warning("%s: camera lost (%s); will reopen", self.name, why)
        self._connected = False
        try:
            self.source.close()
        except (OSError, DeviceUnavailable) as exc:
            log.debug("%s: error while closing (%s)", self.name, exc)
        self._next_attempt = self._clock() + self.reconnect_interval
        self._set_status(DeviceStatus.OFFLINE)

    def _set_status(self, status: DeviceStatus) -> None:
        if status is self._status:
            return
        self._status = status
        if self.on_status is not None:
            self.on_status(self.name, status)
