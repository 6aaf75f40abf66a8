"""日次締め at the kiosk: the home screen warns that the previous office day was not closed, a clerk
cannot close it, a responsible officer does (verify, backup, anchor, `daily_closed` on the chain) and
the 日次締め報告書 is filed and printed on a real CUPS queue; home then says when the last close ran."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

from textual.widgets import DataTable, Static

from kiosk.config import Settings, data_paths
from kiosk.domain.events import EventKind
from kiosk.ledger.anchors import AnchorLog
from kiosk.ledger.meta import initialise
from kiosk.tui.screens.daily_close import DailyCloseScreen
from kiosk.tui.screens.home import HomeScreen
from kiosk.tui.screens.office import OfficeScreen
from kiosk.tui.screens.signin import SignInModal
from tests.conftest import wait_printed
from tests.tui.conftest import CARDS, Office, devices_online, screen_text, sign_in, verdict, wait_for

DAY_ONE = date(2026, 4, 1)  # the office fixture's first day (a Wednesday)


def events_of(office: Office, kind: EventKind) -> list[dict[str, object]]:
    from sqlalchemy import text

    with office.ledger.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT seq, actor_id, payload FROM events WHERE kind = :k ORDER BY seq"), {"k": kind.value}
        ).all()
    return [{"seq": r.seq, "actor": r.actor_id, **json.loads(r.payload)} for r in rows]


async def test_a_daily_close_at_the_kiosk_is_recorded_backed_up_anchored_and_printed(
    office: Office, tmp_path: Path, cups_queue: str
) -> None:
    settings = Settings.model_validate(
        {
            "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.sqlite3'}"},  # the office fixture's ledger
            "paths": {"data_dir": str(tmp_path / "var")},
            "printers": {"reports": cups_queue},
        }
    )
    initialise(office.ledger)  # as `kiosk init` leaves it: the anchor log names the ledger
    office.clock.advance(days=1)  # the next office day: the first one was never closed
    app = office.make(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        home = app.screen
        assert isinstance(home, HomeScreen)
        await wait_for(pilot, lambda: home.close_checked > 0)
        banner = home.query_one("#close-banner", Static)
        assert banner.display
        assert "前の業務日（2026-04-01）の日次締めがまだです" in str(banner.content)

        await sign_in(pilot, office, "C001")
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, OfficeScreen))
        assert "F6  日次締め" in str(app.screen.query_one("#office-jobs", Static).content)
        await pilot.press("f6")
        await wait_for(
            pilot, lambda: isinstance(app.screen, DailyCloseScreen) and app.screen.data is not None
        )
        screen = app.screen
        assert isinstance(screen, DailyCloseScreen)
        await pilot.press("f3")  # the day before
        await wait_for(pilot, lambda: screen.data is not None and screen.data.day == DAY_ONE)
        data = screen.data
        assert data is not None
        assert data.total.values["受入"] == len(CARDS)
        table = screen.query_one("#close-table", DataTable)
        total = [str(c) for c in table.get_row_at(table.row_count - 1)]
        assert total[0] == "合計"
        assert total[2] == str(len(CARDS))  # 受入
        assert total[-1] == "一致"
        assert "対象日: 2026-04-01" in screen_text(app)
        assert f"連番 {data.head_seq}" in screen_text(app)

        # A clerk may not close the day: refused, on record, nothing closed.
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "C002")
        await wait_for(pilot, lambda: "保管責任者が行います" in verdict(app).text_shown)
        assert events_of(office, EventKind.DAILY_CLOSED) == []
        assert any(e["attempted"] == "daily_close" for e in events_of(office, EventKind.REFUSED))

        # The responsible officer closes it.
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O001")
        await wait_for(pilot, lambda: screen.filed is not None, timeout=60)
        closed, filed = screen.closed, screen.filed
        assert closed is not None
        assert filed is not None
        state = str(screen.query_one("#close-state", Static).content)
        assert "締めました（保管 正子（正））" in state
        assert f"検証 {closed.verified_events} 件" in state
        assert filed.printed, filed
        assert filed.job is not None
        assert cups_queue in verdict(app).text_shown
        wait_printed(cups_queue, filed.job)

        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        await wait_for(pilot, lambda: "最終の日次締め: 2026-04-01" in str(banner.content))
        line = str(banner.content)
        assert "保管 正子" in line
        assert "まだです" not in line
        assert not banner.has_class("-warning")

    # On the chain: the close with its day, the head printed on the paper, and who closed.
    (record,) = events_of(office, EventKind.DAILY_CLOSED)
    officer = office.ledger.staff_by_badge("O001")
    assert officer is not None
    assert record["actor"] == officer.id
    assert record["day"] == "2026-04-01"
    assert (record["head_seq"], record["head_hash"]) == (data.head_seq, data.head_hash)
    assert record["verified"] == closed.verified_events > 0
    assert events_of(office, EventKind.LEDGER_VERIFIED)[-1]["ok"] is True
    # The backup file, and the anchor log holding the day's head.
    assert closed.backup.is_file()
    assert closed.backup.parent.is_relative_to(tmp_path / "var")
    anchors = AnchorLog(data_paths(settings).anchor_log, office.ledger.pepper).read()
    assert any(a.seq == data.head_seq and a.hash == data.head_hash for a in anchors)
    assert closed.anchor == f"{data.head_seq}:{data.head_hash}"
    # The paper kept in the reports folder.
    assert filed.pdf == tmp_path / "var" / "reports" / "daily-close-2026-04-01.pdf"
    text = subprocess.run(
        ["pdftotext", str(filed.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "日次締め報告書" in text
    assert data.head_hash in text.replace("\n", "")
