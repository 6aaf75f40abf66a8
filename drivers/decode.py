"""Decoding labels in a camera frame: a pure function `decode(image) -> list[Decoded]`.

Two libraries do the reading — zxing-cpp (`drivers.decode_zxing`) and pyzbar (`drivers.decode_pyzbar`) —
chosen by configuration: `backend="zxing"`, `"pyzbar"` or `"cascade"` (the default). The cascade runs
the cheapest pass first and goes on to harder passes only while nothing was found:

1. zxing-cpp with the global-histogram binariser (a few ms on 1080p; reads a clean label),
   then the same after a light blur (sensor noise),
2. OpenCV's 1-D barcode localiser, each candidate rotated upright, padded and enlarged, then read by
   zxing-cpp and pyzbar (Code 128 turned 15-45° defeats both libraries on the whole frame),
3. zxing-cpp thorough (local-average binariser, downscaled copies: glare, blur, faint 2-D symbols),
4. pyzbar on the whole frame (best on low-contrast bars),
5. contrast normalisation (CLAHE) and a 2x enlargement (small or faint symbols).

In tray mode (`many=True`, a still of many cards) the fast and thorough passes run on the whole frame,
then every light label patch that no pass has read yet is cut out, enlarged and read on its own.

Every decoded text goes through `drivers.text.screen_text`: a 12-digit value comes back as a refusal
(`Decoded.rejected` is the reason code, `code` is None) and the text itself is dropped here.
Frames stay in memory; nothing here writes, logs or keeps them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from drivers.decode_types import DecoderBackend, Point, RawSymbol
from drivers.errors import DriverNotUsable
from drivers.registry import load, register
from drivers.scan import Symbology
from drivers.text import screen_text

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Gray = NDArray[np.uint8]

# What a management-ID label carries (DESIGN: Code 128 beside a QR or Data Matrix of the same ID).
DEFAULT_SYMBOLOGIES: frozenset[Symbology] = frozenset({Symbology.CODE128, Symbology.QR, Symbology.DATAMATRIX})
BACKENDS = ("cascade", "zxing", "pyzbar")

register("decode-zxing", "drivers.decode_zxing:ZxingBackend")
register("decode-pyzbar", "drivers.decode_pyzbar:PyzbarBackend")


@dataclass(frozen=True, slots=True)
class Decoded:
    """One symbol found in a frame.

    `code` is the screened text (NFKC, ASCII) or None when refused; `rejected` is then the reason code
    (`mynumber_refused`, `non_ascii`, `empty`). `corners` outline the symbol in frame pixels (clockwise
    from top-left when the backend knows it). `backend` names the library that read it and `stage` the
    cascade pass (`fast`, `denoised`, `thorough`, `localised`, `pyzbar`, `enhanced`, `label`), for
    diagnostics and the benchmark.
    """

    code: str | None
    symbology: Symbology
    corners: tuple[Point, ...]
    backend: str
    stage: str = ""
    rejected: str | None = None

    @property
    def ok(self) -> bool:
        """True for an accepted code, False for a refusal."""
        return self.code is not None

    @property
    def centre(self) -> Point:
        """The middle of the symbol's outline."""
        xs = [p[0] for p in self.corners] or [0.0]
        ys = [p[1] for p in self.corners] or [0.0]
        return (sum(xs) / len(xs), sum(ys) / len(ys))


def backend_usable(name: str) -> tuple[bool, str]:
    """Whether a decoding backend can run here, and if not what to install."""
    if name == "cascade":
        return backend_usable("zxing")
    if name == "zxing":
        from drivers.decode_zxing import is_usable as zx_usable

        return zx_usable()
    if name == "pyzbar":
        from drivers.decode_pyzbar import is_usable as zb_usable

        return zb_usable()
    return False, f"unknown decoder backend {name!r}; known: {', '.join(BACKENDS)}"


@lru_cache(maxsize=4)
def _backend(name: str) -> DecoderBackend:
    cls = load(f"decode-{name}")  # raises DriverNotUsable with the install hint
    backend: DecoderBackend = cls()
    return backend


def _optional_backend(name: str) -> DecoderBackend | None:
    try:
        return _backend(name)
    except DriverNotUsable:
        return None


def _u8(a: Any) -> Gray:
    # OpenCV's stubs type every result as a generic array; our frames are 8-bit throughout.
    return cast("Gray", a)


def to_gray(image: Any) -> Gray:
    """A uint8 grayscale view of a BGR/BGRA/gray numpy frame or a PIL image."""
    import cv2

    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise ValueError(f"expected an 8-bit image, got {arr.dtype}")
    if arr.ndim == 2:
        return np.ascontiguousarray(arr)
    if arr.ndim == 3 and arr.shape[2] == 1:
        return np.ascontiguousarray(arr[:, :, 0])
    if arr.ndim == 3 and arr.shape[2] == 3:
        # PIL images are RGB, OpenCV frames BGR; for luminance the difference is negligible here.
        return _u8(cv2.cvtColor(arr, cv2.COLOR_BGR2GRAY))
    if arr.ndim == 3 and arr.shape[2] == 4:
        return _u8(cv2.cvtColor(arr, cv2.COLOR_BGRA2GRAY))
    raise ValueError(f"unsupported image shape {arr.shape}")


def decode(
    image: Any,
    *,
    symbologies: Iterable[Symbology | str] = DEFAULT_SYMBOLOGIES,
    backend: str = "cascade",
    many: bool = False,
) -> list[Decoded]:
    """Every symbol of the configured symbologies found in `image` (numpy BGR/gray or PIL).

    `backend` is "cascade" (default), "zxing" or "pyzbar" (raises `DriverNotUsable` naming the package
    to install when it cannot run here). `many=True` is the tray mode: look for every label in a large
    still rather than stopping at the first pass that finds something.
    """
    syms = frozenset(Symbology(s) for s in symbologies)
    gray = to_gray(image)
    if backend == "cascade":
        raw = _cascade(gray, syms, many=many)
    elif backend in ("zxing", "pyzbar"):
        stage = "fast" if backend == "zxing" else "pyzbar"
        raw = [(r, stage) for r in _backend(backend).read(gray, syms)]
    else:
        raise ValueError(f"unknown decoder backend {backend!r}; known: {', '.join(BACKENDS)}")
    return _screen(_merge(raw))


# --- the cascade -------------------------------------------------------------------------------------

Found = list[tuple[RawSymbol, str]]


def _cascade(gray: Gray, syms: frozenset[Symbology], *, many: bool) -> Found:
    zx = _backend("zxing")
    zb = _optional_backend("pyzbar")
    found: Found = [(r, "fast") for r in zx.read(gray, syms, fast=True)]
    if found and not many:
        return found
    if not many:
        # Sensor noise breaks the fast binariser; a light blur costs ~2 ms and avoids the slow pass.
        found += [(r, "denoised") for r in zx.read(_denoise(gray), syms, fast=True)]
        if found:
            return found
    if many:
        found += [(r, "thorough") for r in zx.read(gray, syms)]
    if many:
        found += _unread_labels(gray, syms, found, zx, zb)
        if not found:
            # Not a tray after all, or one hard label: the single-label cascade's harder passes.
            return _cascade(gray, syms, many=False)
    elif _has_1d(syms):
        found += _localised(gray, syms, found, zx, zb, stop_early=True)
        if found:
            return found
    if not many:
        found += [(r, "thorough") for r in zx.read(gray, syms)]
        if found:
            return found
    if zb is not None and not many:
        found += [(r, "pyzbar") for r in zb.read(gray, syms)]
        if found:
            return found
    if not many:
        found += _enhanced(gray, syms, zx)
    return found


def _has_1d(syms: frozenset[Symbology]) -> bool:
    return not syms.isdisjoint(
        {Symbology.CODE128, Symbology.EAN13, Symbology.EAN8, Symbology.CODE39, Symbology.ITF}
    )


def _denoise(gray: Gray) -> Gray:
    import cv2

    return _u8(cv2.GaussianBlur(gray, (0, 0), 1.0))


def _enhanced(gray: Gray, syms: frozenset[Symbology], zx: DecoderBackend) -> Found:
    import cv2

    clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
    found: Found = [(r, "enhanced") for r in zx.read(_u8(clahe.apply(gray)), syms)]
    if found:
        return found
    h, w = gray.shape
    if w * h <= 2_500_000:
        big = _u8(cv2.resize(gray, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC))
        found = [(_scale(r, 0.5), "enhanced") for r in zx.read(big, syms)]
    return found


def _scale(r: RawSymbol, k: float) -> RawSymbol:
    return RawSymbol(r.text, r.symbology, tuple((x * k, y * k) for x, y in r.corners), r.backend)


@lru_cache(maxsize=1)
def _localiser() -> Any:
    import cv2

    return cv2.barcode.BarcodeDetector()


def _inside(point: Point, quad: NDArray[np.float32]) -> bool:
    import cv2

    return bool(cv2.pointPolygonTest(quad.reshape(-1, 1, 2), point, False) >= 0)


def _localised(
    gray: Gray,
    syms: frozenset[Symbology],
    found: Found,
    zx: DecoderBackend,
    zb: DecoderBackend | None,
    *,
    stop_early: bool,
) -> Found:
    """Find 1-D barcodes with OpenCV, rectify each unread one and read the crop."""
    import cv2

    # The localiser only needs coarse gradients: on a 1080p frame half resolution is 3x faster and
    # finds the same boxes; a tray still keeps full resolution for its small labels.
    h, w = gray.shape
    k = 1.0 if not stop_early else max(1.0, max(h, w) / 1280)
    small = gray if k == 1.0 else cv2.resize(gray, (round(w / k), round(h / k)), interpolation=cv2.INTER_AREA)
    ok, points = _localiser().detect(small)
    if not ok or points is None:
        return []
    points = np.asarray(points, dtype=np.float32) * k
    one_d = syms - {Symbology.QR, Symbology.DATAMATRIX, Symbology.PDF417}
    read_centres = [_centre(r.corners) for r, _ in found if r.symbology in one_d]
    out: Found = []
    for quad in np.asarray(points, dtype=np.float32).reshape(-1, 4, 2):
        if any(_inside(c, quad) for c in read_centres):
            continue
        crop, inverse = _rectify(gray, quad)
        if crop is None:
            continue
        hits = zx.read(crop, one_d)
        if not hits and zb is not None:
            hits = zb.read(crop, one_d)
        for r in hits:
            out.append((_map(r, inverse), "localised"))
            read_centres.append(_centre(out[-1][0].corners))
        if out and stop_early:
            break
    return out


def _unread_labels(
    gray: Gray, syms: frozenset[Symbology], found: Found, zx: DecoderBackend, zb: DecoderBackend | None
) -> Found:
    """Tray mode: find the light label patches no pass has read, and read each one enlarged.

    On a 4K still of a tray, symbols printed near the 2 px/3 px limits are lost by the whole-frame
    passes (and OpenCV's 1-D localiser downsamples them away); cut out one label at a time, enlarged,
    they read again. Labels are found as bright blobs at quarter resolution, which costs a few ms.
    """
    import cv2

    k = 4
    h, w = gray.shape
    small = cv2.resize(gray, (w // k, h // k), interpolation=cv2.INTER_AREA)
    _, mask = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    read_centres = [_centre(r.corners) for r, _ in found]
    out: Found = []
    for contour in contours:
        area = cv2.contourArea(contour) * k * k
        if area < 1500 or area > 0.25 * w * h:
            continue
        quad = cv2.boxPoints(cv2.minAreaRect(contour)).astype(np.float32) * k
        if any(_inside(c, quad) for c in read_centres):
            continue
        crop, inverse = _rectify(gray, quad, pad=(6.0, 6.0), enlarge=2.0)
        if crop is None:
            continue
        hits = zx.read(crop, syms)
        if not hits and zb is not None:
            hits = zb.read(crop, syms)
        for r in hits:
            out.append((_map(r, inverse), "label"))
    return out


def _centre(corners: Sequence[Point]) -> Point:
    xs = [p[0] for p in corners] or [0.0]
    ys = [p[1] for p in corners] or [0.0]
    return (sum(xs) / len(xs), sum(ys) / len(ys))


def _rectify(
    gray: Gray,
    quad: NDArray[np.float32],
    pad: tuple[float, float] | None = None,
    enlarge: float | None = None,
) -> tuple[Gray | None, NDArray[np.float64]]:
    """Cut a region out upright with a margin, enlarged so that bars and modules are >= 3 px."""
    import cv2

    (cx, cy), (w, h), angle = cv2.minAreaRect(quad)
    if w < 4 or h < 4:
        return None, np.eye(3)
    if w < h:  # make the long side horizontal: zxing also tries 90°, but bars read best across
        w, h = h, w
        angle += 90.0
    # The localiser's box hugs the bars; Code 128 wants ten modules of quiet zone on each side.
    pad_x, pad_y = pad if pad is not None else (0.12 * w + 8, 0.25 * h + 6)
    out_w, out_h = w + 2 * pad_x, h + 2 * pad_y
    scale = enlarge if enlarge is not None else (2.0 if w < 400 else 1.0)
    rot = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    rot[0, 2] += out_w * scale / 2 - cx
    rot[1, 2] += out_h * scale / 2 - cy
    size = (math.ceil(out_w * scale), math.ceil(out_h * scale))
    crop = _u8(cv2.warpAffine(gray, rot, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE))
    full = np.vstack([rot, [0.0, 0.0, 1.0]])
    return crop, np.linalg.inv(full)


def _map(r: RawSymbol, inverse: NDArray[np.float64]) -> RawSymbol:
    pts = [(inverse @ np.array([x, y, 1.0]))[:2] for x, y in r.corners]
    return RawSymbol(r.text, r.symbology, tuple((float(p[0]), float(p[1])) for p in pts), r.backend)


# --- merging and screening ---------------------------------------------------------------------------


def _extent(corners: Sequence[Point]) -> float:
    xs = [p[0] for p in corners] or [0.0]
    ys = [p[1] for p in corners] or [0.0]
    return max(max(xs) - min(xs), max(ys) - min(ys), 1.0)


def _merge(found: Found) -> Found:
    """Drop repeats of one symbol read by several passes (same text, same kind, overlapping place).

    Two labels with the same ID at different places stay two: a stocktake wants to see duplicates.
    """
    kept: Found = []
    for r, stage in found:
        c = _centre(r.corners)
        dup = False
        for k, _ in kept:
            if k.text != r.text or k.symbology is not r.symbology:
                continue
            kc = _centre(k.corners)
            if math.dist(c, kc) < 0.5 * max(_extent(k.corners), _extent(r.corners)):
                dup = True
                break
        if not dup:
            kept.append((r, stage))
    return kept


def _screen(found: Found) -> list[Decoded]:
    out: list[Decoded] = []
    for r, stage in found:
        clean, reason = screen_text(r.text)
        out.append(Decoded(clean, r.symbology, r.corners, r.backend, stage, reason))
    return out


def label_codes(decoded: Iterable[Decoded]) -> list[str]:
    """The distinct accepted codes, in the order first found (one per label, whichever symbol read it)."""
    seen: dict[str, None] = {}
    for d in decoded:
        if d.code is not None:
            seen.setdefault(d.code, None)
    return list(seen)
