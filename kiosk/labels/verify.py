"""Read a label sheet back before it is handed over: rasterise the PDF, decode each label's two symbols.

A label is good when its Code 128 bars and its 2-D symbol both read as the ID printed on it, each exactly
once. The page is rasterised by poppler's `pdftoppm` (the same renderer the tests and most print
previews use) and every label's box is decoded with zxing-cpp; a wrong encoder, a symbol drawn off its
label or a layout that squeezes the bars below what a scanner resolves all show up here.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.text import looks_like_individual_number
from kiosk.labels.sheet import SheetLayout

# 200 dpi keeps a 0.3 mm bar module at 2.4 px (decoders need 2). Measured on the 2-core build machine:
# 1,000 labels on 23 a4-44 sheets drawn and read back in 4.7 s.
VERIFY_DPI = 200
SYMBOL_FORMAT = {"datamatrix": "DataMatrix", "qr": "QRCode"}
PAGES_PER_RUN = 20


class LabelsUnreadable(ValueError):
    """A label of the sheet does not read back as its ID; nothing was written."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = "; ".join(self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"label sheet refused, no file written: {shown}{more}")


class ReadBackUnavailable(RuntimeError):
    """The sheet cannot be read back here (poppler's pdftoppm is missing); nothing was written."""


@dataclass(frozen=True, slots=True)
class Placed:
    """Where one label was drawn: 1-based page, 0-based position on the sheet, and the ID."""

    page: int
    position: int
    management_id: str


def _shown(text: str) -> str:
    # A decoded value is printed in a refusal only when it cannot be an individual number.
    return "a 12-digit value (not shown)" if looks_like_individual_number(text) else repr(text)


def _crop(img: Any, layout: SheetLayout, position: int, dpi: int) -> Any:
    left, top, w, h = layout.box(position)
    px = dpi / 25.4
    return img[
        max(0, int(top * px)) : max(0, int((top + h) * px)),
        max(0, int(left * px)) : max(0, int((left + w) * px)),
    ]


def check_label(found: dict[str, list[str]], placed: Placed, symbol: str) -> list[str]:
    """What is wrong with one label, given {format name: texts decoded in its box}."""
    where = f"{placed.management_id} (sheet {placed.page}, position {placed.position + 1})"
    problems = []
    for fmt, label in (("Code128", "Code 128 bars"), (SYMBOL_FORMAT[symbol], "2-D symbol")):
        texts = found.get(fmt, [])
        if not texts:
            problems.append(f"label {where}: its {label} do not read")
        elif texts != [placed.management_id]:
            got = ", ".join(_shown(t) for t in texts)
            problems.append(f"label {where}: its {label} read as {got}")
    return problems


def verify_sheet(pdf: Path, layout: SheetLayout, placed: Sequence[Placed], symbol: str) -> list[str]:
    """Rasterise `pdf` and decode every placed label; return the problems (empty when all read back).

    Raises `ReadBackUnavailable` when pdftoppm is not installed: a sheet is never handed over unchecked.
    """
    import numpy as np
    import zxingcpp
    from PIL import Image

    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise ReadBackUnavailable(
            "pdftoppm is missing, so the labels cannot be read back before printing: install the Debian"
            " package poppler-utils; no sheet was written"
        )
    by_page: dict[int, list[Placed]] = {}
    for item in placed:
        by_page.setdefault(item.page, []).append(item)
    two_d = zxingcpp.BarcodeFormat.DataMatrix if symbol == "datamatrix" else zxingcpp.BarcodeFormat.QRCode
    formats: Any = (zxingcpp.BarcodeFormat.Code128, two_d)  # a tuple: the stubs want BarcodeFormats
    pages = sorted(by_page)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-labels-") as tmp:
        # A run of pages per pdftoppm call, as PGM (PNG compression costs more than the rasterising);
        # each run is read and deleted before the next, so a 2,000-page job never fills the disk.
        for i in range(0, len(pages), PAGES_PER_RUN):
            first, last = pages[i], pages[min(i + PAGES_PER_RUN, len(pages)) - 1]
            prefix = Path(tmp) / f"run{i}"
            subprocess.run(  # noqa: S603 - a fixed program on our own file
                [
                    pdftoppm,
                    "-r",
                    str(VERIFY_DPI),
                    "-gray",
                    "-f",
                    str(first),
                    "-l",
                    str(last),
                    str(pdf),
                    str(prefix),
                ],
                check=True,
                capture_output=True,
            )
            images = {int(f.stem.rsplit("-", 1)[1]): f for f in Path(tmp).glob(f"run{i}-*.pgm")}
            for page_no in pages[i : i + PAGES_PER_RUN]:
                with Image.open(images[page_no]) as img:
                    page = np.asarray(img.convert("L"))
                images[page_no].unlink()
                for item in by_page[page_no]:
                    crop = _crop(page, layout, item.position, VERIFY_DPI)
                    found: dict[str, list[str]] = {}
                    for result in zxingcpp.read_barcodes(crop, formats=formats):
                        found.setdefault(result.format.name, []).append(result.text)
                    problems.extend(check_label(found, item, symbol))
    return problems
