"""Shared PDF pieces: the table style and the page footer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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


def page_footer(font: str, label: str) -> Callable[[Any, Any], None]:
    """A footer with the report's name and the page number."""

    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        width = doc.pagesize[0]
        canvas.drawString(doc.leftMargin, 8 * 2.8346, label)
        canvas.drawRightString(width - doc.rightMargin, 8 * 2.8346, f"{doc.page} ページ")
        canvas.restoreState()

    return draw
