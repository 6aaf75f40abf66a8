"""AIM symbology identifiers (ISO/IEC 15424): `]` + code character + modifier, e.g. `]C0`, `]Q1`.

A scanner configured to transmit them tells the host which symbology it read; the kiosk uses that to
accept only the symbologies it prints (Code 128 and a 2-D symbol) and to refuse, say, a product EAN.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.scan import Symbology

AIM_FLAG = "]"

# Code character -> symbology. Anything else that is well formed parses as UNKNOWN.
_CODE_CHARS: dict[str, Symbology] = {
    "A": Symbology.CODE39,
    "C": Symbology.CODE128,
    "d": Symbology.DATAMATRIX,
    "E": Symbology.EAN13,  # E0 EAN-13 / UPC-A; E4 is EAN-8 (below)
    "I": Symbology.ITF,
    "L": Symbology.PDF417,
    "Q": Symbology.QR,
}


@dataclass(frozen=True, slots=True)
class AimId:
    """A parsed identifier: the three characters as sent and the symbology they name."""

    text: str
    symbology: Symbology

    @property
    def code_char(self) -> str:
        return self.text[1]

    @property
    def modifier(self) -> str:
        return self.text[2]


def _is_aim_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def parse_aim(text: str) -> tuple[AimId | None, str]:
    """Split a leading AIM identifier off `text`: `(AimId, rest)`, or `(None, text)` when there is none."""
    if len(text) < 3 or text[0] != AIM_FLAG or not _is_aim_char(text[1]) or not _is_aim_char(text[2]):
        return None, text
    ident = text[:3]
    if ident[1] == "E" and ident[2] == "4":
        sym = Symbology.EAN8
    else:
        sym = _CODE_CHARS.get(ident[1], Symbology.UNKNOWN)
    return AimId(ident, sym), text[3:]


def looks_like_aim(text: str) -> bool:
    """True when `text` starts with something shaped like an AIM identifier."""
    return parse_aim(text)[0] is not None
