"""The kiosk's screen texts: the text catalogue's (`kiosk.texts`), under the names the TUI has used."""

from __future__ import annotations

from kiosk.texts import CATALOGS, EN, JA, Language, translate

__all__ = ["CATALOGS", "EN", "JA", "Language", "translate"]
