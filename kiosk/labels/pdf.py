"""Draw label sheets as vector PDF at exact size: Code 128 bars, a Data Matrix or QR module grid, digits.

Nothing is rasterised: bars and modules are filled rectangles at exact millimetre positions, so a
printer reproduces them at its own resolution. The bar pattern comes from our own Code 128 set C
encoder (`kiosk.labels.code128`) and the 2-D module grid from zxing-cpp's writer. Before a sheet file
appears, every label on it is rasterised and decoded back (`kiosk.labels.verify`); one that does not read
as its own ID refuses the whole file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.labels.code128 import Encoder, encode
from kiosk.labels.sheet import SheetLayout
from kiosk.texts.forms import PaperText as W

MM = 72.0 / 25.4  # points per millimetre

# Code 128 needs 10 modules of quiet zone on each side; a module wider than 0.5 mm gains nothing.
CODE128_QUIET = 10
MAX_BAR_MODULE_MM = 0.5
# Quiet zone around the 2-D symbol, in modules (Data Matrix needs 1, QR 4; labels give a little more
# to Data Matrix because the label's edge may be cut close).
SYMBOL_QUIET = {"datamatrix": 2, "qr": 4}


@dataclass(frozen=True, slots=True)
class LabelParts:
    """The vector pieces of one label (positions in mm from the label's top-left corner)."""

    bars: tuple[tuple[float, float], ...]  # (x, width) of each bar
    bar_top: float
    bar_height: float
    modules: tuple[tuple[int, int], ...]  # (column, row) of each dark module
    module_mm: float
    symbol_left: float
    symbol_top: float
    text_left: float
    text_baseline: float
    text_size_pt: float


def symbol_matrix(management_id: str, symbol: str) -> list[list[bool]]:
    """The 2-D symbol's module grid (True = dark) from zxing-cpp's writer, without quiet zone."""
    import numpy as np
    import zxingcpp

    fmt = zxingcpp.BarcodeFormat.DataMatrix if symbol == "datamatrix" else zxingcpp.BarcodeFormat.QRCode
    img = np.asarray(zxingcpp.create_barcode(management_id, fmt).to_image(scale=1, add_quiet_zones=False))
    return [[bool(v < 128) for v in row] for row in img]


def layout_label(
    management_id: str, width_mm: float, height_mm: float, symbol: str, *, encoder: Encoder = encode
) -> LabelParts:
    """Place the bars, the symbol and the digits on a label of the given size."""
    pad = min(3.0, 0.06 * height_mm)
    inner_w, inner_h = width_mm - 2 * pad, height_mm - 2 * pad
    pattern = encoder(management_id)
    module = min(MAX_BAR_MODULE_MM, inner_w / (len(pattern) + 2 * CODE128_QUIET))
    bar_height = 0.42 * inner_h
    start = pad + (inner_w - len(pattern) * module) / 2
    bars: list[tuple[float, float]] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "1":
            j = i
            while j < len(pattern) and pattern[j] == "1":
                j += 1
            bars.append((start + i * module, (j - i) * module))
            i = j
        else:
            i += 1

    grid = symbol_matrix(management_id, symbol)
    n = len(grid)
    quiet = SYMBOL_QUIET[symbol]
    gap = 0.04 * inner_h
    lower_h = inner_h - bar_height - gap
    # The symbol takes at most 40 % of the width, so the digits keep room beside it.
    module_mm = min(lower_h / (n + 2 * quiet), 0.4 * inner_w / (n + 2 * quiet), 1.0)
    side = (n + 2 * quiet) * module_mm
    symbol_left = pad + quiet * module_mm
    symbol_top = pad + bar_height + gap + (lower_h - side) / 2 + quiet * module_mm
    modules = tuple((c, r) for r, row in enumerate(grid) for c, dark in enumerate(row) if dark)

    text_left = pad + side + 0.05 * inner_w
    text_w = width_mm - pad - text_left
    # Digits of this font are about 0.55 em wide: fit ten of them, and no taller than the row.
    size_pt = min(text_w / (10 * 0.56) * MM, lower_h * 0.5 * MM, 14.0)
    baseline = pad + bar_height + gap + lower_h / 2 + size_pt / MM * 0.35
    return LabelParts(
        bars=tuple(bars),
        bar_top=pad,
        bar_height=bar_height,
        modules=modules,
        module_mm=module_mm,
        symbol_left=symbol_left,
        symbol_top=symbol_top,
        text_left=text_left,
        text_baseline=baseline,
        text_size_pt=size_pt,
    )


def _draw_label(
    canvas: Any, parts: LabelParts, management_id: str, left: float, top: float, page_h: float, font: str
) -> None:
    # reportlab's origin is the bottom-left corner; the layout measures from the top-left.
    def y(mm_from_top: float) -> float:
        return (page_h - top - mm_from_top) * MM

    for x, w in parts.bars:
        canvas.rect(
            (left + x) * MM,
            y(parts.bar_top + parts.bar_height),
            w * MM,
            parts.bar_height * MM,
            stroke=0,
            fill=1,
        )
    m = parts.module_mm
    for c, r in parts.modules:
        canvas.rect(
            (left + parts.symbol_left + c * m) * MM,
            y(parts.symbol_top + (r + 1) * m),
            m * MM,
            m * MM,
            stroke=0,
            fill=1,
        )
    canvas.setFont(font, parts.text_size_pt)
    canvas.drawString((left + parts.text_left) * MM, y(parts.text_baseline), management_id)


def write_label_sheets(
    ids: Sequence[str],
    layout: SheetLayout,
    path: Path,
    *,
    symbol: str = "datamatrix",
    skip: int = 0,
    font_file: Path | None = None,
    outlines: bool = False,
    encoder: Encoder = encode,
) -> int:
    """Write labels for `ids` onto as many sheets as needed; return the number of pages.

    `skip` leaves the first positions of the first sheet empty (a partly used sheet); `outlines` draws
    each label's edge, for calibrating against a real sheet held up to the light. The sheets are drawn
    to a temporary file beside `path`, read back label by label, and only then renamed to `path`:
    `LabelsUnreadable` names every label that does not read as its ID, and no file is left.
    """
    import os

    from reportlab.pdfgen.canvas import Canvas

    from kiosk.labels.verify import LabelsUnreadable, Placed, verify_sheet
    from kiosk.reports.fonts import japanese_font

    if symbol not in SYMBOL_QUIET:
        raise ValueError(f"symbol is one of {', '.join(SYMBOL_QUIET)}")
    if not 0 <= skip < layout.per_sheet:
        raise ValueError(f"skip is 0 to {layout.per_sheet - 1} on this sheet")
    font = japanese_font(font_file)
    page_w, page_h = layout.page_mm
    draft = path.with_name(f".{path.name}.unchecked")
    canvas = Canvas(str(draft), pagesize=(page_w * MM, page_h * MM), initialFontName=font)
    canvas.setTitle(W.LABELS_DOC.fill(layout=layout.name))
    canvas.setFillColorRGB(0, 0, 0)
    pages = 0
    placed: list[Placed] = []
    for n, mid in enumerate(ids, start=skip):
        position = n % layout.per_sheet
        if position == 0 and n > 0:
            canvas.showPage()
        if position == 0 or pages == 0:
            pages += 1
            canvas.setFillColorRGB(0, 0, 0)
        left, top, w, h = layout.box(position)
        parts = layout_label(mid, w, h, symbol, encoder=encoder)
        _draw_label(canvas, parts, mid, left, top, page_h, font)
        placed.append(Placed(pages, position, mid))
        if outlines:
            canvas.setLineWidth(0.2)
            canvas.rect(left * MM, (page_h - top - h) * MM, w * MM, h * MM, stroke=1, fill=0)
    canvas.showPage()
    canvas.save()
    try:
        problems = verify_sheet(draft, layout, placed, symbol)
        if problems:
            raise LabelsUnreadable(problems)
        os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return pages
