"""The record every input device produces, and when two of them are one read (`Deduplicator`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime


class Symbology(enum.StrEnum):
    """What kind of symbol (or input path) a code came from."""

    CODE128 = "code128"
    QR = "qr"
    DATAMATRIX = "datamatrix"
    EAN13 = "ean13"
    EAN8 = "ean8"
    CODE39 = "code39"
    ITF = "itf"
    PDF417 = "pdf417"
    RFID_UID = "rfid_uid"  # an HF tag UID typed by a pad
    RFID_EPC = "rfid_epc"  # a UHF tag EPC from an inventory round
    KEYBOARD = "keyboard"  # typed or wedge input without a symbology identifier
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Scan:
    """One code read by one device at one moment.

    `code` is the decoded text after framing, NFKC normalisation and the My Number guard; `raw` is the
    bytes as the device sent them (kept for diagnosing a scanner's set-up, never for 12-digit values,
    which the drivers refuse before a Scan exists). `at` is timezone-aware UTC.
    """

    code: str
    symbology: Symbology
    source: str
    at: datetime
    raw: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("Scan.at must be timezone-aware (UTC)")


def utc_now() -> datetime:
    """The current UTC time; drivers take time as an argument where they can, this is for the edges."""
    return datetime.now(UTC)


DEFAULT_DEDUP_WINDOW = 1.5  # seconds: a repeat of one code from one device this soon is a double read


class Deduplicator:
    """Double-read suppression, sans-IO: the same code from the same device within a window counts once.

    Scanners in presentation mode re-read a label that stays under the window; a clerk who scans twice
    in a hurry means it once. The window slides: every repeat restarts it, so a label held under the
    scanner is reported once however long it stays, and a deliberate rescan after a pause of `window`
    seconds counts again.

    `accept(scan, now)` is True for a scan to report, False for a double read. `now` is seconds on any
    monotonic clock, passed in (never read here). `window=0` disables it.
    """

    def __init__(self, window: float = DEFAULT_DEDUP_WINDOW) -> None:
        if window < 0:
            raise ValueError("window must be >= 0")
        self.window = window
        self._last_seen: dict[tuple[str, str], float] = {}

    def accept(self, scan: Scan, now: float) -> bool:
        """Record `scan` at `now`; True when it is not a repeat within the window."""
        if self.window == 0:
            return True
        self._expire(now)
        key = (scan.source, scan.code)
        previous = self._last_seen.get(key)
        self._last_seen[key] = now
        return previous is None or now - previous > self.window

    def forget(self) -> None:
        """Forget every recent code (e.g. when a stocktake round starts)."""
        self._last_seen.clear()

    def _expire(self, now: float) -> None:
        if len(self._last_seen) > 64:
            self._last_seen = {k: t for k, t in self._last_seen.items() if now - t <= self.window}
