"""Vendor symbology prefixes ("Code ID", "Label ID", "code mark"), the proprietary cousins of the AIM
identifier.

Many scanners can put one to three characters naming the symbology before each code instead of an AIM
identifier: a Honeywell sends `w` before a Data Matrix, a Zebra/Symbol `D` before Code 128 and `P01`
before a QR Code, a Datalogic `#` before Code 128, a Denso `K` before Code 128 and `Z` before a Data
Matrix. With `code_id = "zebra"` (or "honeywell", "datalogic", "datalogic-eu", "denso") the kiosk strips
it and learns the symbology, as with AIM. The Code ID is stripped before the My Number guard looks at the
value: Zebra's 2-D Code IDs end in digits (`P00`, `P01`), which would otherwise run into a 10-digit
management ID and make 12.

Each table below is the vendor's published one, 1-D and 2-D, cited above it; where no published row
could be found (a Datalogic Data Matrix Label ID, Denso letters newer than its cited tables) the comment
says so and the table leaves the row out rather than guess. Symbologies the kiosk has no name for
(Codabar, Aztec, postal codes ...) map to `Symbology.UNKNOWN` with their own name kept in `CodeId.name`,
so an allow-list refuses them and a diagnosis can say what they are. A prefix that is in no table is an
unknown Code ID, named as such (never taken for part of the code).

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

# Datalogic: "Label ID: Pre-loaded Sets" tables, USA set (the factory default) and EU set, as published in
# the Product Reference Guides of the QuickScan I QD2400 (Table 35, p. 255), the Gryphon I GD44XX (Table 35,
# p. 287), the Gryphon I GD/GBT/GM4500 (Table 15, p. 288) and the PowerScan PD96 (Table 18, p. 287), read at
#   https://azmanual.top/manuals/848784/datalogic-quickscan-i-qd2400.html?page=265
#   https://www.easymanua.ls/datalogic/gryphon-i-gd44xx/manual?p=289
#   https://www.easymanua.ls/datalogic/gryphon-2d-series/manual/276958?p=298
#   https://easymanua.ls/datalogic/powerscan-pd96-series/manual?p=301
# Every 1-D row below and Aztec (`Az` / `!`) and China Sensible Code (Han Xin, `$S`) are in those tables.
# Code 128 is `#` (USA) / `T` (EU); GS1-128 has no Label ID in the USA set (000000: its labels arrive bare,
# or with the AIM identifier) and `k` in the EU set; Interleaved 2 of 5 is `i` (USA) / `N` (EU).
# QR Code `QR`, Micro QR `$Q`, MaxiCode `MC` and MicroPDF417 `mP` are the per-symbology defaults of the
# Magellan 800i Product Reference Guide ("Label ID - cont.", p. 55,
#   https://www.easymanua.ls/datalogic/magellan-800i/manual/586589?p=63), a guide without USA/EU sets:
# that the EU set keeps them is NOT confirmed. NO SOURCE was found for a Datalogic Data Matrix Label ID (the
# pages of the pre-loaded set tables that would hold it could not be read), so none is listed: a Data
# Matrix read with a Label ID is named as an unknown Code ID and the advice is AIM (`]d`), never a guess.
_DATALOGIC_2D = (
    ("QR", _QR, "QR Code"),
    ("$Q", _X, "Micro QR"),
    ("MC", _X, "MaxiCode"),
    ("mP", _X, "MicroPDF417"),
    ("$S", _X, "China Sensible Code (Han Xin)"),
)
DATALOGIC = _table(
    *_DATALOGIC_2D,
    ("Az", _X, "Aztec"),
    ("#", _C128, "Code 128"),
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

# Denso Wave "code mark" (コードマーク), Type 1 (Denso's own letters; Type 4 is AIM). Sources:
# - BHT-100 Specifications, chapter 15 "Function Reference", MARK$ (p. 373): the one letter naming the code
#   type, QR `Q`, split QR in non-edit mode `S`, PDF417 `Y`, MaxiCode `X`, Data Matrix `Z`, EAN-13/UPC-A `A`,
#   EAN-8 `B`, UPC-E `C`, ITF `I`, STF `H`, Codabar `N`, Code 39 `M`, Code 93 `L`, Code 128 `K`, EAN-128
#   (GS1-128) `W`; the 1-D letters are the same in the BHT-7500 and BHT-200QW Specifications. Read at
#   http://38.142.81.21:8001/manual/denso/power-net-terminal-bht-103/specifications-english/page-381.html
# - QS20P-A User's Manual, "(4) Code ID marks" (p. 23): QR `Q` (split QR: `Q` in edit mode, `S` in
#   non-edit mode), Data Matrix `Z`: https://manualshive.com/en/manual/denso/qs20p-a/2483243?page=35
# The GT10Q-SB, GT20Q-SB, AT27Q-SB and QK31-R User's Manuals say their non-AIM code marks are "the same as
# those defined in Type 1", but the page with their Type 1 table could not be read: letters for symbologies
# newer than the sources above (GS1 DataBar, Aztec, iQR) are NOT confirmed and are left out (such a prefix
# is named as an unknown Code ID). A split QR in non-edit mode carries the code number, split count and
# parity before the data, so `S` is no label symbology.
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
    ("Q", _QR, "QR Code"),
    ("S", _X, "split QR Code (non-edit mode)"),
    ("Z", _DM, "Data Matrix"),
    ("X", _X, "MaxiCode"),
    ("Y", _PDF, "PDF417"),
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
