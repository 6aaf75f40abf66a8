"""通知・督促 (office menu F3) on the seeded demo ledger, end to end on the real app: the applicant
reference set and corrected (and on the 督促 list), reminders marked sent by scanning three cards (a card
without a notice date stays on the list, marked, not recorded), the list taken from the work lists, and
a hold with its release. Each step is checked on screen and in the ledger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from drivers.serial_scanner import SerialScanner
from kiosk.config import Settings
from kiosk.demo.seed import seed_demo
from kiosk.desk import Desk
from kiosk.domain.events import EventKind
from kiosk.domain.retention import RetentionPolicy
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger, today
from kiosk.reports.papers import reminder_list, write_reminder_csv
from kiosk.tui.app import KioskApp
from kiosk.tui.screens.dialogs import EntryModal
from kiosk.tui.screens.forms import ConfirmModal
from kiosk.tui.screens.notices import NoticesScreen
from kiosk.tui.screens.office import OfficeScreen
from kiosk.tui.screens.signin import SignInModal
from simulator.hub import SimHub
from tests.conftest import FakeClock
from tests.tui.conftest import devices_online, verdict, wait_for


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


def row_of(screen: NoticesScreen, mid: str) -> list[str]:
    table = screen.query_one("#notices-table", DataTable)
    return [str(c) for c in table.get_row(mid)]


async def test_notices_applicant_reminders_and_hold(
    demo_office: tuple[Ledger, SimHub], tmp_path: Path
) -> None:
    ledger, hub = demo_office
    settings = Settings()
    desk = Desk(ledger, settings)
    lists = desk.due_lists()
    due = [c.management_id for c in lists.reminders_due]
    no_notice = lists.notice_unknown[0].management_id
    assert len(due) >= 3, "the demo ledger has cards due a reminder"
    day = today(ledger.clock)
    scanner = SerialScanner(hub.url("scanner"), name="scanner", reconnect_interval=0.05, dedup_window=0)
    app = KioskApp(devices=[scanner], ledger=ledger, settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, OfficeScreen))
        menu = str(app.screen.query_one("#office-jobs", Static).content)
        assert "F3  通知・督促" in menu
        assert "F5  職員" in menu
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        hub.scan("scanner", "C001")
        await wait_for(pilot, lambda: app.screen.query_one("#badge", Input).value == "C001")
        await pilot.press(*"3333", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, NoticesScreen))
        screen = app.screen
        assert isinstance(screen, NoticesScreen)

        # -- 申請者参照: set, then a correction with its reason --------------------------------
        await pilot.press("f4")
        hub.scan("scanner", due[0])
        await wait_for(pilot, lambda: isinstance(app.screen, EntryModal))
        # The next card scanned while the dialog waits is refused there, never taken as the reference.
        hub.scan("scanner", due[1])
        await wait_for(
            pilot, lambda: "スキャンは受け付けません" in str(app.screen.query_one("#message", Static).content)
        )
        assert app.screen.query_one("#entry", Input).value == ""
        await pilot.press(*"R8-00123", "enter")
        await wait_for(pilot, lambda: "R8-00123" in verdict(app).text_shown)
        assert "申請者参照を登録しました" in verdict(app).text_shown
        assert desk.card(due[0]).applicant_ref == "R8-00123"  # type: ignore[union-attr]
        hub.scan("scanner", due[0])
        await wait_for(pilot, lambda: isinstance(app.screen, EntryModal))
        assert "現在の申請者参照: R8-00123" in str(app.screen.query_one(".label", Static).content)
        await pilot.press(*"R8-00999", "enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, EntryModal)
                and "理由" in str(app.screen.query_one(".label", Static).content)
            ),
        )
        await pilot.press(*"kisai", "enter")
        await wait_for(pilot, lambda: "訂正しました" in verdict(app).text_shown)
        assert desk.card(due[0]).applicant_ref == "R8-00999"  # type: ignore[union-attr]
        sets = [e for e in ledger.events(card_id=due[0]) if e.kind == EventKind.CARD_APPLICANT_SET]
        assert json.loads(sets[-1].payload) == {"ref": "R8-00999", "corrects": sets[0].seq, "reason": "kisai"}
        # A reference with a space is refused in Japanese, and nothing changes.
        hub.scan("scanner", due[1])
        await wait_for(pilot, lambda: isinstance(app.screen, EntryModal))
        await pilot.press(*"R8 1", "enter")
        await wait_for(pilot, lambda: "英数字と - _ / . # だけ" in verdict(app).text_shown)
        assert desk.card(due[1]).applicant_ref is None  # type: ignore[union-attr]
        # The 督促 list's 申請者参照 column now fills.
        csv_path = tmp_path / "reminders.csv"
        write_reminder_csv(reminder_list(desk, RetentionPolicy.from_settings(settings.retention)), csv_path)
        line = next(x for x in csv_path.read_text(encoding="utf-8-sig").splitlines() if x.startswith(due[0]))
        assert line.split(",")[2] == "R8-00999"

        # -- 督促状送付: three cards scanned, one without a notice stays marked ----------------------
        await pilot.press("f3")
        for mid in (*due[:3], no_notice):
            hub.scan("scanner", mid)
            await wait_for(pilot, lambda mid=mid: mid in screen.order and mid in screen.cards)
        await wait_for(pilot, lambda: "交付通知書の送付日が未登録" in verdict(app).text_shown)
        assert row_of(screen, no_notice)[6] == "通知日が未登録"
        assert row_of(screen, due[0])[6] == "記録できます"
        hub.scan("scanner", due[1])  # read twice: said so, listed once
        await wait_for(pilot, lambda: "一覧にあります" in verdict(app).text_shown)
        assert screen.order.count(due[1]) == 1
        await pilot.press("f9")
        await wait_for(pilot, lambda: "3 枚に記録しました" in verdict(app).text_shown)
        assert "問題のある 1 枚は記録していません" in verdict(app).text_shown
        for mid in due[:3]:
            assert desk.card(mid).reminder_sent_on == day  # type: ignore[union-attr]
            assert row_of(screen, mid)[6] == "記録済み"
            assert row_of(screen, mid)[3] == day.isoformat()
        assert desk.card(no_notice).reminder_sent_on is None  # type: ignore[union-attr]
        sent = [e for e in ledger.events() if e.kind == EventKind.CARD_REMINDER_SENT and e.card_id in due[:3]]
        assert len(sent) == 3
        assert all(e.actor_id == desk.person_by_badge("C001").id for e in sent)

        # -- F8: the list from the work list (交付通知書: the cards whose notice date is unknown) --------
        await pilot.press("f2")
        await pilot.press("f8")
        unknown = [c.management_id for c in desk.due_lists().notice_unknown]
        await wait_for(pilot, lambda: all(m in screen.order for m in unknown))
        assert "通知日未登録" in verdict(app).text_shown

        # -- 保留・解除 ---------------------------------------------------------------------------
        await pilot.press("f5")
        target = due[3] if len(due) > 3 else unknown[0]
        hub.scan("scanner", target)
        await wait_for(pilot, lambda: isinstance(app.screen, EntryModal))
        await pilot.press(*"nyuuin", "enter")
        await wait_for(pilot, lambda: "保留にしました" in verdict(app).text_shown)
        assert desk.card(target).hold_reason == "nyuuin"  # type: ignore[union-attr]
        hub.scan("scanner", target)
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "保留を解除しました" in verdict(app).text_shown)
        assert desk.card(target).hold_reason is None  # type: ignore[union-attr]
