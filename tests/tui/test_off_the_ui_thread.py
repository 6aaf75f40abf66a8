"""No screen queries the ledger on the UI thread: every SQL statement the app runs is seen by a
SQLAlchemy `before_cursor_execute` listener on the real engine, which notes the thread and can hold
the reader thread at a gate. While a read is held the screen says 読み込み中, keeps taking keys and
scans, and draws the newest answer once the gate opens; scans behind a badge look-up keep their order.

Nothing of ours is replaced: the real app, the real core, simulator devices, a real SQLite ledger. The
test's own look at the ledger goes through a second engine on the same file, which the listener does
not watch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event
from textual.widgets import DataTable, Static, TabbedContent

from kiosk.ledger.engine import make_engine
from kiosk.ledger.service import Ledger
from kiosk.tui.screens.dialogs import EntryModal
from kiosk.tui.screens.due import DueScreen
from kiosk.tui.screens.history import HistoryScreen, LedgerScreen
from kiosk.tui.screens.home import HomeScreen
from kiosk.tui.screens.session import SessionScreen
from kiosk.tui.screens.signin import SignInModal
from kiosk.tui.screens.stocktake import StocktakeScreen
from tests.ledger_ops import open_stocktake, reconcile
from tests.tui.conftest import (
    BOOKED,
    CARDS,
    Office,
    devices_online,
    open_safe,
    sign_in,
    verdict,
    wait_for,
)

LOADING = "読み込み中"


@dataclass
class Watch:
    """Which threads ran SQL, and a gate that holds the reader thread while it is closed."""

    ui_thread: int = field(default_factory=threading.get_ident)
    on_ui: list[str] = field(default_factory=list)
    threads: set[str] = field(default_factory=set)
    gate: threading.Event = field(default_factory=threading.Event)
    held: int = 0

    def hold(self) -> None:
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()


@pytest.fixture
def watch(office: Office) -> Iterator[Watch]:
    # Created on the test's thread, which is the event loop's: the thread the app's UI runs on.
    w = Watch()
    w.release()

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        thread = threading.current_thread()
        w.threads.add(thread.name)
        if threading.get_ident() == w.ui_thread:
            w.on_ui.append(statement.split("\n")[0][:80])
        elif thread.name.startswith("ledger-read") and not w.gate.is_set():
            w.held += 1
            w.gate.wait(10)  # never forever: a test that forgets to release fails, it does not hang

    event.listen(office.ledger.engine, "before_cursor_execute", before)
    yield w
    w.release()
    event.remove(office.ledger.engine, "before_cursor_execute", before)


@pytest.fixture
def peek(office: Office) -> Iterator[Ledger]:
    """The test's own view of the ledger file (another engine: not watched, not held)."""
    engine = make_engine(str(office.ledger.engine.url))
    yield Ledger(engine, pepper=b"test-pepper", kiosk="kiosk-test", clock=office.clock)
    engine.dispose()


def shown(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def test_history_ledger_due_home_and_badges_read_off_the_ui_thread(
    office: Office, watch: Watch, peek: Ledger
) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        # Home: the stocktake-due notice came from the reader thread.
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.due_checked > 0)
        assert "点検が未実施" in shown(app, "#st-due-banner")
        await sign_in(pilot, office, "O001")

        # カード履歴: while the look-up is held the screen says so, keeps taking keys, and takes a
        # second scan; the newest one is drawn when the reader is let go.
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        history = app.screen
        watch.hold()
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: LOADING in verdict(app).text_shown and watch.held > 0)
        await pilot.press("f5")  # the UI thread is free: the typed-ID dialog opens
        await wait_for(pilot, lambda: isinstance(app.screen, EntryModal))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is history)
        office.scan(BOOKED[1])
        await wait_for(pilot, lambda: BOOKED[1] in verdict(app).text_shown)
        assert LOADING in shown(app, "#page")
        watch.release()
        await wait_for(pilot, lambda: BOOKED[1] in shown(app, "#card"))
        table = app.screen.query_one("#events", DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        assert {str(table.get_row_at(i)[3]) for i in range(table.row_count)} == {BOOKED[1]}
        assert LOADING not in shown(app, "#page")
        await pilot.press("escape")

        # 管理簿: the page is read on the reader thread.
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        watch.hold()
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, LedgerScreen))
        await wait_for(pilot, lambda: LOADING in shown(app, "#page"))
        watch.release()
        table = app.screen.query_one("#events", DataTable)
        head, _ = peek.head()
        await wait_for(pilot, lambda: table.row_count == min(100, head))
        await pilot.press("escape")

        # 督促・廃棄の作業リスト: 読み込み中 until the lists come; the tab keys work meanwhile.
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        watch.hold()
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, DueScreen))
        due = app.screen
        assert isinstance(due, DueScreen)
        await wait_for(pilot, lambda: LOADING in shown(app, "#due-summary"))
        await pilot.press("f4")
        await wait_for(pilot, lambda: due.query_one(TabbedContent).active == "due-held")
        assert due.lists is None
        watch.release()
        await wait_for(pilot, lambda: due.lists is not None)
        assert LOADING not in shown(app, "#due-summary")
        await pilot.press("escape")

        # 点検: a badge scanned at the stocktake screen is looked up on the reader thread; a card
        # scanned while that look-up is held waits behind it and is counted after it, not lost.
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "C001")
        await wait_for(pilot, lambda: isinstance(app.screen, StocktakeScreen))
        stocktake = app.screen
        assert isinstance(stocktake, StocktakeScreen)
        await wait_for(pilot, lambda: stocktake.glance is not None)
        st = open_stocktake(peek)
        assert st is not None
        watch.hold()
        office.scan("C002")
        await wait_for(pilot, lambda: stocktake.checking_badge)
        office.scan(CARDS[5])
        await pilot.pause(0.3)
        assert reconcile(peek, st.id).found == 0  # still waiting behind the badge
        watch.release()
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await wait_for(pilot, lambda: reconcile(peek, st.id).found == 1)
        assert CARDS[5] not in reconcile(peek, st.id).missing_ids
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is stocktake)
        await wait_for(pilot, lambda: "1 / 10" in shown(app, "#st-counts"))

    assert any(name.startswith("ledger-read") for name in watch.threads)
    assert watch.on_ui == []


async def test_the_session_screen_checks_a_badge_off_the_ui_thread_and_keeps_the_scans_in_order(
    office: Office, watch: Watch, peek: Ledger
) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        session = app.screen
        assert isinstance(session, SessionScreen)
        await wait_for(pilot, lambda: "保管 正子" in shown(app, "#people"))
        watch.hold()
        office.scan("C002")  # a badge: who is it? (held on the reader thread)
        await wait_for(pilot, lambda: session.checking_badge and watch.held > 0)
        office.scan(BOOKED[0])  # a card right behind it: it waits, it is not dropped
        await pilot.pause(0.3)
        assert peek.card(BOOKED[0]).status.value == "in_safe"  # type: ignore[union-attr]
        watch.release()
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await wait_for(pilot, lambda: peek.card(BOOKED[0]).status.value == "out")  # type: ignore[union-attr]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is session)
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")
    assert watch.on_ui == []
