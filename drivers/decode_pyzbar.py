"""The pyzbar (ZBar) decoding backend: good on low-contrast 1-D codes; reads QR but not Data Matrix.

pyzbar is a ctypes binding: the Python package installs, but it needs the system library libzbar
(Debian/Ubuntu: `apt-get install libzbar0`), so `is_usable()` checks that the library loads.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from drivers.decode_types import RawSymbol
from drivers.scan import Symbology

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

NAME = "pyzbar"
INSTALL_HINT = "install the system library libzbar (Debian/Ubuntu: apt-get install libzbar0)"


@lru_cache(maxsize=1)
def is_usable() -> tuple[bool, str]:
    """(True, "") when pyzbar imports and libzbar loads; otherwise (False, what to install)."""
    try:
        from pyzbar import pyzbar  # noqa: F401  (loads libzbar through ctypes)
    except ImportError as exc:
        if "zbar" in str(exc).lower() and "pyzbar" not in str(exc).lower():
            return False, f"libzbar not found: {INSTALL_HINT}"
        return False, f"pyzbar unavailable ({exc}); pip install pyzbar and {INSTALL_HINT}"
    except OSError as exc:
        return False, f"libzbar failed to load ({exc}); {INSTALL_HINT}"
    return True, ""


@lru_cache(maxsize=1)
def _symbol_map() -> dict[Any, Symbology]:
    from pyzbar.pyzbar import ZBarSymbol

    return {
        ZBarSymbol.CODE128: Symbology.CODE128,
        ZBarSymbol.QRCODE: Symbology.QR,
        ZBarSymbol.EAN13: Symbology.EAN13,
        ZBarSymbol.EAN8: Symbology.EAN8,
        ZBarSymbol.CODE39: Symbology.CODE39,
        ZBarSymbol.I25: Symbology.ITF,
        ZBarSymbol.PDF417: Symbology.PDF417,
    }


@lru_cache(maxsize=32)
def _symbols(symbologies: frozenset[Symbology]) -> tuple[Any, ...]:
    return tuple(s for s, sym in _symbol_map().items() if sym in symbologies)


_BY_NAME: dict[str, Symbology] = {
    "CODE128": Symbology.CODE128,
    "QRCODE": Symbology.QR,
    "EAN13": Symbology.EAN13,
    "EAN8": Symbology.EAN8,
    "CODE39": Symbology.CODE39,
    "I25": Symbology.ITF,
    "PDF417": Symbology.PDF417,
}


class PyzbarBackend:
    """ZBar through pyzbar, restricted to the configured symbologies (Data Matrix is not in ZBar)."""

    name = NAME

    def read(
        self,
        gray: NDArray[np.uint8],
        symbologies: Iterable[Symbology],
        *,
        fast: bool = False,
        local: bool = False,
        rotate: bool = True,
    ) -> list[RawSymbol]:
        from pyzbar import pyzbar

        symbols = _symbols(frozenset(symbologies))
        if not symbols:
            return []
        out: list[RawSymbol] = []
        for r in pyzbar.decode(gray, symbols=list(symbols)):
            sym = _BY_NAME.get(str(r.type))
            if sym is None:
                continue
            try:
                text = r.data.decode("utf-8")
            except UnicodeDecodeError:
                text = r.data.decode("latin-1")
            pts = [(float(p.x), float(p.y)) for p in r.polygon] or [
                (float(r.rect.left), float(r.rect.top)),
                (float(r.rect.left + r.rect.width), float(r.rect.top + r.rect.height)),
            ]
            out.append(RawSymbol(text, sym, tuple(pts), NAME))
        return out
