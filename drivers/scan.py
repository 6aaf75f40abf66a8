"""The record every input device produces."""

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
