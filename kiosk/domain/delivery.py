"""Checking a J-LIS delivery file (配送) before anything is written: all lines good, or none are taken."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.status import CardKind

HEADER = ["management_id", "kind"]


@dataclass(frozen=True, slots=True)
class DeliveryLine:
    """One accepted line of a delivery file."""

    line: int
    management_id: ManagementId
    kind: CardKind


class DeliveryRejected(ValueError):
    """The delivery is refused as a whole; `problems` names every bad line (never a refused value)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was written")


def parse_delivery(text: str, *, expect: int | None = None) -> list[DeliveryLine]:
    """Parse CSV text with the header `management_id,kind`; `DeliveryRejected` lists every bad line."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise DeliveryRejected([f"line 1: not valid CSV ({exc})"]) from None
    if header is None or [h.strip() for h in header] != HEADER:
        raise DeliveryRejected(["line 1: the header must be 'management_id,kind'"])
    problems: list[str] = []
    lines: list[DeliveryLine] = []
    seen: dict[str, int] = {}
    count = 0
    lineno = 1
    try:
        for row in reader:
            lineno = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            count += 1
            if len(row) != len(HEADER):
                problems.append(f"line {lineno}: expected 2 columns, found {len(row)}")
                continue
            try:
                mid = ManagementId.parse(row[0])
            except Refusal as exc:
                problems.append(f"line {lineno}: {exc}")
                continue
            try:
                kind = CardKind(row[1].strip())
            except ValueError:
                problems.append(f"line {lineno}: kind must be mynumber_card or notification_card")
                continue
            if mid.value in seen:
                problems.append(f"line {lineno}: {mid} already appears on line {seen[mid.value]}")
                continue
            seen[mid.value] = lineno
            lines.append(DeliveryLine(lineno, mid, kind))
    except csv.Error as exc:
        problems.append(f"line {lineno + 1}: not valid CSV ({exc})")
    if expect is not None and count != expect:
        problems.insert(0, f"the file lists {count} cards but {expect} were expected")
    if problems:
        raise DeliveryRejected(problems)
    return lines
