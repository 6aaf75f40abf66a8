"""Japanese fiscal years (年度) and the yearly serial numbers of certificates (`令和8年度 第12号`).

A municipality's fiscal year starts on 1 April (地方自治法 Art. 208): 2027-03-31 is still 令和8年度,
2027-04-01 is 令和9年度. Days are office days (the caller converts a time to the office's date).
A certificate's serial is its place among the certificates of the same fiscal year, in the order they
were issued: derived from the ledger's order, so it is stable and never given twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

FISCAL_YEAR_STARTS = 4  # April
# (first fiscal year of the era, its Japanese name, its one-letter abbreviation for file names)
_ERAS = ((2019, "令和", "R"), (1989, "平成", "H"))


def fiscal_year(day: date) -> int:
    """The fiscal year (by its starting calendar year) that `day` falls in."""
    return day.year if day.month >= FISCAL_YEAR_STARTS else day.year - 1


def _era(year: int) -> tuple[str, str, int]:
    for first, name, letter in _ERAS:
        if year >= first:
            return name, letter, year - first + 1
    raise ValueError(f"no Japanese era is known for fiscal year {year}")


def fiscal_year_ja(year: int) -> str:
    """`令和8年度` for 2026 (the first year of an era is 元年度)."""
    name, _, n = _era(year)
    return f"{name}{'元' if n == 1 else n}年度"


@dataclass(frozen=True, slots=True, order=True)
class CertificateNo:
    """A certificate's number: its fiscal year and its serial within that year (1, 2, …)."""

    year: int
    serial: int

    @property
    def ja(self) -> str:
        """`令和8年度 第12号`."""
        return f"{fiscal_year_ja(self.year)} 第{self.serial}号"

    @property
    def slug(self) -> str:
        """For a file name: `R8-12`."""
        _, letter, n = _era(self.year)
        return f"{letter}{n}-{self.serial}"


def number_by_fiscal_year(issued: Iterable[tuple[int, date]]) -> dict[int, CertificateNo]:
    """Number each `(key, office day)` in the order given (issue order) from 1 within its fiscal year."""
    serials: dict[int, int] = {}
    numbers: dict[int, CertificateNo] = {}
    for key, day in issued:
        year = fiscal_year(day)
        serials[year] = serials.get(year, 0) + 1
        numbers[key] = CertificateNo(year, serials[year])
    return numbers
