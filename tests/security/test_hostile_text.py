"""Issue 11, item 6: hostile text is inert on every screen and in every CLI listing.

Staff names that are Textual markup (`[@click=app.quit]x` would be a live action link, `[/]` crashed
the kiosk when the safe was opened) and a name with terminal escapes (ESC[2J clears the screen, OSC sets
the window title, CR overwrites the line) are shown literally: no crash, the app still running, and the
control characters written out as `\\x1b`. Such names reach the ledger from before the name rules, so
the test writes them through the ledger directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from textual.widgets import DataTable, Static

from drivers.serial_scanner import SerialScanner
from drivers.wedge_device import KeyboardWedge
from kiosk.cli import _register, cli
from kiosk.config import Settings
from kiosk.domain.staff import Role, StaffMember
from kiosk.ledger import models
from kiosk.ledger.service import Ledger
from kiosk.tui.app import KioskApp
from kiosk.tui.safe_text import cell, plain
from simulator.hub import SimHub
from tests.conftest import PINS, FakeClock
from tests.ledger.helpers import ids, receive
from tests.ledger_ops import add_to_pick_list
from tests.tui.conftest import SCANNER, Office, make_ledger, open_safe, screen_text, sign_in, wait_for

LINK = "[@click=app.quit]x"
CLOSER = "[/]"
ESCAPES = "esc\x1b[2J\x1b]0;pwned\x07\rover\u202eevil"
SHOWN = "esc\\x1b[2J\\x1b]0;pwned\\x07\\x0dover\\u202eevil"


def member(ledger: Ledger, name: str, badge: str, role: Role, rank: int | None) -> StaffMember:
    """A member whose name predates the name rules (add_staff now refuses control characters)."""
    added = ledger.add_staff(
        name="placeholder",
        badge=badge,
        employee_no=f"E-{badge}",
        role=role,
        rank=rank,
        pin=PINS.get(badge, "4321"),
    )
    with ledger.unit() as u:
        u.session.get_one(models.Staff, added.id).name = name
    found = ledger.staff_by_id(added.id)
    assert found is not None
    return found


@pytest.fixture
def hostile(tmp_path: Path, clock: FakeClock) -> Iterator[Office]:
    ledger = make_ledger(tmp_path / "ledger.sqlite3", clock)
    member(ledger, LINK, "O001", Role.OFFICER, 0)
    member(ledger, ESCAPES, "O002", Role.OFFICER, 1)
    clerk = member(ledger, CLOSER, "C001", Role.CLERK, None)
    cards = ids(4)
    receive(ledger, cards)
    add_to_pick_list(ledger, cards[:2], clerk)
    hub = SimHub()
    hub.add_serial(SCANNER)
    settings = Settings()

    def make(**kwargs: Any) -> KioskApp:
        devices = [
            SerialScanner(hub.url(SCANNER), name=SCANNER, reconnect_interval=0.05, dedup_window=0),
            KeyboardWedge("keyboard", dedup_window=0),
        ]
        return KioskApp(devices=devices, ledger=ledger, settings=settings, clock=clock, **kwargs)

    yield Office(ledger, clock, hub, settings, make)
    hub.close()
    ledger.engine.dispose()


def raw_controls(app: KioskApp) -> list[str]:
    """Statics whose content would send a raw control character to the terminal."""
    found = []
    for screen in app.screen_stack:
        for widget in screen.query(Static):
            text = str(widget.content)
            if any(ch in text for ch in ("\x1b", "\x07", "\r", "\u202e")):
                found.append(text[:40])
    return found


async def test_markup_and_escapes_in_names_are_shown_literally_and_the_kiosk_keeps_running(
    hostile: Office,
) -> None:
    from kiosk.tui.screens.dialogs import ChecklistModal
    from kiosk.tui.screens.home import HomeScreen
    from kiosk.tui.screens.signin import SignInModal

    app = hostile.make()
    async with app.run_test(size=(140, 44)) as pilot:
        await open_safe(pilot, hostile)  # O001 (the link) and C001 (the closer) open the safe
        shown = screen_text(app)
        assert LINK in shown  # a link would have rendered as just "x"
        assert CLOSER in shown
        assert app.is_running
        assert app.return_code is None
        # Close with O002 (the escapes) as the second person: the checklist names both people.
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, hostile, "O002")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistModal))
        await pilot.press("1", "2", "3", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert raw_controls(app) == []
        # The ledger (管理簿) lists who did what: every name literally, the escapes written out.
        await pilot.press("f6")
        await wait_for(pilot, lambda: app.screen.query(DataTable).first().row_count > 0)
        table = app.screen.query(DataTable).first()
        cells = [
            str(getattr(table.get_cell_at((row, col)), "plain", table.get_cell_at((row, col))))
            for row in range(table.row_count)
            for col in range(len(table.columns))
        ]
        assert LINK in cells
        assert CLOSER in cells
        assert SHOWN in cells
        assert not any("\x1b" in c for c in cells)
        assert raw_controls(app) == []
        assert app.is_running
        assert app.return_code is None


def test_the_safe_text_helpers_never_parse_markup_and_show_controls() -> None:
    assert str(plain(LINK)) == LINK
    assert plain(CLOSER).spans == []  # nothing styled, nothing linked
    assert str(plain(ESCAPES)) == SHOWN
    assert cell(ESCAPES).plain == SHOWN
    assert str(plain("two\nlines")) == "two\nlines"  # a message's own newlines stay


def test_cli_listings_show_control_characters_written_out(tmp_path: Path) -> None:
    _register()
    env = {
        "KIOSK_DB_URL": f"sqlite:///{tmp_path / 'var' / 'ledger.sqlite3'}",
        "KIOSK_PATHS__PEPPER": str(tmp_path / "var" / "pepper"),
        "KIOSK_PATHS__LOGS": str(tmp_path / "var" / "log"),
        "KIOSK_CONFIG_FILE": str(tmp_path / "none.toml"),
        "KIOSK_PEPPER": "hostile-test",
    }
    (tmp_path / "none.toml").write_text("# defaults only\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["init"], env=env).exit_code == 0
    # Names from before the name rules: written straight into the ledger, then listed by the CLI.
    ledger = make_ledger(tmp_path / "var" / "ledger.sqlite3", FakeClock())
    member(ledger, ESCAPES, "Q1", Role.CLERK, None)
    member(ledger, "a\nb", "Q2", Role.CLERK, None)
    ledger.engine.dispose()
    listed = runner.invoke(cli, ["staff", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert SHOWN in listed.output
    assert not any(ch in listed.output for ch in ("\x1b", "\x07", "\r", "\u202e"))
    # A name is one line: a newline in it cannot forge another line of the listing.
    assert "a\\x0ab" in listed.output
