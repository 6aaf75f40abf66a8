"""Every kind of scan gets its own verdict (colour, symbol, text, bell), and bad input never breaks
the kiosk or reaches the screen."""

from __future__ import annotations

from sqlalchemy import event

from drivers.contract import DeviceStatus
from drivers.damm import with_check_digit
from kiosk.domain.status import CardStatus
from kiosk.texts import LOOKS
from kiosk.tui.screens.dialogs import OverrideReasonModal
from kiosk.tui.screens.session import SessionScreen
from kiosk.tui.screens.signin import SignInModal
from kiosk.tui.widgets import AlertBanner
from simulator.keys import SimKeyboard
from tests.ledger_ops import current_session, outstanding
from tests.tui.conftest import (
    BOOKED,
    CARDS,
    SCANNER,
    Office,
    open_safe,
    screen_text,
    sign_in,
    verdict,
    wait_for,
)

TWELVE = "".join(str(i % 10) for i in range(3, 15))  # built at run time, never written as a literal


async def scan_and_wait(pilot, app, office: Office, code: str, expected: str) -> str:  # type: ignore[no-untyped-def]
    before = len(app.bells_rung)
    office.scan(code)
    await wait_for(pilot, lambda: len(app.bells_rung) > before and verdict(app).code == expected)
    return verdict(app).text_shown


async def test_each_kind_of_scan_has_its_own_verdict_text_symbol_and_bell(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        await scan_and_wait(pilot, app, office, BOOKED[0], "taken_out")
        assert app.bells_rung[-1] == 1

        # The same card again at once: a double scan, recorded once.
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: verdict(app).code == "duplicate")
        takes = [e for e in office.ledger.events(card_id=BOOKED[0]) if e.kind == "card_taken_out"]
        assert len(takes) == 1

        # Deliberately again after choosing the mode anew: already out.
        await pilot.press("f3", "f2")
        await scan_and_wait(pilot, app, office, BOOKED[0], "already_out")
        assert app.bells_rung[-1] == 2

        unknown = with_check_digit("999999999")
        text = await scan_and_wait(pilot, app, office, unknown, "unknown_id")
        assert unknown in text
        assert app.bells_rung[-1] == 3

        # A handed-over card seen at the safe again is an alarm (red, three bells), on the chain.
        await pilot.press("f4")
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "C001")  # the witness confirms the hand-over now
        await wait_for(pilot, lambda: verdict(app).code == "issued")
        await pilot.press("f2")
        text = await scan_and_wait(pilot, app, office, BOOKED[0], "handed_over_seen")
        assert "交付済" in text
        assert "責任者に報告" in text
        assert app.bells_rung[-1] == 3
        assert [e.kind for e in office.ledger.events(card_id=BOOKED[0])][-1] == "handed_over_card_seen"

        # Not on today's list: asks for a supervisor, naming the card (the last verdict does not stay
        # behind the dialog); Esc leaves the card in the safe.
        office.scan(CARDS[-1])
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        assert CARDS[-1] in screen_text(app)
        assert "交付予定にない" in screen_text(app)
        assert verdict(app).code is None
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
        assert office.ledger.card(CARDS[-1]).status is CardStatus.IN_SAFE  # type: ignore[union-attr]

        # A 12-digit value: refused, never shown, never stored.
        text = await scan_and_wait(pilot, app, office, TWELVE, "refused_input")
        assert "12桁" in text
        assert TWELVE not in screen_text(app)
        assert all(TWELVE not in e.payload for e in office.ledger.events())

        # IME text from a keyboard-wedge scanner (kana input): refused with the reason.
        keyboard = SimKeyboard("wedge-scanner", ime="kana")
        keyboard.connect(app.terminal_wedge)
        before = len(app.bells_rung)
        keyboard.scan(BOOKED[1])
        await wait_for(pilot, lambda: len(app.bells_rung) > before and verdict(app).code == "refused_input")
        assert "IME" in verdict(app).text_shown

        # Garbage on the line: a device problem, and the kiosk carries on.
        before = len(app.bells_rung)
        office.hub.garbage(SCANNER, b"\xff\xfe\x07\x00\r")
        await wait_for(pilot, lambda: len(app.bells_rung) > before and verdict(app).code == "device_problem")

    shown = {code: (LOOKS[code].symbol, LOOKS[code].ja) for code in LOOKS}
    kinds = [
        "taken_out",
        "put_back",
        "issued",
        "not_on_pick_list",
        "already_out",
        "duplicate",
        "unknown_id",
        "wrong_status",
        "refused_input",
        "device_problem",
        "ledger_error",
    ]
    assert len({shown[k][1] for k in kinds}) == len(kinds)  # every headline differs, not just the colour


async def test_unplugging_the_scanner_shows_offline_then_reconnects(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        office.hub.unplug(SCANNER)
        await wait_for(pilot, lambda: verdict(app).code == "device_problem")
        await wait_for(pilot, lambda: app.links[SCANNER].status is not DeviceStatus.ONLINE)
        assert "scanner" in screen_text(app)
        assert any(m in screen_text(app) for m in ("切断", "再接続中"))
        office.hub.replug(SCANNER)
        await wait_for(pilot, lambda: app.links[SCANNER].status is DeviceStatus.ONLINE)
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")


async def test_override_takes_out_an_unbooked_card_with_supervisor_and_reason(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        office.scan(CARDS[-1])
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        # A clerk's badge is not a supervisor's.
        await sign_in_expect_stay(pilot, office, "C002")
        assert "責任者" in screen_text(app)
        await sign_in(pilot, office, "S001")
        await wait_for(pilot, lambda: isinstance(app.screen, OverrideReasonModal))
        # The configured reasons are offered; Enter before choosing one says what is missing.
        assert "予約外来庁" in screen_text(app)
        assert "その他" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "理由を選んでください" in screen_text(app))
        # その他 needs a note: Enter without one is refused with a message.
        await pilot.press("4", "enter")
        await wait_for(pilot, lambda: "具体的に記入" in screen_text(app))
        await pilot.press("up", "2", *"urgent", "enter")
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")
        # The session's list of cards out marks it as taken out without a booking, with the reason.
        await wait_for(pilot, lambda: "予定外・郵送" in screen_text(app))
    supervisor = office.ledger.staff_by_badge("S001")
    assert supervisor is not None
    take = [e for e in office.ledger.events(card_id=CARDS[-1]) if e.kind == "card_taken_out"]
    assert len(take) == 1
    assert f'"override_by":{supervisor.id}' in take[0].payload
    assert '"reason":"郵送"' in take[0].payload
    assert '"note":"urgent"' in take[0].payload


async def sign_in_expect_stay(pilot, office: Office, badge: str) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Input

    from tests.conftest import PINS

    app = pilot.app
    office.scan(badge)
    await wait_for(pilot, lambda: app.screen.query_one("#badge", Input).value == badge)
    await pilot.press(*PINS[badge], "enter")
    await wait_for(pilot, lambda: app.screen.query_one("#badge", Input).value == "")


async def test_a_failed_ledger_write_shows_an_error_and_never_green(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        session = current_session(office.ledger)
        assert session is not None

        # The database turns read-only under the kiosk (a real SQLite refusal, not a stand-in).
        def read_only(dbapi_connection, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.execute("PRAGMA query_only=ON")

        office.ledger.engine.dispose()
        event.listen(office.ledger.engine, "checkout", read_only)
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: verdict(app).code == "ledger_error")
        assert "記録されていません" in verdict(app).text_shown
        assert "-ok" not in verdict(app).classes
        assert app.bells_rung[-1] == 3
        event.remove(office.ledger.engine, "checkout", read_only)
        office.ledger.engine.dispose()
    assert outstanding(office.ledger, session.id) == []


async def test_lockout_after_five_wrong_pins_is_shown(office: Office) -> None:
    from textual.widgets import Input

    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        from tests.tui.conftest import devices_online

        await devices_online(pilot, app)
        office.scan("C001")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        for attempt in range(5):
            if not app.screen.query_one("#badge", Input).value:
                office.scan("C001")
                await wait_for(pilot, lambda: app.screen.query_one("#badge", Input).value == "C001")
            await pilot.press(*"0000", "enter")
            await wait_for(
                pilot, lambda attempt=attempt: "ロック" in screen_text(app) or "あと" in screen_text(app)
            )
        assert "ロック中" in screen_text(app)
        # Even the right PIN is refused now.
        office.scan("C001")
        await wait_for(pilot, lambda: app.screen.query_one("#badge", Input).value == "C001")
        await pilot.press(*"3333", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SignInModal)
        assert app.user is None
    clerk = office.ledger.staff_by_badge("C001")
    assert clerk is not None
    assert clerk.locked


async def test_idle_sign_out(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        from tests.tui.conftest import devices_online

        await devices_online(pilot, app)
        await sign_in(pilot, office, "C001")
        assert app.user is not None
        office.clock.advance(seconds=office.settings.kiosk.idle_signout_seconds - 5)
        app.tick()
        assert app.user is not None
        office.clock.advance(seconds=10)
        app.tick()
        await pilot.pause()
        assert app.user is None
        assert "サインアウト" in verdict(app).text_shown
        assert "未サインイン" in screen_text(app)


async def test_a_session_open_too_long_raises_an_alert_on_every_screen(office: Office) -> None:
    from kiosk.tui.screens.history import HistoryScreen

    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        assert not app.screen.query_one(AlertBanner).display
        office.clock.advance(minutes=office.settings.session.max_open_minutes + 1)
        app.tick()
        await pilot.pause()
        assert app.screen.query_one(AlertBanner).display
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        banner = app.screen.query_one(AlertBanner)
        assert banner.display
        assert "警告" in str(banner.content)
        assert 3 in app.bells_rung


async def test_a_failed_read_says_it_could_not_be_read_not_that_nothing_was_recorded(office: Office) -> None:
    import sqlite3

    from kiosk.tui.screens.history import LedgerScreen

    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        from tests.tui.conftest import sign_in

        await sign_in(pilot, office, "C001")  # the ledger screen is for a signed-in member

        # SQLite itself refuses every statement from now on (a real refusal, not a stand-in).
        def denied(dbapi_connection, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.set_authorizer(lambda *_: sqlite3.SQLITE_DENY)

        office.ledger.engine.dispose()
        event.listen(office.ledger.engine, "checkout", denied)
        try:
            await pilot.press("f6")  # 管理簿: a page of events, read on the reader thread
            await wait_for(pilot, lambda: isinstance(app.screen, LedgerScreen))
            await wait_for(pilot, lambda: verdict(app).code == "ledger_read_error")
            assert "読み込めません" in verdict(app).text_shown
            assert "記録されていません" not in verdict(app).text_shown
            assert "-ok" not in verdict(app).classes
        finally:
            event.remove(office.ledger.engine, "checkout", denied)
            office.ledger.engine.dispose()


def test_every_reason_a_driver_refuses_with_has_japanese_and_english_words() -> None:
    from drivers.reasons import EXPLANATIONS
    from kiosk.texts import REASONS

    missing = sorted(set(EXPLANATIONS) - set(REASONS))
    assert missing == [], "add the clerk's words for these reasons to kiosk/texts/__init__.py"
    for reason, (ja, en) in REASONS.items():
        assert ja, reason
        assert en, reason
        assert ja != en, reason


def test_the_code_id_setting_offers_every_vendor_the_drivers_know() -> None:
    import typing

    from drivers.code_id import CODE_ID_CHOICES
    from kiosk.config import RulesOptions

    offered = typing.get_args(RulesOptions.model_fields["code_id"].annotation)
    assert set(offered) == set(CODE_ID_CHOICES)


def test_every_verdict_code_and_sighting_has_its_own_look_in_both_languages() -> None:
    from kiosk.domain.stocktake import Sighting
    from kiosk.domain.verdicts import VerdictCode
    from kiosk.texts import LOOKS

    keys = [code.value for code in VerdictCode] + [
        f"st_{s.value}" for s in Sighting if s is not Sighting.REFUSED
    ]
    missing = [key for key in keys if key not in LOOKS]
    assert missing == [], "give these codes their words in kiosk/texts/__init__.py"
    for key in keys:
        look = LOOKS[key]
        assert look.ja != key  # words, never the raw code
        assert look.en != key
