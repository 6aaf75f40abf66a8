"""A simulated webcam over the virtual cabinet: a `FrameSource` for `drivers.camera.Camera`.

    cam = SimCamera("webcam", cabinet, seed=1)     # or hub.attach("webcam", cam)
    camera = Camera(cam)                           # the real driver, real OpenCV and decoders
    cam.present(cabinet.ids()[0], condition="rotation")
    camera.read(1.0)                               # -> Scan of that ID
    cam.take_away()
    cam.scan(other_id); cam.scan(third_id)        # queued: each shown for a few frames, in turn
    camera.capture_tray()                          # a 4K still of the cabinet's cards (`tray_ids`)

Each presentation is rendered once (label, pose, glare, occlusion) from the seed; every frame then
gets its own sensor noise, as a live camera does. Faults: `unplug()`/`replug()` (the device vanishes),
`freeze()` (the same frame for ever), `drop_frames()` (read() returns False), `blank()` (empty frames).
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from drivers.errors import DeviceUnavailable
from simulator.cabinet import Cabinet
from simulator.render import Condition, Effects, LabelSymbol, Scene, render_card_frame, render_tray

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Frame = NDArray[np.uint8]


class SimCamera:
    """A webcam looking at the counter; see the module docstring."""

    def __init__(
        self,
        name: str,
        cabinet: Cabinet | None = None,
        *,
        seed: int = 0,
        size: tuple[int, int] = (1920, 1080),
        still_size: tuple[int, int] = (3840, 2160),
        symbol: LabelSymbol | str | None = LabelSymbol.DATAMATRIX,
        fps: float = 0.0,
        noise_sigma: float = 2.0,
        frames_per_presentation: int = 4,
    ) -> None:
        self.name = name
        self.cabinet = cabinet if cabinet is not None else Cabinet()
        self.rng = random.Random(seed)
        self._nrng = np.random.default_rng(seed)
        self.size = size
        self.still_size = still_size
        self.symbol = symbol
        self.fps = fps
        self.noise_sigma = noise_sigma
        self.frames_per_presentation = max(1, frames_per_presentation)
        self._queue: deque[tuple[str, str]] = deque()
        self._showing: str | None = None
        self._showing_left = 0
        self.exhausted = False
        self.present_ids: list[str] = []
        self.tray_ids: list[str] | None = None  # None: every card in the cabinet
        self.frames_served = 0
        self._lock = threading.Lock()
        self._plugged = True
        self._open = False
        self._frozen: Frame | None = None
        self._freeze = False
        self._drop = 0
        self._blank = False
        self._scene: Frame = self._empty()
        self._last: Frame = self._scene

    # -- what is in front of the camera ----------------------------------------------------------
    def present(self, management_id: str, condition: Condition | str = Condition.CLEAN) -> None:
        """Hold one card's label under the camera until `take_away()` (replacing what was there)."""
        frame = self._render(management_id, condition)
        with self._lock:
            self._queue.clear()
            self._showing, self._showing_left = None, 0
            self._scene = frame
            self.present_ids = [management_id]

    def scan(self, code: str, condition: Condition | str = Condition.CLEAN) -> None:
        """SimDevice: show a label with `code` for `frames_per_presentation` frames, after any already
        queued (a clerk presenting cards one after another), then the empty counter again.

        A code that no label may carry (12 digits) is shown as a bare QR symbol, as on a document put
        under the camera by mistake: the driver must refuse it.
        """
        with self._lock:
            self._queue.append((code, str(condition)))

    def take_away(self) -> None:
        """Nothing under the camera but the counter."""
        with self._lock:
            self._queue.clear()
            self._showing, self._showing_left = None, 0
            self._scene = self._empty()
            self.present_ids = []

    def _render(self, code: str, condition: Condition | str) -> Frame:
        seed = self.rng.getrandbits(32)
        effects = Effects.for_condition(condition, random.Random(seed))
        try:
            return render_card_frame(code, effects=effects, seed=seed, size=self.size, symbol=self.symbol)
        except ValueError:
            return self._bare_symbol(code)

    def _bare_symbol(self, text: str) -> Frame:
        import zxingcpp

        sym = np.asarray(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode).to_image(scale=6))
        frame = self._empty()
        y, x = self.size[1] // 3, self.size[0] // 3
        frame[y : y + sym.shape[0], x : x + sym.shape[1]] = sym
        return frame

    def _next_scene(self) -> Frame:
        with self._lock:
            if self._showing_left > 0:
                self._showing_left -= 1
                return self._scene
            if self._queue:
                code, condition = self._queue.popleft()
            elif self._showing is not None:
                # The queued card was taken away again.
                self._showing = None
                self._scene = self._empty()
                self.present_ids = []
                return self._scene
            else:
                return self._scene
        frame = self._render(code, condition)
        with self._lock:
            self._scene = frame
            self._showing = code
            self.present_ids = [code]
            self._showing_left = self.frames_per_presentation - 1
        return frame

    def _empty(self) -> Frame:
        return Scene(self.size[0], self.size[1], random.Random(self.rng.getrandbits(32))).finish(0.5, 0.0)

    # -- faults ------------------------------------------------------------------------------------
    def unplug(self) -> None:
        self._plugged = False

    def replug(self, new_path: str | None = None) -> None:
        self._plugged = True

    def freeze(self) -> None:
        """The driver hands out the same frame for ever (a hung UVC stream)."""
        self._freeze = True

    def unfreeze(self) -> None:
        self._freeze = False
        self._frozen = None

    def drop_frames(self, count: int) -> None:
        """The next `count` reads fail (OpenCV's read() returning False)."""
        self._drop += count

    def blank(self, on: bool = True) -> None:
        """Deliver empty frames (a camera that opened but streams nothing)."""
        self._blank = on

    def heal(self) -> None:
        """Clear every fault: plugged in, streaming, live frames."""
        self._plugged = True
        self._drop = 0
        self._blank = False
        self.unfreeze()

    def close(self) -> None:
        self._open = False

    # -- FrameSource ---------------------------------------------------------------------------------
    def open(self) -> None:
        if not self._plugged:
            raise DeviceUnavailable(f"{self.name}: no such camera")
        self._open = True

    def grab(self) -> Frame | None:
        if not self._plugged or not self._open:
            raise DeviceUnavailable(f"{self.name}: camera gone")
        if self.fps:
            time.sleep(1.0 / self.fps)
        if self._drop:
            self._drop -= 1
            return None
        if self._blank:
            return np.zeros((0, 0), np.uint8)
        if self._freeze:
            if self._frozen is None:
                self._frozen = self._last
            return self._frozen
        frame = self._noisy(self._next_scene())
        self._last = frame
        self.frames_served += 1
        return frame

    def still(self) -> Frame | None:
        """A tray photo at `still_size` of `tray_ids` (default: every card in the cabinet)."""
        if not self._plugged or not self._open:
            raise DeviceUnavailable(f"{self.name}: camera gone")
        ids = self.tray_ids if self.tray_ids is not None else self.cabinet.ids()
        return render_tray(
            ids,
            seed=self.rng.getrandbits(32),
            size=self.still_size,
            symbol=self.symbol or LabelSymbol.DATAMATRIX,
        )

    def _noisy(self, scene: Frame) -> Frame:
        # Sensor noise on a sparse grid of pixels: cheap, and no two frames of a live camera are equal.
        frame = scene.copy()
        sub = frame[::4, ::4]
        noise = self._nrng.normal(0, self.noise_sigma, sub.shape)
        frame[::4, ::4] = np.clip(sub + noise, 0, 255).astype(np.uint8)
        return frame


class FrameReplay:
    """A camera that shows a fixed sequence of rendered frames, once each (a `FrameSource`), e.g. the
    frames `simulator.render.render_counter_frame` makes of a card presented at the counter."""

    def __init__(self, frames: list[Frame], name: str = "replay") -> None:
        self.name = name
        self.frames = list(frames)
        self.exhausted = not self.frames
        self._next = 0

    def open(self) -> None:
        self._next = 0
        self.exhausted = not self.frames

    def grab(self) -> Frame | None:
        if self._next >= len(self.frames):
            self.exhausted = True
            return None
        frame = self.frames[self._next]
        self._next += 1
        self.exhausted = self._next >= len(self.frames)
        return frame

    def still(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    def close(self) -> None:
        pass
