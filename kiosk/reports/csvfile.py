"""Every CSV the kiosk writes goes through here: UTF-8 with BOM (Japanese Excel opens it as intended)
and no cell that a spreadsheet would run as a formula.

A cell beginning with = + - @ TAB or CR is a formula (or becomes one) in Excel and LibreOffice; a name,
note or location typed at the kiosk could carry one to the office PC ("CSV injection"). Such a cell is
written with a leading single quote, which spreadsheets show as text and people read past.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """The cell as written: text that a spreadsheet would evaluate gets a leading single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """A `csv.writer` whose every text cell passes `neutralise`."""

    def __init__(self, fh: IO[str]) -> None:
        self._writer = csv.writer(fh)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


@contextmanager
def csv_writer(path: Path, *, bom: bool = True) -> Iterator[SafeWriter]:
    """Open `path` for a CSV the kiosk writes (UTF-8 with BOM, CRLF line ends as Excel expects)."""
    # newline="" lets the csv module write the CRLF that Excel expects.
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        yield SafeWriter(fh)
