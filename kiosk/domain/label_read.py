"""From decoded symbols to card scans: only management IDs become scans.

A camera frame or photo yields symbols (drivers.decode); a label carries two of the same ID, Code 128
bars and a 2-D symbol. A decoded value that is not a management ID (wrong length, not digits, a wrong
Damm check digit, a 12-digit value) is not a card scan: it is a refusal with its reason code. When a
label's bars fail that way but its 2-D symbol next to them reads a valid ID, the 2-D symbol is the
label's reading and the refusal says so (`read_instead`); the 8-digit "22956654" a python-barcode label
of 9922956654 carries is the case in point. Shelf labels (`L:…`) pass as locations.

Plain Python over a small protocol of what a decoded symbol offers, so the CLI, the TUI and tests share it
and drivers/ stays free of kiosk imports.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.stocktake import is_location_label

ONE_D = frozenset({"code128", "code39", "itf", "ean13", "ean8"})
# A 1-D and a 2-D symbol belong to one label when their centres are closer than this many times the
# larger symbol's size (a label puts the 2-D symbol right under or beside its bars).
SAME_LABEL = 1.5


class DecodedSymbol(Protocol):
    """What `drivers.decode.Decoded` offers (text after the driver's own guard, or its refusal)."""

    @property
    def code(self) -> str | None: ...
    @property
    def symbology(self) -> str: ...
    @property
    def rejected(self) -> str | None: ...
    @property
    def corners(self) -> tuple[tuple[float, float], ...]: ...


@dataclass(frozen=True, slots=True)
class LabelRead:
    """One reading: an accepted management ID or location label (`code`), or a refusal (`refused`)."""

    symbology: str
    code: str | None = None
    refused: str | None = None  # reason code; the value itself is never kept
    read_instead: str | None = None  # the ID the same label's 2-D symbol gave, for a refused 1-D symbol
    location: bool = False

    @property
    def ok(self) -> bool:
        return self.code is not None


def _centre_and_size(corners: Sequence[tuple[float, float]]) -> tuple[tuple[float, float], float] | None:
    if not corners:
        return None
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    size = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    return (sum(xs) / len(xs), sum(ys) / len(ys)), size


def _near(a: DecodedSymbol, b: DecodedSymbol) -> bool:
    pa, pb = _centre_and_size(a.corners), _centre_and_size(b.corners)
    if pa is None or pb is None:
        return False
    (ax, ay), sa = pa
    (bx, by), sb = pb
    return math.hypot(ax - bx, ay - by) < SAME_LABEL * max(sa, sb)


def _judge(symbol: DecodedSymbol) -> LabelRead:
    kind = str(symbol.symbology)
    if symbol.code is None:
        return LabelRead(kind, refused=symbol.rejected or "refused")
    if is_location_label(symbol.code):
        return LabelRead(kind, code=symbol.code, location=True)
    try:
        return LabelRead(kind, code=ManagementId.parse(symbol.code).value)
    except Refusal as exc:
        return LabelRead(kind, refused=exc.reason)


def read_labels(decoded: Sequence[DecodedSymbol]) -> list[LabelRead]:
    """The readings of one image: each accepted code once (whichever symbol gave it), then each refusal.

    A refused 1-D symbol whose label's 2-D symbol read a valid ID carries that ID in `read_instead`.
    """
    judged = [_judge(d) for d in decoded]
    accepted: list[LabelRead] = []
    seen: set[str] = set()
    for read in judged:
        if read.code is not None and read.code not in seen:
            seen.add(read.code)
            accepted.append(read)
    refused: list[LabelRead] = []
    for symbol, read in zip(decoded, judged, strict=True):
        if read.ok:
            continue
        instead = None
        if read.symbology in ONE_D:
            instead = next(
                (
                    other.code
                    for other, verdict in zip(decoded, judged, strict=True)
                    if verdict.ok and not verdict.location and verdict.symbology not in ONE_D
                    and _near(symbol, other)
                ),
                None,
            )  # fmt: skip
        refused.append(LabelRead(read.symbology, refused=read.refused, read_instead=instead))
    return accepted + refused
