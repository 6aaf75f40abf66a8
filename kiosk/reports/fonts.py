"""The Japanese font embedded in every PDF (a TrueType subset, so the PDF renders anywhere)."""

from __future__ import annotations

from pathlib import Path

# Debian's IPAex Gothic (package fonts-ipaexfont-gothic): TrueType outlines, which reportlab can embed
# (it cannot embed the CFF outlines of the Noto CJK OpenType fonts).
DEFAULT_FONT_FILE = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
DEBIAN_PACKAGE = "fonts-ipaexfont-gothic"


class FontMissing(RuntimeError):
    """The configured Japanese font file is missing or unusable; the message says how to fix it."""


def japanese_font(path: Path | None = None) -> str:
    """Register the Japanese TrueType font at `path` with reportlab and return its font name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    path = path or DEFAULT_FONT_FILE
    name = f"JP-{path.stem}"
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    if not path.is_file():
        raise FontMissing(
            f"Japanese font {path} not found: install the Debian package {DEBIAN_PACKAGE}"
            " (apt-get install fonts-ipaexfont-gothic) or set [reports] font_file to a TrueType .ttf"
        )
    try:
        pdfmetrics.registerFont(TTFont(name, str(path)))
    except TTFError as exc:
        raise FontMissing(f"{path} is not a usable TrueType font ({exc}); set [reports] font_file") from None
    return name
