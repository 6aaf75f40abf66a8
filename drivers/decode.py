"""Decoding labels in a camera frame: a pure function `decode(image) -> list[Decoded]`.

Two libraries do the reading — zxing-cpp (`drivers.decode_zxing`) and pyzbar (`drivers.decode_pyzbar`) —
chosen by configuration: `backend="zxing"`, `"pyzbar"` or `"cascade"` (the default). The cascade runs
the cheapest pass first and goes on to harder passes only while nothing was found:

1. zxing-cpp's local binariser on the frame halved (~2 ms on 1080p; reads a clean label, and a
   blurred, faint or noisy one that the next binariser loses), then zxing-cpp with the
   global-histogram binariser at full size (labels near the 2-px limit), then (not in live video)
   the halved frame again with turned scans (a card held sideways) and the local binariser at full
   size (a faint label near the 2-px limit), then the global one after a light blur (sensor noise),
2. 1-D localisation: OpenCV's barcode detector (fed ~960 px so 2-px bars survive), then regions of
   coherent gradients (structure tensor) that it missed; each candidate is turned upright along its
   bar direction, padded, enlarged and read by zxing-cpp (also contrast-stretched) and pyzbar.
   Code 128 turned 15-45° defeats both libraries on the whole frame; this pass reads it,
3. zxing-cpp thorough (local-average binariser, downscaled copies: glare, blur, faint 2-D symbols),
4. pyzbar on the whole frame (best on low-contrast bars),
5. contrast normalisation (CLAHE) and a 2x enlargement (small or faint symbols).

`quick=True` (live video) stops after pass 2. In tray mode (`many=True`, a still of many cards) the
fast pass runs on the whole frame, then every light label patch it has not read is cut out, enlarged
and read on its own (the labels that sit at the 2-px limit); the thorough whole-frame pass runs only
when the patches cannot account for the photo (a patch stays unread, a symbol lies outside every patch,
too few patches to be a tray), so a readable tray costs a fraction of zxing-cpp's own thorough pass.

Every decoded text goes through `drivers.text.screen_text`: a 12-digit value comes back as a refusal
(`Decoded.rejected` is the reason code, `code` is None) and the text itself is dropped here.
Frames stay in memory; nothing here writes, logs or keeps them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
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
    cascade pass (`halved`, `fast`, `local`, `denoised`, `thorough`, `localised`, `pyzbar`, `enhanced`,
    `label`), for diagnostics and the benchmark.
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
    quick: bool = False,
) -> list[Decoded]:
    """Every symbol of the configured symbologies found in `image` (numpy BGR/gray or PIL).

    `backend` is "cascade" (default), "zxing" or "pyzbar" (raises `DriverNotUsable` naming the package
    to install when it cannot run here). `many=True` is the tray mode: look for every label in a large
    still rather than stopping at the first pass that finds something. `quick=True` (live video)
    stops the cascade after the localiser: an empty counter then costs ~15 ms a frame instead of
    ~100 ms, and the camera runs the full cascade on every few frames only.
    """
    syms = frozenset(Symbology(s) for s in symbologies)
    gray = to_gray(image)
    if backend == "cascade":
        raw = _cascade(gray, syms, many=many, quick=quick)
    elif backend in ("zxing", "pyzbar"):
        stage = "fast" if backend == "zxing" else "pyzbar"
        raw = [(r, stage) for r in _backend(backend).read(gray, syms)]
    else:
        raise ValueError(f"unknown decoder backend {backend!r}; known: {', '.join(BACKENDS)}")
    return _screen(_merge(raw))


# --- the cascade -------------------------------------------------------------------------------------

Found = list[tuple[RawSymbol, str]]


def _cascade(gray: Gray, syms: frozenset[Symbology], *, many: bool, quick: bool = False) -> Found:
    return _tray(gray, syms, tray_check(gray, syms)) if many else _single(gray, syms, quick=quick)


# Code 128 of a 10-digit ID in modules, quiet zones included (set C: 5 characters, start, check, stop:
# 11 x 8 + 2 = 90, and 10 on each side): a label is at least this many bar widths long.
_LABEL_MODULES = 110
NEED_BAR_PX = 2.0  # DESIGN.md: below 2 px per Code 128 bar (and 3 px per 2-D module) decoders fail
NEED_MODULE_PX = 3.0


@dataclass(frozen=True, slots=True)
class TrayCheck:
    """What a tray photo's label size allows, estimated before decoding.

    `labels`: label patches seen; `bar_px`: an upper estimate of the Code 128 bar width in pixels
    (label length over the modules a label holds at least); `coarse`: below what decoders need, as
    estimated and confirmed on a sample of labels read one by one; `factor`: how much finer the
    photo must be (resolution, or nearness) for bars of `NEED_BAR_PX`.
    """

    labels: int
    bar_px: float
    coarse: bool
    factor: float
    size: tuple[int, int]

    def advice(self) -> str:
        """One sentence for the stocktake screen and the log (no codes in it)."""
        w, h = self.size
        need_w, need_h = math.ceil(w * self.factor), math.ceil(h * self.factor)
        return (
            f"the labels are too small in this photo for any decoder: {self.labels} labels, Code 128 bars "
            f"about {self.bar_px:.1f} px or less (decoders need {NEED_BAR_PX:g} px bars and "
            f"{NEED_MODULE_PX:g} px 2-D modules): take the photo at {need_w}x{need_h} or more, or with "
            f"the camera {self.factor:.1f}x nearer (fewer cards per photo)"
        )


def tray_check(image: Any, symbologies: Iterable[Symbology | str] = DEFAULT_SYMBOLOGIES) -> TrayCheck | None:
    """Estimate a tray photo's symbol size before decoding it (None: not a tray, fewer than 8 labels).

    The label patches give an upper bound on the bar width; when that is below `NEED_BAR_PX`, up to
    six labels are read one by one (enlarged): if none reads, the photo is `coarse` and the cascade
    stops after its fast pass instead of running every pass for seconds.
    """
    gray = to_gray(image)
    patches = label_patches(gray)
    if len(patches) < 8:
        return None
    lengths = sorted(
        max(math.dist(a, b) for a, b in zip(p.quad, (*p.quad[1:], p.quad[0]), strict=True)) for p in patches
    )
    bar_px = lengths[len(lengths) // 2] / _LABEL_MODULES
    h, w = gray.shape
    if bar_px >= NEED_BAR_PX:
        return TrayCheck(len(patches), bar_px, False, 1.0, (w, h))
    syms = frozenset(Symbology(s) for s in symbologies)
    step = max(1, len(patches) // 6)
    sample = patches[::step][:6]
    readable = any(_read_patch(gray, p, syms, enlarge=2.0) for p in sample)
    factor = NEED_BAR_PX / max(bar_px, 0.1)
    return TrayCheck(len(patches), bar_px, not readable, factor, (w, h))


def decode_tray(
    image: Any, *, symbologies: Iterable[Symbology | str] = DEFAULT_SYMBOLOGIES, backend: str = "cascade"
) -> tuple[list[Decoded], TrayCheck | None]:
    """Tray mode with its size estimate: `(decode(image, many=True), tray_check(image))`, computed once."""
    syms = frozenset(Symbology(s) for s in symbologies)
    gray = to_gray(image)
    check = tray_check(gray, syms)
    if backend != "cascade":
        return decode(gray, symbologies=syms, backend=backend, many=True), check
    return _screen(_merge(_tray(gray, syms, check))), check


def _single(gray: Gray, syms: frozenset[Symbology], *, quick: bool) -> Found:
    """One label in view: each pass runs only when every cheaper one found nothing."""
    zx = _backend("zxing")
    zb = _optional_backend("pyzbar")
    found = _halved(gray, syms, zx)
    if found:
        return found
    found = [(r, "fast") for r in zx.read(gray, syms, fast=True)]
    if found:
        return found
    # A blurred card held sideways or upside down: the first pass reads bars along rows only and a Data
    # Matrix only near upright, and the fast pass, which turns, loses the blurred label. Live video
    # leaves it to the full cascade every few frames (the localiser below reads such a card's bars
    # too), so that an empty counter costs the quick passes no more than the first halved read.
    if not quick:
        found = _halved(gray, syms, zx, rotate=True)
        if found:
            return found
        # Bars near the 2-px limit, blurred or faint: lost by the halving and by the global binariser,
        # read by the local one at full size (rows only, ~5 ms on 1080p), which reads about as many of
        # them as zxing-cpp's whole thorough pass, before the localiser's ~25 ms.
        found = [(r, "local") for r in zx.read(gray, syms, local=True, rotate=False)]
        if found:
            return found
    # Sensor noise breaks the fast binariser; a light blur costs ~2 ms and avoids the slow pass.
    found = [(r, "denoised") for r in zx.read(_denoise(gray), syms, fast=True)]
    if found:
        return found
    if _has_1d(syms):
        found = _localised(gray, syms, zx, zb)
        if found or quick:
            return found
    elif quick:
        return []
    found = [(r, "thorough") for r in zx.read(gray, syms)]
    if found:
        return found
    if zb is not None:
        found = [(r, "pyzbar") for r in zb.read(gray, syms)]
        if found:
            return found
    return _enhanced(gray, syms, zx)


def _tray(gray: Gray, syms: frozenset[Symbology], check: TrayCheck | None = None) -> Found:
    """Many labels in one still: the fast whole-frame pass, then every label patch it did not read, cut
    out and read on its own; zxing-cpp's thorough whole-frame pass only when the patches cannot account
    for the photo. When the labels are too small for any decoder (`check.coarse`), the fast pass alone.

    The thorough pass (local binariser at several scales) costs ~0.7 s on a 4K still and, on the bench
    trays, reads nothing the fast pass and the patches do not: it is kept for photos where the labels
    are not seen as patches (fewer than a tray's worth, a read symbol outside every patch) or where a
    patch stays short of the labels it holds, so no label is lost to the shortcut.
    """
    zx = _backend("zxing")
    zb = _optional_backend("pyzbar")
    found: Found = [(r, "fast") for r in zx.read(gray, syms, fast=True)]
    if check is not None and check.coarse:
        return found
    labels = _unread_labels(gray, syms, found, zx, zb)
    found += labels.found
    if check is None or labels.unread or labels.outside:
        found += [(r, "thorough") for r in zx.read(gray, syms)]
    if not found:
        # Not a tray after all, or one hard label: the single-label cascade's harder passes.
        return _single(gray, syms, quick=False)
    return found


# Below this short side a frame is not halved first: a label at reading distance in a 640x480 frame
# has bars near the 2-px limit (DESIGN), and halved they are lost.
_HALVE_MIN_SIDE = 600


def _halved(gray: Gray, syms: frozenset[Symbology], zx: DecoderBackend, *, rotate: bool = False) -> Found:
    """The first pass on a webcam frame: zxing-cpp's local binariser on the frame at half size.

    Averaging 2x2 pixels (INTER_AREA) takes out sensor noise, and a defocused or faint label that the
    global-histogram binariser loses at full size reads here: this is the step of zxing-cpp's own
    thorough read that succeeds on such frames, without the full-size binarisation and the turned
    scans that make that read several times slower. A label near the 2-px limit does not survive the
    halving and goes on to the full-size passes. `rotate`: with the turned scans as well (a card held
    sideways or upside down), at twice the cost.
    """
    import cv2

    h, w = gray.shape
    if min(h, w) < _HALVE_MIN_SIDE:
        return []
    half = _u8(cv2.resize(gray, (w // 2, h // 2), interpolation=cv2.INTER_AREA))
    return [(_scale(r, 2.0), "halved") for r in zx.read(half, syms, local=True, rotate=rotate)]


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

    detector = cv2.barcode.BarcodeDetector()
    # It shrinks anything above 512 px by default, which erases 2-px bars; we hand it ~960 px instead.
    detector.setDownsamplingThreshold(1024)
    return detector


def _inside(point: Point, quad: NDArray[np.float32]) -> bool:
    import cv2

    return bool(cv2.pointPolygonTest(quad.reshape(-1, 1, 2), point, False) >= 0)


def _localised(
    gray: Gray, syms: frozenset[Symbology], zx: DecoderBackend, zb: DecoderBackend | None
) -> Found:
    """Find 1-D barcodes, turn each upright, enlarge it and read the crop; the first read wins."""
    one_d = syms - {Symbology.QR, Symbology.DATAMATRIX, Symbology.PDF417}
    for crop, inverse in _one_d_crops(gray):
        hits = zx.read(crop, one_d)
        if not hits:
            # Faint bars: stretch the crop's own contrast (cheap on a crop, unlike on the frame).
            hits = zx.read(_stretch(crop), one_d)
        if not hits and zb is not None:
            hits = zb.read(crop, one_d)
        if hits:
            return [(_map(r, inverse), "localised") for r in hits]
    return []


def _stretch(crop: Gray) -> Gray:
    """Stretch the contrast of the middle of a crop (the bars) to the full range; the margins, which
    may show the dark desk beside the card, clip instead of flattening the bars' contrast."""
    h, w = crop.shape
    core = crop[h // 4 : h - h // 4, w // 4 : w - w // 4]
    lo, hi = np.percentile(core if core.size else crop, (1.0, 99.0))
    scaled = (crop.astype(np.float32) - float(lo)) * (255.0 / max(float(hi - lo), 1.0))
    return _u8(np.clip(scaled, 0, 255).astype(np.uint8))


def _one_d_crops(gray: Gray) -> Iterator[tuple[Gray, NDArray[np.float64]]]:
    """Upright crops of likely 1-D barcodes: OpenCV's detector first, then gradient-coherent regions."""
    import cv2

    h, w = gray.shape
    k = max(1.0, max(h, w) / 960)
    small = gray if k == 1.0 else cv2.resize(gray, (round(w / k), round(h / k)), interpolation=cv2.INTER_AREA)
    ok, points = _localiser().detect(small)
    tried: list[NDArray[np.float32]] = []
    if ok and points is not None:
        for quad in np.asarray(points, dtype=np.float32).reshape(-1, 4, 2) * k:
            tried.append(quad)
            crop, inverse = _rectify(gray, quad)
            if crop is not None:
                yield crop, inverse
    for centre, theta, length, thickness in _coherent_regions(gray):
        if any(_inside(centre, q) for q in tried):
            continue
        scale = 2.0 if length < 500 else 1.0
        yield _upright(gray, centre, theta, length * 1.25 + 24, thickness * 1.3 + 16, scale)


def _coherent_regions(gray: Gray, max_regions: int = 6) -> list[tuple[Point, float, float, float]]:
    """Regions whose gradients all point one way (bars), as (centre, direction°, length, thickness).

    The structure tensor of the image, averaged over ~10 px cells: where its coherence is high and its
    energy clearly above the background, parallel edges run through the cell. The direction across
    the bars is the tensor's main axis; it gives the rotation that makes the barcode horizontal.
    OpenCV's detector misses 2-px bars turned 15-45°, this does not.
    """
    import cv2

    h, w = gray.shape
    k0, k1 = (2, 2) if max(h, w) > 1000 else (1, 4)
    half = gray if k0 == 1 else cv2.resize(gray, (w // k0, h // k0), interpolation=cv2.INTER_AREA)
    g = half.astype(np.float32)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    size = (max(1, half.shape[1] // k1), max(1, half.shape[0] // k1))
    jxx = cv2.blur(cv2.resize(gx * gx, size, interpolation=cv2.INTER_AREA), (5, 5))
    jyy = cv2.blur(cv2.resize(gy * gy, size, interpolation=cv2.INTER_AREA), (5, 5))
    jxy = cv2.blur(cv2.resize(gx * gy, size, interpolation=cv2.INTER_AREA), (5, 5))
    energy = jxx + jyy
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (energy + 1e-3)
    floor = max(200.0, 0.04 * float(np.percentile(energy, 99.5)))
    mask = ((coherence > 0.6) & (energy > floor)).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    k = k0 * k1
    regions: list[tuple[float, Point, float, float, float]] = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if area < 12:
            continue
        x, y, bw, bh = cv2.boundingRect(contour)
        cell = np.zeros((bh, bw), np.uint8)
        cv2.drawContours(cell, [contour - np.array([x, y])], -1, 1, -1)
        sel = cell.astype(bool)
        sxx = float(jxx[y : y + bh, x : x + bw][sel].sum())
        syy = float(jyy[y : y + bh, x : x + bw][sel].sum())
        sxy = float(jxy[y : y + bh, x : x + bw][sel].sum())
        theta = 0.5 * math.atan2(2 * sxy, sxx - syy)
        pts = contour.reshape(-1, 2).astype(np.float64) * k
        u = np.array([math.cos(theta), math.sin(theta)])
        v = np.array([-math.sin(theta), math.cos(theta)])
        pu, pv = pts @ u, pts @ v
        mid_u, mid_v = (pu.max() + pu.min()) / 2, (pv.max() + pv.min()) / 2
        centre = mid_u * u + mid_v * v
        regions.append(
            (
                area,
                (float(centre[0]), float(centre[1])),
                math.degrees(theta),
                float(np.ptp(pu)) + k,
                float(np.ptp(pv)) + k,
            )
        )
    regions.sort(key=lambda r: -r[0])
    return [(c, t, length, thick) for _a, c, t, length, thick in regions[:max_regions]]


@dataclass(frozen=True, slots=True)
class _LabelPass:
    """What reading the label patches one by one gave: the symbols, how many patches stayed unread, and
    whether a symbol read earlier lies outside every patch (the patches then miss labels)."""

    found: Found
    unread: int
    outside: bool


def _unread_labels(
    gray: Gray, syms: frozenset[Symbology], found: Found, zx: DecoderBackend, zb: DecoderBackend | None
) -> _LabelPass:
    """Tray mode: find the light label patches no pass has read, and read each one enlarged.

    On a 4K still of a tray, symbols printed near the 2 px/3 px limits are lost by the whole-frame
    passes (and OpenCV's 1-D localiser downsamples them away); cut out one label at a time, enlarged,
    they read again. Labels are found as bright blobs at quarter resolution, which costs a few ms.
    Labels lying close together merge into one blob: a blob is read whole whenever it holds fewer
    distinct codes than labels of one label's size fit in it, and one that still falls short counts as
    unread (the caller then runs the thorough whole-frame pass).
    """
    import cv2

    k = 4
    h, w = gray.shape
    small = cv2.resize(gray, (w // k, h // k), interpolation=cv2.INTER_AREA)
    _, mask = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    read = [(_centre(r.corners), r.text) for r, _ in found]
    blobs: list[tuple[float, NDArray[np.float32], set[str]]] = []
    for contour in contours:
        area = cv2.contourArea(contour) * k * k
        if area < 1500 or area > 0.25 * w * h:
            continue
        quad = cv2.boxPoints(cv2.minAreaRect(contour)).astype(np.float32) * k
        blobs.append((area, quad, {text for c, text in read if _inside(c, quad)}))
    covered = {text for _, _, texts in blobs for text in texts}
    out: Found = []

    def reread(quad: NDArray[np.float32], texts: set[str], labels: int) -> bool:
        """Read the blob whole; False when it still holds fewer codes than `labels`."""
        crop, inverse = _rectify(gray, quad, pad=(6.0, 6.0), enlarge=2.0)
        if crop is None:
            return True
        hits = zx.read(crop, syms)
        if len({r.text for r in hits} | texts) < labels and zb is not None:
            hits += zb.read(crop, syms)
        out.extend((_map(r, inverse), "label") for r in hits)
        texts.update(r.text for r in hits)
        return len(texts) >= labels

    # First the blobs nothing was read in; then one label's area is the smallest blob a code is known
    # in (a merged blob is larger; a label split in two makes it smaller, which only means more blobs
    # are read again, never fewer), and a blob holding fewer codes than labels of that size is read
    # whole too. One that still falls short is unread: the caller runs the thorough pass.
    unread = sum(not reread(quad, texts, 1) for _, quad, texts in blobs if not texts)
    holding = [a for a, _, texts in blobs if texts]
    one_label = min(holding or [a for a, _, _ in blobs] or [0.0])
    for area, quad, texts in blobs:
        labels = max(1, round(area / one_label)) if one_label > 0 else 1
        if texts and len(texts) < labels and not reread(quad, texts, labels):
            unread += 1
    outside = any(text not in covered for _, text in read)
    return _LabelPass(out, unread, outside)


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
    """Cut a quadrilateral region out upright with a margin, enlarged so that bars are >= 3 px."""
    import cv2

    (cx, cy), (w, h), angle = cv2.minAreaRect(quad)
    if w < 4 or h < 4:
        return None, np.eye(3)
    if w < h:  # make the long side horizontal: zxing also tries 90°, but bars read best across
        w, h = h, w
        angle += 90.0
    # The localiser's box hugs the bars and may miss a few at one end; Code 128 also wants ten modules
    # of quiet zone on each side.
    pad_x, pad_y = pad if pad is not None else (0.3 * w + 12, 0.3 * h + 8)
    scale = enlarge if enlarge is not None else (2.0 if w < 400 else 1.0)
    return _upright(gray, (cx, cy), angle, w + 2 * pad_x, h + 2 * pad_y, scale)


def _upright(
    gray: Gray, centre: Point, angle_deg: float, width: float, height: float, scale: float
) -> tuple[Gray, NDArray[np.float64]]:
    """The `width` x `height` region around `centre`, turned by `angle_deg` and scaled; with the inverse
    transform (crop pixels -> frame pixels)."""
    import cv2

    cx, cy = centre
    rot = cv2.getRotationMatrix2D((cx, cy), angle_deg, scale)
    rot[0, 2] += width * scale / 2 - cx
    rot[1, 2] += height * scale / 2 - cy
    size = (max(8, math.ceil(width * scale)), max(8, math.ceil(height * scale)))
    crop = _u8(cv2.warpAffine(gray, rot, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE))
    full = np.vstack([rot, [0.0, 0.0, 1.0]])
    return crop, np.linalg.inv(full)


def _map(r: RawSymbol, inverse: NDArray[np.float64]) -> RawSymbol:
    pts = [(inverse @ np.array([x, y, 1.0]))[:2] for x, y in r.corners]
    return RawSymbol(r.text, r.symbology, tuple((float(p[0]), float(p[1])) for p in pts), r.backend)


# --- counter mode: every label in view ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelPatch:
    """A light card or label patch with ink on it, found without decoding: its outline and area (px²)."""

    quad: tuple[Point, ...]
    area: float

    @property
    def centre(self) -> Point:
        return _centre(self.quad)

    @property
    def aspect(self) -> float:
        """Long side over short side (1 for a square)."""
        sides = [math.dist(a, b) for a, b in zip(self.quad, (*self.quad[1:], self.quad[0]), strict=True)]
        return max(sides) / max(min(sides), 1.0)


def label_patches(image: Any, *, min_area: float = 1500.0) -> list[LabelPatch]:
    """The light patches carrying ink (cards and labels) in a frame, largest first.

    Found at quarter resolution (Otsu threshold, outer contours), so it costs a few ms on 1080p and
    sees a defocused card as well as a sharp one: blur softens the bars, not the card's outline.
    """
    import cv2

    gray = to_gray(image)
    k = 4
    h, w = gray.shape
    small = _u8(cv2.resize(gray, (max(1, w // k), max(1, h // k)), interpolation=cv2.INTER_AREA))
    _, mask = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out: list[LabelPatch] = []
    for contour in contours:
        area = float(cv2.contourArea(contour)) * k * k
        if area < min_area or area > 0.5 * w * h:
            continue
        x, y, bw, bh = cv2.boundingRect(contour)
        inner = small[y + bh // 5 : y + bh - bh // 5, x + bw // 8 : x + bw - bw // 8]
        if inner.size == 0 or float(inner.std()) < 18.0:
            continue  # a blank sheet or a light surface: no ink, no label
        quad = cv2.boxPoints(cv2.minAreaRect(contour)).astype(np.float32) * k
        out.append(LabelPatch(tuple((float(px), float(py)) for px, py in quad), area))
    out.sort(key=lambda p: -p.area)
    return out


def _read_patch(gray: Gray, patch: LabelPatch, syms: frozenset[Symbology], enlarge: float = 1.0) -> Found:
    """Read one label patch on its own: upright crop, then sharpened (a defocused card), then pyzbar."""
    import cv2

    quad = np.asarray(patch.quad, dtype=np.float32)
    crop, inverse = _rectify(gray, quad, pad=(8.0, 8.0), enlarge=enlarge)
    if crop is None:
        return []
    zx = _backend("zxing")
    zb = _optional_backend("pyzbar")
    blurred = cv2.GaussianBlur(crop, (0, 0), 3.0)
    sharp = _u8(cv2.addWeighted(crop, 2.0, blurred, -1.0, 0))
    for attempt in (crop, sharp):
        hits = zx.read(attempt, syms)
        if not hits and zb is not None:
            hits = zb.read(attempt, syms)
        if hits:
            return [(_map(r, inverse), "patch") for r in hits]
    return []


def decode_counter(
    image: Any,
    *,
    symbologies: Iterable[Symbology | str] = DEFAULT_SYMBOLOGIES,
    backend: str = "cascade",
    quick: bool = False,
) -> tuple[list[Decoded], bool]:
    """Counter mode's read of one frame, as the camera does it and `kiosk decode --single` shows it:
    the single-label cascade, then `counter_survey`. Returns `(found, unreadable)`."""
    found = decode(image, symbologies=symbologies, backend=backend, quick=quick)
    return counter_survey(image, found, symbologies=symbologies)


def counter_survey(
    image: Any,
    found: list[Decoded],
    *,
    symbologies: Iterable[Symbology | str] = DEFAULT_SYMBOLOGIES,
    dominance: float = 1.4,
) -> tuple[list[Decoded], bool]:
    """Counter mode: make sure the picker sees every label the frame holds before it chooses.

    The single-label cascade stops at the first pass that reads anything, which may be a sharp card
    lying on the desk while the presented card, held nearer than the lens's focus, is larger and
    blurred. Every label patch clearly larger (`dominance` in scale, its square in area) than the
    largest one read is read on its own; returns `(found and what those patches read, unreadable)`,
    `unreadable` being True when such a patch could not be read: the presented card is in view but
    unread, and no smaller label may be taken in its place.
    """
    if not found:
        return found, False
    syms = frozenset(Symbology(s) for s in symbologies)
    gray = to_gray(image)
    patches = label_patches(gray)
    located = [d.centre for d in found if d.corners]

    def holds(p: LabelPatch) -> bool:
        quad = np.asarray(p.quad, dtype=np.float32)
        return any(_inside(c, quad) for c in located)

    read = [p for p in patches if holds(p)]
    if not read:
        return found, False
    model = max(read, key=lambda p: p.area)
    # Only patches shaped like the label read (the same label design, nearer) count: a form or a sheet
    # of paper on the desk is larger too, but it is not a card being presented.
    larger = [
        p
        for p in patches
        if p not in read and p.area >= dominance**2 * model.area and 0.6 <= p.aspect / model.aspect <= 1.6
    ]
    extra: Found = []
    unreadable = False
    for p in larger:
        hits = _read_patch(gray, p, syms)
        extra += hits
        unreadable = unreadable or not hits
    if not extra:
        return found, unreadable
    return [*found, *_screen(_merge(extra))], unreadable


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
