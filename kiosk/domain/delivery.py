"""Checking a J-LIS delivery file (配送) before anything is written: all lines good, or none are taken.

Offices have these files as their tools save them: a header in Japanese (管理ID, 種別, …) or in English
(management_id, kind), UTF-8 with or without a BOM, or CP932 (Shift_JIS) from Japanese Excel. Other
columns (備考, 納品番号, …) may be present; they are not stored, but the My Number guard still holds on
every cell of every column, the header included. Every problem names its line and column and never
repeats a refused value.
"""

from __future__ import annotations

import csv
import enum
import io
import re
import unicodedata
from dataclasses import dataclass

from drivers.text import looks_like_individual_number
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.status import CardKind

HEADER = ["management_id", "kind"]
# Header cells (after NFKC, case and surrounding space ignored) naming each column we read.
COLUMN_NAMES = {
    "management_id": ("management_id", "管理id", "管理番号", "カード管理id", "カード管理番号"),
    "kind": ("kind", "種別", "カード種別", "種類"),
}
# A card kind as offices write it.
KIND_NAMES = {
    "mynumber_card": CardKind.MYNUMBER_CARD,
    "個人番号カード": CardKind.MYNUMBER_CARD,
    "マイナンバーカード": CardKind.MYNUMBER_CARD,
    "notification_card": CardKind.NOTIFICATION_CARD,
    "通知カード": CardKind.NOTIFICATION_CARD,
}
# Separators people put between digits; a run of 12 or more digits across them is refused in any cell.
_SEPARATORS = re.compile(r"(?<=\d)[\s\-‐ー－.,/_\u200b\u200c\u200d\u2060\ufeff]+(?=\d)")
_LONG_DIGIT_RUN = re.compile(r"\d{12,}")


@dataclass(frozen=True, slots=True)
class DeliveryLine:
    """One accepted line of a delivery file."""

    line: int
    management_id: ManagementId
    kind: CardKind


class Problem(str):
    """One problem with a delivery file: its English text (what the CLI prints), a stable `code`, the
    `line` (1 is the header) and a `detail` code (a refused ID's reason), for a screen to say in its
    own language. Never holds a refused value."""

    code: str
    line: int | None
    detail: str

    def __new__(cls, text: str, code: str, line: int | None = None, detail: str = "") -> Problem:
        problem = super().__new__(cls, text)
        problem.code = code
        problem.line = line
        problem.detail = detail
        return problem


class DeliveryRejected(ValueError):
    """The delivery is refused as a whole; `problems` names every bad line (never a refused value)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was written")


def decode_delivery(data: bytes) -> str:
    """The text of a delivery file: UTF-8 (with or without BOM) or CP932, as Japanese Excel saves it."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DeliveryRejected(
                [Problem("the file starts with a UTF-8 mark but is not UTF-8 text", "not_text")]
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError:
        raise DeliveryRejected(
            [Problem("the file is neither UTF-8 nor CP932 (Shift_JIS) text", "not_text")]
        ) from None


def holds_individual_number(cell: str) -> bool:
    """True when a cell is, or contains, a run of 12+ digits (after NFKC, separators between digits out)."""
    if looks_like_individual_number(cell):
        return True
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", cell))
    return _LONG_DIGIT_RUN.search(compact) is not None


def _header_key(cell: str) -> str:
    return unicodedata.normalize("NFKC", cell).strip().lower()


def _columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """{our column: its index} from the header row, and the problems with the header."""
    problems: list[str] = []
    found: dict[str, int] = {}
    for n, cell in enumerate(header, start=1):
        if holds_individual_number(cell):
            text = f"line 1, column {n}: mynumber_refused (a 12-digit value in the header)"
            problems.append(Problem(text, "mynumber", 1))
            continue
        key = _header_key(cell)
        for ours, names in COLUMN_NAMES.items():
            if key in names:
                if ours in found:
                    problems.append(Problem(f"line 1, column {n}: a second {ours} column", "header_twice", 1))
                found[ours] = n - 1
    missing = [ours for ours in COLUMN_NAMES if ours not in found]
    if missing and not problems:
        problems.append(
            Problem(
                "line 1: the header needs a management-ID column (management_id or 管理ID) and a kind column"
                " (kind or 種別)",
                "header_missing",
                1,
            )
        )
    return found, problems


def parse_kind(text: str) -> CardKind | None:
    """A card kind as written in a delivery file, or None."""
    return KIND_NAMES.get(unicodedata.normalize("NFKC", text).strip().lower())


def parse_delivery(text: str, *, expect: int | None = None) -> list[DeliveryLine]:
    """Parse delivery CSV text (header `management_id,kind` or `管理ID,種別`, other columns allowed);
    `DeliveryRejected` lists every bad line and column."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise DeliveryRejected([Problem(f"line 1: not valid CSV ({exc})", "not_csv", 1)]) from None
    if header is None:
        text = "line 1: the file is empty; the header must be 'management_id,kind'"
        raise DeliveryRejected([Problem(text, "empty", 1)])
    columns, problems = _columns(header)
    if problems:
        raise DeliveryRejected(problems)
    id_col, kind_col = columns["management_id"], columns["kind"]
    names = {n: cell.strip() for n, cell in enumerate(header)}
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
            guarded = [n for n, cell in enumerate(row, start=1) if holds_individual_number(cell)]
            if guarded:
                where = ", ".join(
                    f"column {n}" + (f" ({names[n - 1]})" if n - 1 in names else "") for n in guarded
                )
                text = f"line {lineno}, {where}: mynumber_refused (a 12-digit value was discarded)"
                problems.append(Problem(text, "mynumber", lineno))
                continue
            if len(row) != len(header):
                text = f"line {lineno}: expected {len(header)} columns, found {len(row)}"
                problems.append(Problem(text, "columns", lineno))
                continue
            try:
                mid = ManagementId.parse(row[id_col])
            except Refusal as exc:
                text = f"line {lineno}, column {id_col + 1} ({names[id_col]}): {exc}"
                problems.append(Problem(text, "bad_id", lineno, exc.reason))
                continue
            kind = parse_kind(row[kind_col])
            if kind is None:
                problems.append(
                    Problem(
                        f"line {lineno}, column {kind_col + 1} ({names[kind_col]}): the kind must be"
                        " 個人番号カード (mynumber_card) or 通知カード (notification_card)",
                        "bad_kind",
                        lineno,
                    )
                )
                continue
            if mid.value in seen:
                text = f"line {lineno}: {mid} already appears on line {seen[mid.value]}"
                problems.append(Problem(text, "repeated", lineno))
                continue
            seen[mid.value] = lineno
            lines.append(DeliveryLine(lineno, mid, kind))
    except csv.Error as exc:
        problems.append(Problem(f"line {lineno + 1}: not valid CSV ({exc})", "not_csv", lineno + 1))
    if expect is not None and count != expect:
        problems.insert(0, Problem(f"the file lists {count} cards but {expect} were expected", "count"))
    if problems:
        raise DeliveryRejected(problems)
    return lines


# -- counting a delivery in (受領の照合) ------------------------------------------------------------------


class ScanOutcome(enum.StrEnum):
    """What one scan of a card going into the safe means against the delivery list."""

    LISTED = "listed"  # on the list, first time
    EXTRA = "extra"  # not on the list (first time)
    AGAIN = "again"  # scanned before: counted once


@dataclass(frozen=True, slots=True)
class DeliveryCount:
    """A delivery counted in: the slip's count, the list, what was scanned and every difference.

    `missing`: listed, never scanned; `extra`: scanned, not listed; `duplicates`: scanned more than once
    (counted once). `slip` is the count typed from the delivery slip (納品書).
    """

    slip: int
    listed: tuple[str, ...]
    scanned: tuple[str, ...]  # each ID once, in the order first scanned
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    duplicates: tuple[str, ...]

    @property
    def present(self) -> tuple[str, ...]:
        """Listed and scanned: the cards that are received."""
        listed = set(self.listed)
        return tuple(m for m in self.scanned if m in listed)

    @property
    def matches(self) -> bool:
        """True when the slip, the list and the scans agree and nothing was scanned twice."""
        return self.slip == len(self.listed) and not self.missing and not self.extra and not self.duplicates


class DeliveryCheck:
    """The running count of a delivery at the safe: one scan at a time, each with its `ScanOutcome`."""

    def __init__(self, lines: list[DeliveryLine] | tuple[DeliveryLine, ...], slip: int) -> None:
        self.lines = tuple(lines)
        self.slip = slip
        self._listed = {line.management_id.value for line in self.lines}
        self._seen: dict[str, int] = {}

    def scan(self, management_id: str) -> ScanOutcome:
        n = self._seen.get(management_id, 0)
        self._seen[management_id] = n + 1
        if n:
            return ScanOutcome.AGAIN
        return ScanOutcome.LISTED if management_id in self._listed else ScanOutcome.EXTRA

    @property
    def scans(self) -> list[str]:
        """Every scan as counted (a card scanned twice appears twice), for the core to count again."""
        return [mid for mid, n in self._seen.items() for _ in range(n)]

    def count(self) -> DeliveryCount:
        return count_delivery(self.lines, self.scans, self.slip)


def count_delivery(
    lines: tuple[DeliveryLine, ...] | list[DeliveryLine], scans: list[str], slip: int
) -> DeliveryCount:
    """Count `scans` (IDs in scan order, repeats included) against the list and the slip."""
    listed = tuple(line.management_id.value for line in lines)
    times: dict[str, int] = {}
    for mid in scans:
        times[mid] = times.get(mid, 0) + 1
    scanned = tuple(times)
    listed_set = set(listed)
    return DeliveryCount(
        slip=slip,
        listed=listed,
        scanned=scanned,
        missing=tuple(m for m in listed if m not in times),
        extra=tuple(m for m in scanned if m not in listed_set),
        duplicates=tuple(m for m, n in times.items() if n > 1),
    )
