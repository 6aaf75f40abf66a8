"""The in-app manual (F1) follows the kiosk's language: English manual in English, Japanese otherwise."""

from __future__ import annotations

from textual.widgets import MarkdownViewer

from kiosk.tui.app import KioskApp
from kiosk.tui.screens.dialogs import SettingsModal
from kiosk.tui.screens.help import HelpScreen, manual_path
from tests.tui.conftest import Office, screen_text, wait_for

EN_HEADING = "## 4. What the verdicts mean"
JA_HEADING = "## 4. 判定表示の意味"


def shown_manual(app: KioskApp) -> str:
    """The Markdown source of the manual on the help screen."""
    return app.screen.query_one(MarkdownViewer).document.source


def test_each_language_has_its_own_manual_file() -> None:
    en = manual_path("en").read_text(encoding="utf-8")
    ja = manual_path("ja").read_text(encoding="utf-8")
    assert EN_HEADING in en
    assert JA_HEADING not in en
    assert JA_HEADING in ja
    # Same structure: the English manual translates every section of the Japanese one.
    assert en.count("\n## ") == ja.count("\n## ")
    assert manual_path("fr") == manual_path("ja")  # Japanese stays the fallback


async def test_help_shows_the_english_manual_in_english(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f9", "2")  # settings dialog: 2 = English (the dialog closes itself)
        await wait_for(pilot, lambda: "The safe is locked" in screen_text(app))
        await wait_for(pilot, lambda: not isinstance(app.screen, SettingsModal))
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        source = shown_manual(app)
        assert EN_HEADING in source
        assert "Take out (持出)" in source
        assert JA_HEADING not in source
        assert "判定表示の意味" not in source


async def test_help_stays_japanese_in_japanese(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.language == "ja"
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        source = shown_manual(app)
        assert JA_HEADING in source
        assert EN_HEADING not in source


async def test_switching_back_to_japanese_brings_the_japanese_manual_back(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f9", "2")
        await wait_for(pilot, lambda: "The safe is locked" in screen_text(app))
        await pilot.press("f9", "1")
        await wait_for(pilot, lambda: "保管庫は施錠されています" in screen_text(app))
        await wait_for(pilot, lambda: not isinstance(app.screen, SettingsModal))
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        source = shown_manual(app)
        assert JA_HEADING in source
        assert EN_HEADING not in source
