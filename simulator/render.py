"""Label images and camera scenes rendered from real symbols.

`render_label` is the one place that draws a management-ID label: Code 128 (bars from `drivers.code128`,
the encoder the kiosk prints with)
beside a 2-D symbol of the same ID (QR or Data Matrix from zxing-cpp's writer), with the digits printed
under the bars. The simulator photographs it; the reports engineer reuses it for PDF label sheets.

`render_card_frame` and `render_tray` compose labels into camera frames with the faults a webcam at
the safe really shows (blur, noise, rotation, perspective, glare, low contrast, occlusion, vignetting).
Everything is deterministic for a seed and stays in memory.
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from drivers.code128 import encode
from drivers.text import screen_text

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from PIL import Image as PILImage

    Gray = NDArray[np.uint8]

# DESIGN: at the camera's distance a Code 128 bar must be >= 2 px and a 2-D module >= 3 px.
MIN_BAR_PX = 2
MIN_MODULE_PX = 3
QUIET_MODULES_1D = 10  # Code 128 needs ten modules of quiet zone on each side
QUIET_MODULES_2D = 2


class LabelSymbol(enum.StrEnum):
    """The 2-D symbol printed beside the Code 128 bars."""

    DATAMATRIX = "datamatrix"
    QR = "qr"


def _checked(management_id: str) -> str:
    clean, reason = screen_text(management_id)
    if clean is None:
        # Never draw an individual-number-shaped value, not even in a test sheet.
        raise ValueError(f"refusing to render a label ({reason})")
    return clean


@lru_cache(maxsize=4096)
def code128_modules(text: str) -> str:
    """The Code 128 module pattern ('1' = bar) for `text`, without quiet zones.

    Digit strings (every management ID) use code set C from `drivers.code128`, as the kiosk's label
    sheets do: python-barcode drops a leading "99" (its issue #251), so a simulated label of 9922956654
    read as 22956654. Other text (a test's odd label) still goes through python-barcode.
    """
    if len(text) % 2 == 0 and text.isascii() and text.isdigit():
        return encode(text)
    import barcode  # python-barcode

    pattern: list[str] = barcode.get("code128", text).build()
    return pattern[0]


@lru_cache(maxsize=4096)
def _matrix_bytes(text: str, symbol: LabelSymbol) -> tuple[bytes, int, int]:
    import zxingcpp

    fmt = (
        zxingcpp.BarcodeFormat.DataMatrix
        if symbol is LabelSymbol.DATAMATRIX
        else zxingcpp.BarcodeFormat.QRCode
    )
    kwargs: dict[str, Any] = {"ec_level": "M"} if symbol is LabelSymbol.QR else {}
    img = np.asarray(zxingcpp.create_barcode(text, fmt, **kwargs).to_image(scale=1, add_quiet_zones=False))
    dark = (img < 128).astype(np.uint8)
    return dark.tobytes(), dark.shape[0], dark.shape[1]


def symbol_matrix(text: str, symbol: LabelSymbol = LabelSymbol.DATAMATRIX) -> NDArray[np.bool_]:
    """The 2-D symbol's module matrix (True = dark), one element per module, without quiet zone."""
    data, h, w = _matrix_bytes(text, LabelSymbol(symbol))
    return np.frombuffer(data, dtype=np.uint8).reshape(h, w).astype(bool)


@lru_cache(maxsize=8)
def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def render_label(
    management_id: str,
    *,
    bar_px: int = 3,
    module_px: int = 5,
    symbol: LabelSymbol | str | None = LabelSymbol.DATAMATRIX,
    bar_height_px: int | None = None,
    digits: bool = True,
) -> PILImage.Image:
    """A management-ID label as a grayscale PIL image ("L": 0 = ink, 255 = paper).

    Code 128 at `bar_px` pixels per narrow bar on the left, the 2-D symbol at `module_px` per module on
    the right (`symbol=None`: bars only, like an older sleeve label), the digits under the bars.
    Scale the whole label so that, at the camera, `bar_px >= 2` and `module_px >= 3` (DESIGN); for
    print, choose the pixel sizes from the printer's dots.
    Raises ValueError for an individual-number-shaped value.
    """
    from PIL import Image, ImageDraw

    text = _checked(management_id)
    if bar_px < 1 or module_px < 1:
        raise ValueError("bar_px and module_px must be positive")
    bars = np.frombuffer(code128_modules(text).encode("ascii"), dtype=np.uint8) == ord("1")
    matrix = symbol_matrix(text, LabelSymbol(symbol)) if symbol is not None else np.zeros((0, 0), bool)

    bars_w = (bars.size + 2 * QUIET_MODULES_1D) * bar_px
    sym_w = (matrix.shape[1] + 2 * QUIET_MODULES_2D) * module_px if matrix.size else 0
    sym_h = (matrix.shape[0] + 2 * QUIET_MODULES_2D) * module_px if matrix.size else 0
    bar_h = bar_height_px if bar_height_px is not None else max(sym_h - 2 * module_px, 16 * bar_px)
    font_px = max(10, 4 * bar_px + 2) if digits else 0
    text_h = int(font_px * 1.3) if digits else 0
    height = max(sym_h, bar_h + text_h + 2 * bar_px)
    width = bars_w + sym_w

    canvas = np.full((height, width), 255, dtype=np.uint8)
    row = np.repeat(np.where(bars, 0, 255).astype(np.uint8), bar_px)
    x0 = QUIET_MODULES_1D * bar_px
    canvas[bar_px : bar_px + bar_h, x0 : x0 + row.size] = row
    mod = np.kron(np.where(matrix, 0, 255).astype(np.uint8), np.ones((module_px, module_px), np.uint8))
    sy = (height - sym_h) // 2 + QUIET_MODULES_2D * module_px
    sx = bars_w + QUIET_MODULES_2D * module_px
    if matrix.size:
        canvas[sy : sy + mod.shape[0], sx : sx + mod.shape[1]] = mod

    image = Image.fromarray(canvas, mode="L")
    if digits:
        draw = ImageDraw.Draw(image)
        draw.text((bars_w // 2, bar_px + bar_h + text_h // 2), text, fill=0, font=_font(font_px), anchor="mm")
    return image


# --- scenes ------------------------------------------------------------------------------------------


class Condition(enum.StrEnum):
    """Named imaging conditions of the simulated webcam (the benchmark reports each)."""

    CLEAN = "clean"
    BLUR = "blur"
    NOISE = "noise"
    ROTATION = "rotation"
    PERSPECTIVE = "perspective"
    GLARE = "glare"
    LOW_CONTRAST = "low_contrast"
    OCCLUSION = "occlusion"
    SMALL = "small"  # the DESIGN minimum: 2-px bars, 3-px modules, turned up to 45°


@dataclass(frozen=True, slots=True)
class Effects:
    """How a frame is spoiled; zero values mean a clean shot."""

    rotation_deg: float = 0.0
    perspective: float = 0.0  # 0..0.3: how far the far edge shrinks
    blur_sigma: float = 0.0
    noise_sigma: float = 0.0
    glare: float = 0.0  # 0..1 strength of a specular blob over the label
    contrast: float = 1.0  # 1 = full ink/paper contrast
    occlusion: float = 0.0  # 0..1 fraction of one symbol covered
    vignette: float = 0.0  # 0..1 darkening towards the corners
    bar_px: int | None = None  # label scale at the camera, overriding the frame's default
    module_px: int | None = None

    @classmethod
    def for_condition(cls, condition: Condition | str, rng: random.Random) -> Effects:
        """Random effects typical of a named condition (mild defocus and sensor noise always present)."""
        c = Condition(condition)
        base: dict[str, Any] = {"blur_sigma": rng.uniform(0.3, 0.7), "noise_sigma": rng.uniform(1.0, 3.0)}
        base["rotation_deg"] = rng.uniform(-4, 4)
        if c is Condition.BLUR:
            base["blur_sigma"] = rng.uniform(1.2, 1.8)
        elif c is Condition.NOISE:
            base["noise_sigma"] = rng.uniform(10.0, 16.0)
        elif c is Condition.ROTATION:
            base["rotation_deg"] = rng.choice((-1, 1)) * rng.uniform(15, 45)
        elif c is Condition.PERSPECTIVE:
            base["perspective"] = rng.uniform(0.12, 0.25)
            base["rotation_deg"] = rng.uniform(-10, 10)
        elif c is Condition.GLARE:
            base["glare"] = rng.uniform(0.6, 0.9)
        elif c is Condition.LOW_CONTRAST:
            base["contrast"] = rng.uniform(0.15, 0.25)
        elif c is Condition.OCCLUSION:
            base["occlusion"] = rng.uniform(0.35, 0.6)
        elif c is Condition.SMALL:
            base["rotation_deg"] = rng.uniform(-45, 45)
            return cls(**base, bar_px=2, module_px=3)
        return cls(**base)


@dataclass
class Scene:
    """A camera frame under construction (grayscale float canvas)."""

    width: int
    height: int
    rng: random.Random
    canvas: NDArray[np.float32] = field(init=False)

    def __post_init__(self) -> None:
        nrng = np.random.default_rng(self.rng.getrandbits(32))
        # A desk or tray: mid-grey with a soft illumination gradient and some texture.
        yy, xx = np.mgrid[0 : self.height : 8, 0 : self.width : 8].astype(np.float32)
        gx, gy = self.rng.uniform(-0.15, 0.15), self.rng.uniform(-0.15, 0.15)
        low = 110 + 40 * (gx * xx / max(self.width, 1) + gy * yy / max(self.height, 1))
        low += nrng.normal(0, 4, low.shape).astype(np.float32)
        import cv2

        self.canvas = cv2.resize(low, (self.width, self.height), interpolation=cv2.INTER_LINEAR)

    def place(
        self,
        label: Gray,
        centre: tuple[float, float],
        rotation_deg: float = 0.0,
        perspective: float = 0.0,
        card_margin: int = 0,
        contrast: float = 1.0,
    ) -> NDArray[np.float64]:
        """Warp a label (on a white card of `card_margin` px around it) into the scene.

        Returns the label's four corners in the frame (for glare/occlusion placement).
        """
        import cv2

        h, w = label.shape
        ink, paper = 235 - 200 * contrast, 235.0
        src_img = label.astype(np.float32) * ((paper - ink) / 255.0) + ink
        if card_margin:
            src_img = np.asarray(
                cv2.copyMakeBorder(src_img, *(card_margin,) * 4, cv2.BORDER_CONSTANT, value=paper), np.float32
            )
            h, w = src_img.shape
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
        dst = src - np.array([w / 2, h / 2], dtype=np.float32)
        if perspective:
            # Shrink one side as if the card were tilted away from the camera.
            side = self.rng.choice((0, 1, 2, 3))
            k = 1 - perspective
            if side == 0:
                dst[[0, 1], 0] *= k
            elif side == 1:
                dst[[1, 2], 1] *= k
            elif side == 2:
                dst[[2, 3], 0] *= k
            else:
                dst[[0, 3], 1] *= k
        a = math.radians(rotation_deg)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], dtype=np.float32)
        dst = dst @ rot.T + np.array(centre, dtype=np.float32)
        m = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
        x0, y0 = np.floor(dst.min(axis=0)).astype(int) - 2
        x1, y1 = np.ceil(dst.max(axis=0)).astype(int) + 2
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, self.width), min(y1, self.height)
        if x1 <= x0 or y1 <= y0:
            return dst.astype(np.float64)
        shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], dtype=np.float64)
        mm = shift @ m
        size = (int(x1 - x0), int(y1 - y0))
        warped = cv2.warpPerspective(src_img, mm, size, flags=cv2.INTER_LINEAR, borderValue=0.0)
        mask = cv2.warpPerspective(np.ones_like(src_img), mm, size, flags=cv2.INTER_LINEAR, borderValue=0.0)
        roi = self.canvas[y0:y1, x0:x1]
        roi[:] = roi * (1 - mask) + warped * mask
        return dst.astype(np.float64)

    def defocus(self, corners: NDArray[np.float64], sigma: float, margin: float = 40.0) -> None:
        """Blur the card around `corners` as a lens does a card held nearer than its focus distance."""
        import cv2

        x0, y0 = np.floor(corners.min(axis=0) - margin - 3 * sigma).astype(int)
        x1, y1 = np.ceil(corners.max(axis=0) + margin + 3 * sigma).astype(int)
        x0, y0 = max(int(x0), 0), max(int(y0), 0)
        x1, y1 = min(int(x1), self.width), min(int(y1), self.height)
        if x1 <= x0 or y1 <= y0 or sigma <= 0:
            return
        roi = self.canvas[y0:y1, x0:x1]
        roi[:] = cv2.GaussianBlur(roi, (0, 0), sigma)

    def glare(self, centre: tuple[float, float], radius: float, strength: float) -> None:
        """A specular highlight: a bright, partly saturating blob (the sleeve's plastic)."""
        cx, cy = centre
        r = int(radius * 2)
        x0, y0 = max(int(cx) - r, 0), max(int(cy) - r, 0)
        x1, y1 = min(int(cx) + r, self.width), min(int(cy) + r, self.height)
        if x1 <= x0 or y1 <= y0:
            return
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        sx, sy = radius, radius * self.rng.uniform(0.4, 0.8)
        blob = np.exp(-(((xx - cx) / sx) ** 2 + ((yy - cy) / sy) ** 2))
        roi = self.canvas[y0:y1, x0:x1]
        roi[:] = roi + (270 - roi) * strength * blob

    def occlude(self, corners: NDArray[np.float64], fraction: float, *, ends: bool = True) -> None:
        """Cover part of the label with a finger-coloured band: from one end, or across the top.

        From an end it hides part of one symbol (the other still reads); across the top it leaves the
        lower part of the bars, which a scan line can still cross.
        """
        import cv2

        p = corners
        if not ends or self.rng.random() < 0.4:
            t = fraction * 0.6
            a, b = p[0], p[1]
            c, d = p[0] + (p[3] - p[0]) * t, p[1] + (p[2] - p[1]) * t
            poly = np.array([a, b, d, c], dtype=np.int32)
            cv2.fillConvexPoly(self.canvas, poly, color=float(self.rng.uniform(120, 170)))
            return
        # Cover the left (Code 128) or right (2-D) end, `fraction` of that symbol's share.
        left = self.rng.random() < 0.5
        t = fraction * (0.6 if left else 0.35)
        if left:
            a, b = p[0], p[3]
            c, d = p[0] + (p[1] - p[0]) * t, p[3] + (p[2] - p[3]) * t
        else:
            a, b = p[1], p[2]
            c, d = p[1] + (p[0] - p[1]) * t, p[2] + (p[3] - p[2]) * t
        poly = np.array([a, c, d, b], dtype=np.int32)
        cv2.fillConvexPoly(self.canvas, poly, color=float(self.rng.uniform(120, 170)))

    def finish(self, blur_sigma: float, noise_sigma: float, vignette: float = 0.0) -> Gray:
        """Optics and sensor: defocus, vignetting, noise, 8-bit clipping."""
        import cv2

        img = self.canvas
        if blur_sigma > 0:
            img = np.asarray(cv2.GaussianBlur(img, (0, 0), blur_sigma), np.float32)
        if vignette > 0:
            yy = np.linspace(-1, 1, self.height, dtype=np.float32)[:, None]
            xx = np.linspace(-1, 1, self.width, dtype=np.float32)[None, :]
            img = img * (1 - vignette * 0.5 * (xx**2 + yy**2))
        if noise_sigma > 0:
            nrng = np.random.default_rng(self.rng.getrandbits(32))
            noise = nrng.standard_normal((self.height, self.width), dtype=np.float32)
            img = img + noise * noise_sigma
        return np.clip(img, 0, 255).astype(np.uint8)


def render_card_frame(
    management_id: str,
    *,
    effects: Effects | None = None,
    seed: int = 0,
    size: tuple[int, int] = (1920, 1080),
    bar_px: int = 3,
    module_px: int = 5,
    symbol: LabelSymbol | str | None = LabelSymbol.DATAMATRIX,
) -> Gray:
    """One card held under the webcam: a grayscale frame of `size` (w, h) showing its label."""
    rng = random.Random(seed)
    fx = effects or Effects()
    width, height = size
    label = np.asarray(
        render_label(
            management_id, bar_px=fx.bar_px or bar_px, module_px=fx.module_px or module_px, symbol=symbol
        )
    )
    scene = Scene(width, height, rng)
    centre = (width / 2 + rng.uniform(-0.2, 0.2) * width, height / 2 + rng.uniform(-0.2, 0.2) * height)
    corners = scene.place(
        label, centre, fx.rotation_deg, fx.perspective, card_margin=24, contrast=fx.contrast
    )
    if fx.glare:
        # The highlight lands somewhere on the label, never wider than half of it.
        t = rng.uniform(0.15, 0.85)
        gx, gy = (
            corners[0] + (corners[1] - corners[0]) * t + (corners[3] - corners[0]) * rng.uniform(0.2, 0.8)
        )
        radius = float(np.linalg.norm(corners[1] - corners[0])) * rng.uniform(0.08, 0.14)
        scene.glare((float(gx), float(gy)), radius, fx.glare)
    if fx.occlusion:
        scene.occlude(corners, fx.occlusion, ends=symbol is not None)
    return scene.finish(fx.blur_sigma, fx.noise_sigma, fx.vignette)


def render_tray(
    management_ids: list[str],
    *,
    seed: int = 0,
    size: tuple[int, int] = (3840, 2160),
    module_px: int = 3,
    bar_px: int = 2,
    symbol: LabelSymbol | str = LabelSymbol.DATAMATRIX,
    blur_sigma: float = 0.6,
    noise_sigma: float = 4.0,
    vignette: float = 0.25,
    max_rotation_deg: float = 8.0,
) -> Gray:
    """A still of a tray of cards seen from above: every label once, in a jittered grid.

    Raises ValueError when the labels do not fit the frame at the requested scale.
    """
    rng = random.Random(seed)
    width, height = size
    n = len(management_ids)
    scene = Scene(width, height, rng)
    if n == 0:
        return scene.finish(blur_sigma, noise_sigma, vignette)
    probe = np.asarray(
        render_label(management_ids[0], bar_px=bar_px, module_px=module_px, symbol=symbol, digits=False)
    )
    lh, lw = probe.shape
    margin = max(6, module_px * 2)
    a = math.radians(max_rotation_deg)
    rot_w = lw * math.cos(a) + lh * math.sin(a)
    rot_h = lw * math.sin(a) + lh * math.cos(a)
    cell_w, cell_h = int(rot_w) + 2 * margin + 8, int(rot_h) + 2 * margin + 8
    cols = max(1, width // cell_w)
    rows = math.ceil(n / cols)
    if rows * cell_h > height:
        raise ValueError(f"{n} labels of {lw}x{lh} px do not fit a {width}x{height} frame")
    off_x = (width - cols * cell_w) / 2
    off_y = (height - rows * cell_h) / 2
    slack_x = max((cell_w - rot_w - 2 * margin) / 2 - 2, 0.0)
    slack_y = max((cell_h - rot_h - 2 * margin) / 2 - 2, 0.0)
    for i, mid in enumerate(management_ids):
        r, c = divmod(i, cols)
        label = np.asarray(render_label(mid, bar_px=bar_px, module_px=module_px, symbol=symbol, digits=False))
        cx = off_x + (c + 0.5) * cell_w + rng.uniform(-slack_x, slack_x)
        cy = off_y + (r + 0.5) * cell_h + rng.uniform(-slack_y, slack_y)
        scene.place(
            label, (cx, cy), rng.uniform(-max_rotation_deg, max_rotation_deg), 0.0, card_margin=margin
        )
    return scene.finish(blur_sigma, noise_sigma, vignette)


def render_counter_frame(
    presented: str | None,
    others: list[str] | None = None,
    *,
    seed: int = 0,
    size: tuple[int, int] = (1920, 1080),
    finger: float = 0.0,
    presented_at: tuple[float, float] = (0.5, 0.5),
    other_at: list[tuple[float, float]] | None = None,
    other_scale: float = 0.6,
    symbol: LabelSymbol | str = LabelSymbol.DATAMATRIX,
    blur_sigma: float = 0.5,
    noise_sigma: float = 3.0,
    presented_scale: float = 1.0,
    presented_defocus: float = 0.0,
) -> Gray:
    """A webcam frame at the counter: the card `presented` held up to the camera (large; `finger`
    covers that fraction of one end of its label) and `others` lying further away in view (printed
    at `other_scale` of its size, at `other_at` as fractions of the frame, by default the corners).
    Equal scales and places symmetric about the centre make a frame nobody could decide.

    `presented_scale` enlarges the presented card (held nearer), `presented_defocus` blurs it alone
    (sigma in px: held nearer than the webcam's focus distance, while the cards on the desk are sharp)."""
    rng = random.Random(seed)
    width, height = size
    scene = Scene(width, height, rng)
    spots = other_at or [(0.16, 0.2), (0.84, 0.8), (0.84, 0.2), (0.16, 0.8)]
    bar_small = max(1, round(3 * other_scale))
    module_small = max(2, round(5 * other_scale))
    for i, mid in enumerate(others or []):
        fx, fy = spots[i % len(spots)]
        label = np.asarray(render_label(mid, bar_px=bar_small, module_px=module_small, symbol=symbol))
        scene.place(label, (fx * width, fy * height), rng.uniform(-6, 6), card_margin=10)
    if presented is not None:
        bar, module = max(1, round(3 * presented_scale)), max(2, round(5 * presented_scale))
        label = np.asarray(render_label(presented, bar_px=bar, module_px=module, symbol=symbol))
        centre = (presented_at[0] * width, presented_at[1] * height)
        margin = round(24 * presented_scale)
        corners = scene.place(label, centre, rng.uniform(-8, 8), card_margin=margin)
        if finger:
            scene.occlude(corners, finger)
        if presented_defocus:
            scene.defocus(corners, presented_defocus, margin=margin + 4)
    return scene.finish(blur_sigma, noise_sigma)
