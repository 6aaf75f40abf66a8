"""Label sheet geometry (A4 sheets of 12, 24 and 44 labels, or a custom one) and runs of IDs to print.

All lengths are millimetres measured from the sheet's top-left corner, as label makers publish them.
The calibration offset moves everything, for printers that feed a little off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from drivers.damm import with_check_digit
from kiosk.domain.management_id import ManagementId

A4_MM = (210.0, 297.0)


@dataclass(frozen=True, slots=True)
class SheetLayout:
    """Where each label of a sheet is (mm, from the top-left corner of the page)."""

    name: str
    columns: int
    rows: int
    left_mm: float
    top_mm: float
    width_mm: float
    height_mm: float
    pitch_x_mm: float
    pitch_y_mm: float
    offset_x_mm: float = 0.0
    offset_y_mm: float = 0.0
    page_mm: tuple[float, float] = A4_MM

    def __post_init__(self) -> None:
        if self.pitch_x_mm < self.width_mm or self.pitch_y_mm < self.height_mm:
            raise ValueError(f"sheet {self.name}: the pitch is smaller than the label")
        right = self.left_mm + (self.columns - 1) * self.pitch_x_mm + self.width_mm
        bottom = self.top_mm + (self.rows - 1) * self.pitch_y_mm + self.height_mm
        if right > self.page_mm[0] + 0.01 or bottom > self.page_mm[1] + 0.01:
            raise ValueError(f"sheet {self.name}: the labels do not fit on the page")

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    def box(self, position: int) -> tuple[float, float, float, float]:
        """(left, top, width, height) in mm of the label at `position` (0-based, row by row)."""
        if not 0 <= position < self.per_sheet:
            raise IndexError(f"position {position} is not on a sheet of {self.per_sheet}")
        row, col = divmod(position, self.columns)
        left = self.left_mm + col * self.pitch_x_mm + self.offset_x_mm
        top = self.top_mm + row * self.pitch_y_mm + self.offset_y_mm
        return left, top, self.width_mm, self.height_mm

    def with_offset(self, x_mm: float, y_mm: float) -> SheetLayout:
        return replace(self, offset_x_mm=x_mm, offset_y_mm=y_mm)


# Common A4 sheets (e.g. A-One / Elecom equivalents); measure yours and use "custom" if it differs.
PRESETS = {
    "a4-12": SheetLayout("a4-12", 2, 6, 18.6, 21.6, 86.4, 42.3, 86.4, 42.3),
    "a4-24": SheetLayout("a4-24", 3, 8, 0.0, 12.9, 70.0, 33.9, 70.0, 33.9),
    "a4-44": SheetLayout("a4-44", 4, 11, 8.4, 8.8, 48.3, 25.4, 48.3, 25.4),
}


class LabelSection(Protocol):
    """What `layout_from_settings` reads (the [labels] settings section)."""

    @property
    def sheet(self) -> str: ...
    @property
    def offset_x_mm(self) -> float: ...
    @property
    def offset_y_mm(self) -> float: ...
    @property
    def columns(self) -> int: ...
    @property
    def rows(self) -> int: ...
    @property
    def left_mm(self) -> float: ...
    @property
    def top_mm(self) -> float: ...
    @property
    def width_mm(self) -> float: ...
    @property
    def height_mm(self) -> float: ...
    @property
    def pitch_x_mm(self) -> float: ...
    @property
    def pitch_y_mm(self) -> float: ...


def layout_from_settings(section: LabelSection, sheet: str | None = None) -> SheetLayout:
    """The configured sheet (or `sheet` by name), with the configured calibration offset."""
    name = sheet or section.sheet
    if name == "custom":
        base = SheetLayout(
            "custom",
            section.columns,
            section.rows,
            section.left_mm,
            section.top_mm,
            section.width_mm,
            section.height_mm,
            section.pitch_x_mm,
            section.pitch_y_mm,
        )
    elif name in PRESETS:
        base = PRESETS[name]
    else:
        raise ValueError(f"unknown label sheet {name!r}; allowed: {', '.join([*PRESETS, 'custom'])}")
    return base.with_offset(section.offset_x_mm, section.offset_y_mm)


def id_run(first: ManagementId, count: int) -> list[str]:
    """`count` consecutive management IDs from `first` (the body counts up; each gets its check digit)."""
    if count < 1:
        raise ValueError("count is at least 1")
    body = int(first.value[:9])
    if body + count - 1 > 999_999_999:
        raise ValueError("the run goes past the last 10-digit management ID")
    return [with_check_digit(f"{n:09d}") for n in range(body, body + count)]
