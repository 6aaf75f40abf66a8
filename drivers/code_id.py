"""Vendor symbology prefixes ("Code ID", "Label ID", "code mark"), the proprietary cousins of the AIM
identifier.

Many scanners can put one to three characters naming the symbology before each code instead of an AIM
identifier: a Honeywell sends `w` before a Data Matrix, a Zebra/Symbol `D` before Code 128 and `P01`
before a QR Code, a Datalogic `#` before Code 128, a Denso `K`. With `code_id = "zebra"` (or
"honeywell", "datalogic", "datalogic-eu", "denso") the kiosk strips it and learns the symbology, as
with AIM. The Code ID is stripped before the My Number guard looks at the value: Zebra's 2-D Code IDs
end in digits (`P00`, `P01`), which would otherwise run into a 10-digit management ID and make 12.

Each table below is the vendor's published one, 1-D and 2-D, cited above it. Symbologies the kiosk
has no name for (Codabar, Aztec, postal codes ...) map to `Symbology.UNKNOWN` with their own name
kept in `CodeId.name`, so an allow-list refuses them and a diagnosis can say what they are. A prefix
that is in no table is an unknown Code ID, named as such (never taken for part of the code).

AIM identifiers (ISO/IEC 15424, `drivers.aim`) are the same on every scanner and need no table:
`aim_advice()` is the sentence doctor and listen add whenever they see a vendor Code ID.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.scan import Symbology

_C128, _DM, _QR = Symbology.CODE128, Symbology.DATAMATRIX, Symbology.QR
_E13, _E8, _C39, _ITF, _PDF = (
    Symbology.EAN13,
    Symbology.EAN8,
    Symbology.CODE39,
    Symbology.ITF,
    Symbology.PDF417,
)
_X = Symbology.UNKNOWN


@dataclass(frozen=True, slots=True)
class CodeId:
    """One vendor Code ID: the characters, the symbology the kiosk knows it as, and the vendor's name."""

    text: str
    symbology: Symbology
    name: str


def _table(*rows: tuple[str, Symbology, str]) -> dict[str, CodeId]:
    return {text: CodeId(text, sym, name) for text, sym, name in rows}


# Zebra (Symbol): "Symbol Code Identifiers" table of the Product Reference Guides (e.g. DS2208, DS4608,
# SP72: docs.zebra.com/us/en/scanners/general/sp72-prg/c-param-desc-programming-reference/
# r-param-desc-symbol-code-identifiers.html). One letter for 1-D symbols; `P0x` for 2-D and postal.
ZEBRA = _table(
    ("A", _E13, "UPC/EAN"),
    ("B", _C39, "Code 39 / Code 32"),
    ("C", _X, "Codabar"),
    ("D", _C128, "Code 128"),
    ("E", _X, "Code 93"),
    ("F", _ITF, "Interleaved 2 of 5"),
    ("G", _X, "Discrete 2 of 5"),
    ("H", _X, "Code 11"),
    ("J", _X, "MSI"),
    ("K", _C128, "GS1-128"),
    ("L", _E13, "Bookland EAN"),
    ("M", _X, "Trioptic Code 39"),
    ("N", _X, "Coupon Code"),
    ("R", _X, "GS1 DataBar"),
    ("S", _X, "Matrix 2 of 5"),
    ("T", _X, "UCC Composite / TLC 39"),
    ("U", _X, "Chinese 2 of 5"),
    ("V", _X, "Korean 3 of 5"),
    ("X", _PDF, "PDF417 / ISSN EAN"),
    ("z", _X, "Aztec"),
    ("P00", _DM, "Data Matrix"),
    ("P01", _QR, "QR Code"),
    ("P02", _X, "MaxiCode"),
    ("P03", _X, "US Postnet"),
    ("P04", _X, "US Planet"),
    ("P05", _X, "Japan Postal"),
    ("P06", _X, "UK Postal"),
    ("P08", _X, "Netherlands KIX"),
    ("P09", _X, "Australia Post"),
    ("P0A", _X, "USPS Intelligent Mail"),
    ("P0B", _X, "UPU FICS Postal"),
    ("P0C", _X, "Mailmark"),
    ("P0D", _X, "Grid Matrix"),
    ("P0G", _DM, "GS1 Data Matrix"),
    ("P0H", _X, "Han Xin"),
    ("P0Q", _QR, "GS1 QR"),
    ("P0X", _X, "Signature Capture"),
)

# Honeywell: "Symbology Charts" appendix of the Xenon 1900/1902 and Voyager 1450g/1452g User's Guides
# (Code ID column; the same letters since the Hand Held Products 3800/4600 series).
HONEYWELL = _table(
    ("a", _X, "Codabar"),
    ("b", _C39, "Code 39"),
    ("c", _E13, "UPC-A"),
    ("d", _E13, "EAN-13"),
    ("D", _E8, "EAN-8"),
    ("E", _X, "UPC-E"),
    ("e", _ITF, "Interleaved 2 of 5"),
    ("f", _X, "Straight 2 of 5"),
    ("g", _X, "MSI"),
    ("h", _X, "Code 11"),
    ("H", _X, "Han Xin"),
    ("i", _X, "Code 93"),
    ("I", _C128, "GS1-128"),
    ("j", _C128, "Code 128"),
    ("m", _X, "Matrix 2 of 5"),
    ("r", _PDF, "PDF417"),
    ("R", _X, "MicroPDF417"),
    ("s", _QR, "QR Code"),
    ("w", _DM, "Data Matrix"),
    ("x", _X, "MaxiCode"),
    ("y", _X, "GS1 DataBar / Composite"),
    ("z", _X, "Aztec"),
    ("<", _X, "Code 32"),
)

# Datalogic: "Label ID: Pre-loaded Sets" table of the Gryphon I GD4400 (Table 35), QuickScan QD2400
# (Table 35) and PowerScan PD96 (Table 18) Product Reference Guides, the USA set (the factory default)
# and the EU set; both sets of 1-D rows below were checked against those tables. Interleaved 2 of 5 is
# `i` in the USA set and `N` in the EU set; GS1-128 has no Label ID in the USA set (its labels then
# arrive bare, or with the AIM identifier). The 2-D rows (QR `QR`, Aztec `Az`, MaxiCode `MC`,
# MicroPDF417 `mP`, Micro QR `$Q`) are the Magellan 800i guide's defaults; `Dm` for Data Matrix is not
# in the pages of those tables we could check: a Data Matrix reader should send AIM (`]d`) instead.
_DATALOGIC_2D = (
    ("Dm", _DM, "Data Matrix"),
    ("QR", _QR, "QR Code"),
    ("$Q", _X, "Micro QR"),
    ("MC", _X, "MaxiCode"),
    ("mP", _X, "MicroPDF417"),
    ("$S", _X, "Han Xin"),
)
DATALOGIC = _table(
    *_DATALOGIC_2D,
    ("Az", _X, "Aztec"),
    ("#", _C128, "Code 128 / GS1-128"),
    ("*", _C39, "Code 39"),
    ("A", _C39, "Code 32"),
    ("%", _X, "Codabar"),
    ("&", _X, "Code 93"),
    ("CE", _X, "Code 11"),
    ("F", _E13, "EAN-13"),
    ("FF", _E8, "EAN-8"),
    ("i", _ITF, "Interleaved 2 of 5"),
    ("R4", _X, "GS1 DataBar Omnidirectional"),
    ("RX", _X, "GS1 DataBar Expanded"),
    ("RL", _X, "GS1 DataBar Limited"),
    ("S", _X, "ABC Codabar"),
    ("Y", _X, "Code 39 CIP"),
)
DATALOGIC_EU = _table(
    *_DATALOGIC_2D,
    ("!", _X, "Aztec"),
    ("T", _C128, "Code 128"),
    ("k", _C128, "GS1-128"),
    ("V", _C39, "Code 39"),
    ("X", _C39, "Code 32"),
    ("R", _X, "Codabar"),
    ("U", _X, "Code 93"),
    ("b", _X, "Code 11"),
    ("B", _E13, "EAN-13"),
    ("A", _E8, "EAN-8"),
    ("N", _ITF, "Interleaved 2 of 5"),
    ("u", _X, "GS1 DataBar Omnidirectional"),
    ("t", _X, "GS1 DataBar Expanded"),
    ("v", _X, "GS1 DataBar Limited"),
    ("S", _X, "ABC Codabar"),
    ("Y", _X, "Code 39 CIP"),
)

# Denso Wave: "code mark" (Code ID mark) Type 1 table of the GT10Q-SB / GT20Q-SB / AT27Q-SB 2-D handy
# scanner manuals (QR `Q` and Data Matrix `Z` as in the QS20P-A manual). Type 4 is AIM.
DENSO = _table(
    ("A", _E13, "EAN-13 / UPC-A"),
    ("B", _E8, "EAN-8"),
    ("C", _X, "UPC-E"),
    ("I", _ITF, "Interleaved 2 of 5"),
    ("H", _X, "Standard 2 of 5"),
    ("M", _C39, "Code 39"),
    ("N", _X, "Codabar"),
    ("L", _X, "Code 93"),
    ("K", _C128, "Code 128"),
    ("W", _C128, "GS1-128"),
    ("R", _X, "GS1 DataBar"),
    ("Q", _QR, "QR Code"),
    ("Z", _DM, "Data Matrix"),
    ("U", _X, "MaxiCode"),
    ("P", _PDF, "PDF417"),
)

TABLES: dict[str, dict[str, CodeId]] = {
    "zebra": ZEBRA,
    "honeywell": HONEYWELL,
    "datalogic": DATALOGIC,
    "datalogic-eu": DATALOGIC_EU,
    "denso": DENSO,
}
VENDORS = tuple(TABLES)
CODE_ID_CHOICES = ("off", *VENDORS)
VENDOR_NAMES = {
    "zebra": "Zebra",
    "honeywell": "Honeywell",
    "datalogic": "Datalogic",
    "datalogic-eu": "Datalogic (EU set)",
    "denso": "Denso",
}

# The symbologies a management-ID label carries.
LABEL_SYMBOLOGIES = frozenset({Symbology.CODE128, Symbology.DATAMATRIX, Symbology.QR})


def _max_len(vendor: str) -> int:
    return max(len(k) for k in TABLES[vendor])


def parse_code_id(text: str, vendor: str) -> tuple[CodeId | None, str]:
    """Split the vendor's Code ID off `text`: `(CodeId, rest)`, or `(None, text)` when none matches.

    The longest match wins (Datalogic `FF` before `F`, Zebra `P01` before nothing).
    """
    table = TABLES[vendor]
    for size in range(_max_len(vendor), 0, -1):
        head = text[:size]
        if len(text) > size and head in table:
            return table[head], text[size:]
    return None, text


def unknown_code_id(text: str, vendor: str) -> str | None:
    """The head of `text` shaped like one of `vendor`'s Code IDs but in no table (None otherwise).

    Zebra: `P0` and any letter or digit (a 2-D or postal ID newer than the table); any vendor: a run of
    one to three non-digit characters before the digits. The head is never a digit run of the code.
    """
    if vendor == "zebra" and len(text) > 3 and text[:2] == "P0" and text[2].isascii() and text[2].isalnum():
        return text[:3]
    head = ""
    for ch in text[:3]:
        if ch.isdigit():
            break
        head += ch
    return head if head and len(text) > len(head) else None


def guard_view(text: str, vendor: str) -> str:
    """`text` with its leading Code ID (known or Zebra-shaped) replaced by one letter, for the guard:
    the ID's own digits (`P01`) are not part of the code."""
    code_id, rest = parse_code_id(text, vendor)
    if code_id is not None:
        return "A" + rest
    unknown = unknown_code_id(text, vendor)
    if unknown is not None and any(c.isdigit() for c in unknown):
        return "A" + text[len(unknown) :]
    return text


def who_uses(prefix: str) -> list[tuple[str, CodeId]]:
    """The vendors whose Code ID for a label symbology `prefix` is, e.g. `[("honeywell", <w>)]`."""
    return [
        (vendor, table[prefix])
        for vendor, table in TABLES.items()
        if prefix in table and table[prefix].symbology in LABEL_SYMBOLOGIES
    ]


def zebra_2d_head(text: str) -> str | None:
    """`P0x` when `text` starts with a Zebra 2-D Code ID (known or not), else None."""
    if len(text) > 3 and text[:2] == "P0" and text[2].isascii() and text[2].isalnum():
        return text[:3]
    return None


def aim_advice() -> str:
    """What doctor and listen say when they see a vendor Code ID."""
    return (
        "better: switch the scanner from its vendor Code ID to AIM symbology identifiers "
        "(ISO/IEC 15424, the same on every make; the kiosk reads them with aim = auto)"
    )
