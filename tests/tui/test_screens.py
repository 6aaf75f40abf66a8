"""The terminal wedge path, the pick list, card history, the ledger view, help, training and language."""

from __future__ import annotations

import time
from pathlib import Path

from textual import events
from textual.widgets import DataTable, MarkdownViewer

from drivers.serial_scanner import SerialScanner
from drivers.wedge_device import KeyboardWedge
from kiosk.app_factory import build_devices, make_app
from kiosk.config import DeviceSettings, Settings
from kiosk.domain.status import CardStatus
from kiosk.ledger.service import open_ledger
from kiosk.ledger.ui_queries import events_page
from kiosk.tui.screens.help import HelpScreen
from kiosk.tui.screens.history import HistoryScreen, LedgerScreen
from kiosk.tui.screens.pick_list import PickListScreen, booking_ids
from kiosk.tui.widgets import TrainingBanner
from tests.ledger_ops import pick_list
from tests.tui.conftest import BOOKED, CARDS, Office, open_safe, screen_text, sign_in, verdict, wait_for


def keys_at(app, text: str, start: float, interval: float) -> None:  # type: ignore[no-untyped-def]
    """Type `text` + Enter into the terminal with the given key times (a scanner burst or a person)."""
    for i, ch in enumerate([*text, "\r"]):
        key = events.Key("enter", "\r") if ch == "\r" else events.Key(ch, ch)
        key.time = start + i * interval
        app.post_message(key)


async def test_only_a_burst_in_the_terminal_is_taken_as_a_scan(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        # Key times a little ahead of now: the wedge's timeout sweep cannot cut a queued sequence.
        t0 = time.monotonic() + 1.0
        keys_at(app, BOOKED[1], t0, interval=0.2)  # a person typing, one key every 200 ms
        await wait_for(pilot, lambda: "F5" in verdict(app).text_shown)
        keys_at(app, BOOKED[2], t0 + 5.0, interval=0.004)  # a wedge scanner's burst
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")
        assert BOOKED[2] in verdict(app).text_shown
    assert office.ledger.card(BOOKED[2]).status is CardStatus.OUT  # type: ignore[union-attr]
    assert office.ledger.card(BOOKED[1]).status is CardStatus.IN_SAFE  # type: ignore[union-attr]


async def test_pick_list_by_scan_and_by_csv_import(office: Office, tmp_path: Path) -> None:
    csv_file = tmp_path / "bookings.csv"
    csv_file.write_text(f"予約番号,management_id\n1,{CARDS[5]}\n2,{CARDS[6]}\n", encoding="utf-8-sig")
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, PickListScreen))
        office.scan(CARDS[4])
        await wait_for(pilot, lambda: verdict(app).code == "added")
        await pilot.press("f6")
        await pilot.press(*str(csv_file), "enter")
        await wait_for(pilot, lambda: CARDS[6] in pick_list(office.ledger))
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 7)
    assert set(CARDS[4:7]) <= set(pick_list(office.ledger))


def test_booking_ids_read_the_id_column_or_the_first() -> None:
    assert booking_ids(f"管理ID,氏名\n{CARDS[0]},x\n") == [CARDS[0]]
    assert booking_ids(f"{CARDS[0]}\n\n{CARDS[1]}\n") == CARDS[:2]


async def test_card_history_lists_every_event_with_names(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        office.scan(BOOKED[0])
        table = app.screen.query_one("#events", DataTable)
        await wait_for(pilot, lambda: table.row_count >= 4)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert any("持出" in row[2] and "保管 正子" in row[4] for row in rows)
        assert "持出中" in screen_text(app)
        office.scan(CARDS[0][:-1] + str((int(CARDS[0][-1]) + 1) % 10))  # a misread check digit
        await wait_for(pilot, lambda: verdict(app).code == "refused_input")


async def test_ledger_view_pages_newest_first(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        from tests.tui.conftest import devices_online

        await devices_online(pilot, app)
        await sign_in(pilot, office, "C001")
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, LedgerScreen))
        table = app.screen.query_one("#events", DataTable)
        head, _ = office.ledger.head()
        await wait_for(pilot, lambda: table.row_count == min(100, head))
        assert str(table.get_row_at(0)[0]) == str(head)  # cells are Text (never markup)


def test_events_page_is_a_keyset_page_on_the_index(office: Office) -> None:
    head, _ = office.ledger.head()
    first = events_page(office.ledger, limit=5)
    assert [line.event.seq for line in first.lines] == list(range(head, head - 5, -1))
    second = events_page(office.ledger, before_seq=first.older, limit=5)
    assert second.lines[0].event.seq == head - 5
    one_card = events_page(office.ledger, card_id=CARDS[0])
    assert {line.event.card_id for line in one_card.lines} == {CARDS[0]}
    # The plans: a search on the primary key / card index, never a scan of the whole events table.
    with office.ledger.engine.connect() as conn:
        for sql, params in (
            ("SELECT * FROM events WHERE seq < ? ORDER BY seq DESC LIMIT 101", (500,)),
            (
                "SELECT * FROM events WHERE card_id = ? AND seq < ? ORDER BY seq DESC LIMIT 101",
                (CARDS[0], 500),
            ),
        ):
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row[-1]) for row in rows)
            assert "SEARCH" in plan, plan
            assert "USE TEMP B-TREE" not in plan, plan


async def test_help_shows_the_japanese_manual(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        viewer = app.screen.query_one(MarkdownViewer)
        assert "操作マニュアル" in viewer.document.source
        assert "判定表示の意味" in viewer.document.source
        assert "スキャナーの設定" in viewer.document.source


async def test_training_mode_is_marked_on_every_screen(office: Office) -> None:
    app = office.make(training=True)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.screen.query_one(TrainingBanner).display
        assert "研修モード" in screen_text(app)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert app.screen.query_one(TrainingBanner).display


async def test_english_can_be_chosen_in_settings(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        assert "保管庫は施錠されています" in screen_text(app)
        await pilot.press("f9", "2")
        await wait_for(pilot, lambda: "The safe is locked" in screen_text(app))
        await pilot.press("f9", "1")
        await wait_for(pilot, lambda: "保管庫は施錠されています" in screen_text(app))


def test_make_app_builds_devices_from_settings_and_adds_the_terminal_wedge(
    office: Office, tmp_path: Path
) -> None:
    settings = Settings(
        ledger={"url": f"sqlite:///{tmp_path / 'l.sqlite3'}"},  # type: ignore[arg-type]
        paths={"data_dir": tmp_path / "var"},  # type: ignore[arg-type]
        devices=[DeviceSettings(name="counter", driver="serial", options={"url": office.hub.url("scanner")})],
    )
    open_ledger(settings, create=True).engine.dispose()  # `kiosk init`: make_app never creates a ledger
    devices = build_devices(settings)
    assert [type(d) for d in devices] == [SerialScanner, KeyboardWedge]
    assert devices[0].name == "counter"
    app = make_app(settings)
    assert set(app.links) == {"counter", "keyboard"}
    # The ledger is opened by the app behind its first screen, never while the app is being built.
    assert app.checking
    assert getattr(app, "ledger", None) is None
