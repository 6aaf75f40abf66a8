"""Where camera frames come from: a webcam (OpenCV `VideoCapture`, V4L2 on Linux), a video file, or a
directory of images. The simulator's camera is a fourth kind with the same three methods.

A source only delivers frames; the `Camera` device decides what a missing, empty or frozen frame means.
Frames stay in memory: nothing here writes them anywhere.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from drivers.errors import DeviceUnavailable

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Frame = NDArray[np.uint8]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"})


@runtime_checkable
class FrameSource(Protocol):
    """Frames for a `Camera`.

    - `open()` raises `DeviceUnavailable` when the source is absent.
    - `grab()` returns the next frame (BGR or grayscale uint8), or None when none came (what OpenCV's
      `read()` returning False means); raises `DeviceUnavailable` when the source went away.
    - `exhausted` is True once a finite source (file, directory) has delivered its last frame.
    - `still()` returns a frame for a tray photo (a webcam may switch to its full resolution).
    """

    name: str
    exhausted: bool

    def open(self) -> None: ...

    def grab(self) -> Frame | None: ...

    def still(self) -> Frame | None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class CaptureSettings:
    """Webcam settings; None leaves the camera's own value.

    `focus` is the V4L2 absolute focus (0..255 on most UVC webcams; autofocus is switched off when set);
    `exposure` the V4L2 exposure time in 100 µs units (auto exposure is switched off when set).
    `still_width`/`still_height` are used for tray photos, then the preview size is restored.
    """

    width: int | None = 1920
    height: int | None = 1080
    fps: float | None = None
    focus: float | None = None
    exposure: float | None = None
    fourcc: str | None = "MJPG"  # USB 2 webcams deliver 1080p at full rate only as MJPEG
    still_width: int | None = None
    still_height: int | None = None

    @classmethod
    def coerce(cls, value: CaptureSettings | Mapping[str, Any] | None) -> CaptureSettings | None:
        """Settings from a configuration table (`settings = { width = 1280, focus = 40 }`); raises
        ValueError naming an unknown key and the allowed ones."""
        if value is None or isinstance(value, CaptureSettings):
            return value
        if not isinstance(value, Mapping):
            raise ValueError("settings must be a table such as { width = 1920, height = 1080 }")
        allowed = sorted(f.name for f in fields(cls))
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise ValueError(f"unknown settings key(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
        return cls(**value)


class VideoCaptureSource:
    """A webcam by index (`0`) or path (`/dev/video0`, a by-id link), or a video file, via OpenCV."""

    def __init__(self, target: int | str, settings: CaptureSettings | None = None) -> None:
        self.target = target
        self.settings = settings or CaptureSettings()
        self.is_file = isinstance(target, str) and Path(target).is_file()
        self.name = f"camera:{target}"
        self.exhausted = False
        self._cap: Any = None

    def open(self) -> None:
        import cv2

        if self.is_file:
            cap = cv2.VideoCapture(str(self.target))
        else:
            api = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
            cap = cv2.VideoCapture(self.target, api)
        if not cap.isOpened():
            cap.release()
            raise DeviceUnavailable(f"{self.name}: cannot open")
        self._cap = cap
        self.exhausted = False
        if not self.is_file:
            self._apply(self.settings.width, self.settings.height)

    def _apply(self, width: int | None, height: int | None) -> None:
        import cv2

        s, cap = self.settings, self._cap
        if s.fourcc:
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*s.fourcc))
        if width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if s.fps:
            cap.set(cv2.CAP_PROP_FPS, s.fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not one from a second ago
        if s.focus is not None:
            cap.set(cv2.CAP_PROP_AUTOFOCUS, 0)
            cap.set(cv2.CAP_PROP_FOCUS, s.focus)
        if s.exposure is not None:
            cap.set(cv2.CAP_PROP_AUTO_EXPOSURE, 1)  # V4L2: 1 = manual, 3 = aperture priority
            cap.set(cv2.CAP_PROP_EXPOSURE, s.exposure)

    def grab(self) -> Frame | None:
        if self._cap is None:
            raise DeviceUnavailable(f"{self.name}: not open")
        ok, frame = self._cap.read()
        if not ok or frame is None:
            if self.is_file:
                self.exhausted = True
            return None
        result: Frame = frame
        return result

    def still(self) -> Frame | None:
        s = self.settings
        if self.is_file or not (s.still_width and s.still_height):
            self._flush()
            return self.grab()
        self._apply(s.still_width, s.still_height)
        try:
            self._flush()
            return self.grab()
        finally:
            self._apply(s.width, s.height)

    def _flush(self) -> None:
        # Drivers queue a few frames; the photo must show the tray as it is now.
        if self._cap is not None and not self.is_file:
            for _ in range(3):
                self._cap.grab()

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class ImageDirSource:
    """Each image file of a directory (sorted by name), or a list of files, once, as frames."""

    def __init__(self, path: str | Path | list[str | Path]) -> None:
        if isinstance(path, list):
            self.files = [Path(p) for p in path]
            self.name = "images"
        else:
            p = Path(path)
            self.files = (
                sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES) if p.is_dir() else [p]
            )
            self.name = f"images:{p}"
        self.exhausted = False
        self._next = 0
        self._open = False

    def open(self) -> None:
        if not self.files or not all(f.exists() for f in self.files):
            raise DeviceUnavailable(f"{self.name}: no images")
        self._open = True

    def grab(self) -> Frame | None:
        import cv2

        if not self._open:
            raise DeviceUnavailable(f"{self.name}: not open")
        if self._next >= len(self.files):
            self.exhausted = True
            return None
        f = self.files[self._next]
        self._next += 1
        frame: Any = cv2.imread(str(f), cv2.IMREAD_UNCHANGED)
        if frame is None:
            return None  # not an image: the camera counts it as a failed read
        if frame.dtype != "uint8":
            frame = cv2.convertScaleAbs(frame, alpha=255.0 / max(float(frame.max()), 1.0))
        result: Frame = frame
        return result

    def still(self) -> Frame | None:
        return self.grab()

    def close(self) -> None:
        self._open = False


def open_source(
    target: int | str | Path | FrameSource, settings: CaptureSettings | None = None
) -> FrameSource:
    """The frame source for a device index/path, a video file, an image or a directory of images."""
    if isinstance(target, FrameSource):
        return target
    if isinstance(target, int):
        return VideoCaptureSource(target, settings)
    text = str(target)
    if text.isdigit():
        return VideoCaptureSource(int(text), settings)
    path = Path(text)
    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageDirSource(path)
    return VideoCaptureSource(text, settings)
