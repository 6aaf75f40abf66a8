"""RFID reads the kiosk works with, independent of the reader: HF UIDs typed by a pad, UHF inventory.

- `normalise_uid(text, fmt)`: an HF pad types a tag's UID through the keyboard wedge in whatever format
  it is set to (hex, byte-reversed hex, decimal of either); configuration names the format and this
  turns it into one canonical form (upper-case hex, most significant byte first).
- `TagRead`: one tag in one inventory round, how often it answered and, where the reader reports it,
  its RSSI.
- `RfidStocktake`: a pure accumulator over inventory rounds that says when the cabinet has been read
  completely enough (K consecutive rounds add no new tag) and how often each tag was seen.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from drivers.errors import FrameError
from drivers.scan import Scan, Symbology
from drivers.text import (
    REASON_EMPTY,
    REASON_MYNUMBER,
    REASON_NON_ASCII,
    is_twelve_decimal_digits,
    normalise,
)

# ISO 14443 UIDs are 4, 7 or 10 bytes; ISO 15693 UIDs 8 bytes.
UID_LENGTHS = (4, 7, 8, 10)
_SEPARATORS = re.compile(r"[\s:\-]")
_HEX = re.compile(r"[0-9A-F]+")


class UidFormat(enum.StrEnum):
    """How an HF pad types a UID (a setting of the pad, so a setting of the kiosk)."""

    HEX = "hex"  # most significant byte first: 04A1B2C3
    HEX_REVERSED = "hex-reversed"  # least significant byte first, as many pads send it: C3B2A104
    DECIMAL = "decimal"  # the UID as one unsigned number (MSB first), e.g. 10 digits for 4 bytes
    DECIMAL_REVERSED = "decimal-reversed"  # the byte-reversed UID as a number (common "10-digit" pads)


def normalise_uid(text: str, fmt: UidFormat | str = UidFormat.HEX) -> str:
    """The canonical UID (upper-case hex, MSB first) of what a pad typed in format `fmt`.

    Raises `FrameError` with reason `mynumber_refused` for a 12-digit entry (never kept),
    `bad_uid` for anything that is not a UID in that format.
    """
    # A UID is an identifier with a format, checked as such (a 7-byte UID may hold 12 decimal digits in
    # a row); only an entry of exactly 12 decimal digits is refused as the shape of an individual number.
    if is_twelve_decimal_digits(text):
        raise FrameError(REASON_MYNUMBER, "rfid")
    clean = normalise(text)
    if not clean:
        raise FrameError(REASON_EMPTY, "rfid")
    if not clean.isascii():
        raise FrameError(REASON_NON_ASCII, "rfid")
    value = _SEPARATORS.sub("", clean).upper()
    fmt = UidFormat(fmt)
    if fmt in (UidFormat.HEX, UidFormat.HEX_REVERSED):
        if not _HEX.fullmatch(value) or len(value) % 2:
            raise FrameError("bad_uid", "rfid", "not an even number of hex digits")
        data = bytes.fromhex(value)
    else:
        if not value.isdigit():
            raise FrameError("bad_uid", "rfid", "not a decimal number")
        number = int(value)
        size = next((n for n in UID_LENGTHS if number < 1 << (8 * n)), 0)
        if size == 0:
            raise FrameError("bad_uid", "rfid", "number too large for a UID")
        data = number.to_bytes(size, "big")
    if len(data) not in UID_LENGTHS:
        raise FrameError("bad_uid", "rfid", f"{len(data)} bytes; UIDs have {UID_LENGTHS}")
    if fmt in (UidFormat.HEX_REVERSED, UidFormat.DECIMAL_REVERSED):
        data = data[::-1]
    return data.hex().upper()


def uid_scan(scan: Scan, fmt: UidFormat | str) -> Scan:
    """A wedge `Scan` typed by an HF pad, as an `RFID_UID` scan with the canonical UID."""
    uid = normalise_uid(scan.code, fmt)
    return Scan(uid, Symbology.RFID_UID, scan.source, scan.at, raw=scan.raw)


@dataclass(frozen=True, slots=True)
class TagRead:
    """One tag in one inventory round: EPC (upper-case hex), answers in the round, best RSSI or None."""

    epc: str
    count: int = 1
    rssi: int | None = None


def merge_reads(reads: Iterable[TagRead]) -> list[TagRead]:
    """Combine repeated answers of a tag within a round: counts add up, the strongest RSSI stays."""
    merged: dict[str, TagRead] = {}
    for r in reads:
        old = merged.get(r.epc)
        if old is None:
            merged[r.epc] = r
            continue
        rssi = old.rssi if r.rssi is None else r.rssi if old.rssi is None else max(old.rssi, r.rssi)
        merged[r.epc] = TagRead(r.epc, old.count + r.count, rssi)
    return list(merged.values())


@dataclass
class TagTally:
    """What a stocktake knows about one tag: rounds it answered in, answers in all, best RSSI."""

    rounds: int = 0
    reads: int = 0
    best_rssi: int | None = None
    first_round: int = 0


@dataclass
class RfidStocktake:
    """Inventory rounds until `quiet_rounds` consecutive rounds add no new tag (or `max_rounds`).

    Pure: feed it each round's reads with `add_round(reads)`; `done` says when to stop. `missing(expected)`
    and `unexpected(expected)` compare with the EPCs the ledger expects (binding EPCs to cards is the
    kiosk's business).
    """

    quiet_rounds: int = 3
    max_rounds: int = 200
    tags: dict[str, TagTally] = field(default_factory=dict)
    rounds: int = 0
    quiet: int = 0  # consecutive rounds without a new tag so far
    failed_rounds: int = 0

    def __post_init__(self) -> None:
        if self.quiet_rounds < 1:
            raise ValueError("quiet_rounds must be >= 1")

    def add_round(self, reads: Iterable[TagRead]) -> int:
        """Record one round's reads; return how many tags were new."""
        self.rounds += 1
        new = 0
        for r in merge_reads(reads):
            tally = self.tags.get(r.epc)
            if tally is None:
                tally = self.tags[r.epc] = TagTally(first_round=self.rounds)
                new += 1
            tally.rounds += 1
            tally.reads += r.count
            if r.rssi is not None and (tally.best_rssi is None or r.rssi > tally.best_rssi):
                tally.best_rssi = r.rssi
        self.quiet = 0 if new else self.quiet + 1
        return new

    def add_failed_round(self) -> None:
        """A round lost to a CRC error or timeout: it counts towards `max_rounds`, not towards quiet."""
        self.rounds += 1
        self.failed_rounds += 1

    @property
    def done(self) -> bool:
        return self.quiet >= self.quiet_rounds or self.rounds >= self.max_rounds

    def seen(self) -> set[str]:
        """Every EPC seen at least once."""
        return set(self.tags)

    def missing(self, expected: Iterable[str]) -> set[str]:
        """Expected EPCs never seen."""
        return set(expected) - set(self.tags)

    def unexpected(self, expected: Iterable[str]) -> set[str]:
        """EPCs seen that were not expected (another cabinet's card, a stray tag)."""
        return set(self.tags) - set(expected)
