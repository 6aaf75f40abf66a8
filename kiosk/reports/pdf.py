"""Shared PDF pieces: the table style, the numbered page footer and a vector QR code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kiosk.texts.forms import PaperText as W


def para(text: object, style: Any) -> Any:
    """A reportlab Paragraph that shows `text` exactly as recorded.

    Paragraph reads its text as markup: a name or reason holding `<b>` would print differently from the
    ledger, and one holding `<font ...>` would stop the whole paper. Every paper builds its paragraphs
    here, so what people typed is escaped once; no paper uses markup of its own.
    """
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    return Paragraph(escape(str(text)), style)


def table_style(font: str, *, size: float = 8.5, align_right_from: int | None = None) -> Any:
    """A ruled table with a grey heading row, as on a paper form."""
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle

    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), font, size),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if align_right_from is not None:
        commands.append(("ALIGN", (align_right_from, 1), (-1, -1), "RIGHT"))
    return TableStyle(commands)


def footer_canvas(font: str, lines: Sequence[str], *, size: float = 7.5) -> type[Any]:
    """A reportlab canvas class that prints `lines` and "page x / y" at the foot of every page.

    The total is known only when the document is finished, so each page's drawing is held back until
    `save()` (reportlab's documented two-pass recipe). Pass it as `doc.build(..., canvasmaker=...)`.
    """
    from reportlab.pdfgen.canvas import Canvas

    class FooterCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("initialFontName", font)  # else reportlab adds an unembedded Helvetica
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                self._draw_footer(total)
                Canvas.showPage(self)
            Canvas.save(self)

        def _draw_footer(self, total: int) -> None:
            width = self._pagesize[0]
            margin = 10 * 2.8346
            self.saveState()
            self.setFont(font, size)
            y = 5 * 2.8346 + (len(lines) - 1) * (size + 2)
            for line in lines:
                self.drawString(margin, y, line)
                y -= size + 2
            self.setFont(font, size + 1)
            self.drawRightString(
                width - margin, 5 * 2.8346, W.PAGE_OF.fill(page=self._pageNumber, total=total)
            )
            self.restoreState()

    return FooterCanvas


def qr_flowable(text: str, size_mm: float) -> Any:
    """A QR code of `text` as filled squares (no font, nothing rasterised), `size_mm` wide with its
    quiet zone. The module grid comes from zxing-cpp's writer, as on the labels."""
    from reportlab.platypus import Flowable

    from kiosk.labels.pdf import symbol_matrix

    grid = symbol_matrix(text, "qr")
    quiet = 4
    side = size_mm * 2.8346
    module = side / (len(grid) + 2 * quiet)

    class Qr(Flowable):  # type: ignore[misc]
        def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
            return side, side

        def draw(self) -> None:
            canvas = self.canv
            canvas.saveState()
            canvas.setFillColorRGB(0, 0, 0)
            n = len(grid)
            for r, row in enumerate(grid):
                for c, dark in enumerate(row):
                    if dark:
                        x = (quiet + c) * module
                        y = (quiet + n - 1 - r) * module
                        canvas.rect(x, y, module, module, stroke=0, fill=1)
            canvas.restoreState()

    return Qr()
