"""The retention work lists (督促・廃棄の作業リスト) on the seeded demo ledger: every list has cards, each
tab shows exactly what `due_lists()` says, the keys move between tabs, and nothing is changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static, TabbedContent

from drivers.serial_scanner import SerialScanner
from kiosk.config import Settings
from kiosk.demo.seed import seed_demo
from kiosk.domain.retention import RetentionPolicy
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger, today
from kiosk.tui.app import KioskApp
from kiosk.tui.screens.due import TABS, DueScreen
from kiosk.tui.screens.signin import SignInModal
from simulator.hub import SimHub
from tests.conftest import FakeClock
from tests.ledger_ops import due_lists
from tests.tui.conftest import devices_online, wait_for


@pytest.fixture
def demo_office(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[Ledger, SimHub]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"test-pepper", kiosk="kiosk-test", clock=clock)
    seed_demo(ledger)
    with SimHub() as hub:
        hub.add_serial("scanner")
        yield ledger, hub
    engine.dispose()


def table_ids(table: DataTable[Any]) -> list[str]:
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_each_work_list_on_its_tab(demo_office: tuple[Ledger, SimHub]) -> None:
    ledger, hub = demo_office
    settings = Settings()
    expected = due_lists(ledger, RetentionPolicy.from_settings(settings.retention), today(ledger.clock))
    head_before = ledger.head()
    scanner = SerialScanner(hub.url("scanner"), name="scanner", reconnect_interval=0.05)
    app = KioskApp(devices=[scanner], ledger=ledger, settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        hub.scan("scanner", "O001")  # a badge on the home screen starts signing in
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await pilot.press(*"1111", "enter")
        await wait_for(pilot, lambda: app.user is not None)
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, DueScreen))
        await wait_for(pilot, lambda: isinstance(app.screen, DueScreen) and app.screen.lists is not None)
        # The policy line is in the screen's language, with the configured periods (the notice's 90 days).
        summary = str(app.screen.query_one("#due-summary", Static).content)
        assert "督促から 90 日で廃棄対象" in summary
        assert "reminder" not in summary
        tabs = app.screen.query_one(TabbedContent)
        for key, (tab_id, attr, _title) in zip(("f2", "f3", "f4", "f5"), TABS, strict=True):
            await pilot.press(key)
            await wait_for(pilot, lambda tab_id=tab_id: tabs.active == tab_id)
            cards = getattr(expected, attr)
            assert cards, f"the seeded demo ledger has cards on {attr}"
            table = app.screen.query_one(f"#{tab_id}-table", DataTable)
            assert table_ids(table) == [c.management_id for c in cards]
            assert f"({len(cards)})" in str(tabs.get_tab(tab_id).label)
            assert app.focused is table
        # The arrow keys move through a list.
        table = app.screen.query_one("#due-unknown-table", DataTable)
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        held = app.screen.query_one("#due-held-table", DataTable)
        assert "長期入院" in str(held.get_row_at(0)[4])
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, DueScreen))
    # Read-only: looking at the lists wrote nothing but the sign-in.
    assert ledger.head()[0] - head_before[0] == 1  # signed_in


async def test_the_office_menu_opens_the_work_lists(demo_office: tuple[Ledger, SimHub]) -> None:
    """F8 on the home screen is the office's menu; each job is a function key (a scanner types digits)."""
    from kiosk.tui.screens.office import JOBS, OfficeScreen

    ledger, hub = demo_office
    scanner = SerialScanner(hub.url("scanner"), name="scanner", reconnect_interval=0.05)
    app = KioskApp(devices=[scanner], ledger=ledger, settings=Settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, OfficeScreen))
        menu = str(app.screen.query_one("#office-jobs", Static).content)
        for job in JOBS:
            assert app.t(job.title) in menu
        assert "督促・廃棄の作業リスト" in menu
        await pilot.press("f7")  # the work lists need someone signed in first
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        hub.scan("scanner", "O001")
        await wait_for(pilot, lambda: app.screen.query_one("#badge", Input).value == "O001")
        await pilot.press(*"1111", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DueScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, OfficeScreen))
