"""Vendor symbology prefixes ("Code ID"), the proprietary cousins of the AIM identifier.

Many scanners can put one (or, for Zebra's 2-D symbols, three) characters naming the symbology before
each code instead of an AIM identifier: a Honeywell sends `w` before a Data Matrix, a Zebra/Symbol `D`
before Code 128, a Denso `K`. A scanner with this switched on, on a kiosk that does not expect it, would
have its prefix read as part of the code; with `code_id = "honeywell"` (or "zebra", "denso") the kiosk
strips it and learns the symbology, as with AIM.

The tables list the symbologies a management-ID kiosk meets; other characters parse as UNKNOWN (which
a symbology allow-list then refuses). They follow the vendors' published Code ID tables (Honeywell
"Symbology Charts", Zebra "Symbol Code ID characters", Denso "code mark" tables); a model whose manual
differs can still be used with `aim` instead.

Zebra's 2-D Code IDs are three characters, `P00` (Data Matrix) and `P01` (QR): their digits run into
a 10-digit management ID and make 12 digits in a row, which the My Number guard refuses on the whole
frame before anything is stripped. A Zebra reading 2-D labels must send AIM identifiers instead.
"""

from __future__ import annotations

from drivers.scan import Symbology

VENDORS = ("honeywell", "zebra", "denso")
CODE_ID_CHOICES = ("off", *VENDORS)

_TABLES: dict[str, dict[str, Symbology]] = {
    "honeywell": {
        "j": Symbology.CODE128,
        "I": Symbology.CODE128,  # GS1-128
        "w": Symbology.DATAMATRIX,
        "s": Symbology.QR,
        "d": Symbology.EAN13,
        "D": Symbology.EAN8,
        "b": Symbology.CODE39,
        "e": Symbology.ITF,
        "r": Symbology.PDF417,
    },
    "zebra": {
        "D": Symbology.CODE128,
        "K": Symbology.CODE128,  # GS1-128
        "P00": Symbology.DATAMATRIX,
        "P01": Symbology.QR,
        "A": Symbology.EAN13,  # UPC/EAN
        "B": Symbology.CODE39,
        "F": Symbology.ITF,
        "X": Symbology.PDF417,
    },
    "denso": {
        "K": Symbology.CODE128,
        "Q": Symbology.QR,
        "A": Symbology.EAN13,
        "B": Symbology.EAN8,
        "M": Symbology.CODE39,
        "I": Symbology.ITF,
    },
}

# The symbologies a management-ID label carries: a single letter naming one of them, glued to an ID, is
# taken for a Code ID the configuration does not expect.
_LABEL_SYMBOLOGIES = frozenset({Symbology.CODE128, Symbology.DATAMATRIX, Symbology.QR})


def parse_code_id(text: str, vendor: str) -> tuple[Symbology | None, str]:
    """Split the vendor's Code ID off `text`: `(symbology, rest)`, or `(None, text)` when there is none."""
    table = _TABLES[vendor]
    for size in (3, 1):
        head = text[:size]
        if len(text) > size and head in table:
            return table[head], text[size:]
    return None, text


def who_uses(prefix: str) -> list[tuple[str, Symbology]]:
    """The vendors whose Code ID for a label symbology `prefix` is, e.g. `[("honeywell", DATAMATRIX)]`."""
    return [
        (vendor, table[prefix])
        for vendor, table in _TABLES.items()
        if prefix in table and table[prefix] in _LABEL_SYMBOLOGIES
    ]
