"""職員 (office menu F5) end to end on the real app: a locked clerk unlocked by an administrator and a
second person (badge + PIN each), a training recorded and the due list, a member added, and the
officers' hand-over. Each is checked on screen and in the ledger (`verify` included)."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable, Input, Static

from kiosk.desk import Desk
from kiosk.domain.events import EventKind
from kiosk.domain.staff import AuthError, Role
from kiosk.ledger.service import today
from kiosk.ledger.verify import verify
from kiosk.tui.app import KioskApp
from kiosk.tui.screens.forms import ConfirmModal, FormModal
from kiosk.tui.screens.office import OfficeScreen
from kiosk.tui.screens.signin import SignInModal
from kiosk.tui.screens.staff import StaffScreen
from tests.conftest import PINS
from tests.tui.conftest import Office, devices_online, sign_in, verdict, wait_for


def row(screen: StaffScreen, badge: str) -> list[str]:
    return [str(c) for c in screen.query_one("#staff-table", DataTable).get_row(badge)]


async def open_staff(pilot: object, office: Office, app: KioskApp, badge: str = "A001") -> StaffScreen:
    await devices_online(pilot, app)  # type: ignore[arg-type]
    await sign_in(pilot, office, badge)  # type: ignore[arg-type]
    await pilot.press("f8")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: isinstance(app.screen, OfficeScreen))  # type: ignore[arg-type]
    await pilot.press("f5")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: isinstance(app.screen, StaffScreen) and app.screen.loaded > 0)  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, StaffScreen)
    return screen


async def test_an_administrator_and_a_second_person_unlock_a_locked_clerk(office: Office) -> None:
    desk = Desk(office.ledger, office.settings)
    for _ in range(5):
        with pytest.raises(AuthError):
            desk.sign_in("C002", "0000")
    assert desk.person_by_badge("C002").locked  # type: ignore[union-attr]
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_staff(pilot, office, app)
        assert row(screen, "C002")[1:6] == ["C002", "交付担当", "―", "有効", "ロック中"]
        assert "ロック中 1 名" in str(screen.query_one("#staff-summary", Static).content)
        # A clerk who is not locked: said at once, nobody is asked for a PIN.
        office.scan("C001")
        await wait_for(pilot, lambda: "窓口 一郎" in verdict(app).text_shown)
        await pilot.press("f5")
        await wait_for(pilot, lambda: "ロックされていません" in verdict(app).text_shown)
        assert isinstance(app.screen, StaffScreen)
        # The locked clerk, picked by scanning the badge.
        office.scan("C002")
        await wait_for(pilot, lambda: "窓口 二郎" in verdict(app).text_shown)
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O001")  # the administrator is signed in; the second person now
        await wait_for(pilot, lambda: "ロックを解除しました" in verdict(app).text_shown)
        await wait_for(pilot, lambda: row(screen, "C002")[5] == "―")
    member = desk.person_by_badge("C002")
    assert member is not None
    assert not member.locked
    unlocked = [e for e in office.ledger.events() if e.kind == EventKind.STAFF_UNLOCKED][-1]
    assert unlocked.actor_id == desk.person_by_badge("A001").id  # type: ignore[union-attr]
    assert unlocked.witness_id == desk.person_by_badge("O001").id  # type: ignore[union-attr]
    assert json.loads(unlocked.payload) == {"staff": member.id}
    assert desk.sign_in("C002", PINS["C002"]).id == member.id


async def test_a_training_record_and_the_due_list(office: Office) -> None:
    desk = Desk(office.ledger, office.settings)
    day = today(office.clock)
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_staff(pilot, office, app)
        assert row(screen, "C001")[6] == "未受講"
        # Nobody has been trained: all six are due for the arrival training.
        await pilot.press("f8")
        await wait_for(pilot, lambda: screen.showing_due)
        table = screen.query_one("#staff-table", DataTable)
        assert table.row_count == 6
        assert str(table.get_row("C001")[4]).startswith("着任時研修が未受講")
        office.scan("C001")
        await wait_for(pilot, lambda: "窓口 一郎" in verdict(app).text_shown)
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, FormModal))
        form = app.screen
        assert form.query_one("#field-date", Input).value == day.isoformat()
        await pilot.press("enter")  # the date as offered (today)
        await pilot.press("9", "enter")  # not a kind on the list
        await pilot.press(*"Yamada", "enter")
        await wait_for(pilot, lambda: "一覧の番号で選んで" in str(form.query_one("#message", Static).content))
        form.query_one("#field-kind", Input).value = ""
        await pilot.press("1", "enter", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O002")
        await wait_for(pilot, lambda: "研修（着任時研修" in verdict(app).text_shown)
        await wait_for(pilot, lambda: table.row_count == 5)
        assert "C001" not in [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        await pilot.press("f8")
        await wait_for(pilot, lambda: not screen.showing_due)
        assert row(screen, "C001")[6] == f"{day.isoformat()} 着任時研修"
        # The highlighted member's records, under the list.
        office.scan("C001")
        await wait_for(
            pilot,
            lambda: (
                f"{day.isoformat()} 着任時研修（講師 Yamada）"
                in str(screen.query_one("#staff-detail", Static).content)
            ),
        )
    trained = [e for e in office.ledger.events() if e.kind == EventKind.STAFF_TRAINED]
    assert len(trained) == 1
    assert json.loads(trained[0].payload) == {
        "staff": desk.person_by_badge("C001").id,  # type: ignore[union-attr]
        "on": day.isoformat(),
        "kind": "着任時研修",
        "trainer": "Yamada",
    }
    assert trained[0].witness_id == desk.person_by_badge("O002").id  # type: ignore[union-attr]
    assert {r.member.badge: r.trained_on for r in desk.staff_roster()}["C001"] == day
    assert verify(office.ledger).ok


async def test_a_member_added_and_the_officers_hand_over(office: Office) -> None:
    desk = Desk(office.ledger, office.settings)
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_staff(pilot, office, app)
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, FormModal))
        await pilot.press(*"Shinjin Hanako", "enter")
        office.scan("C003")  # the new badge, scanned into the badge field
        await wait_for(pilot, lambda: app.screen.query_one("#field-employee_no", Input).has_focus)
        await pilot.press(*"E-C003", "enter", "1", "enter", "enter")
        await pilot.press(*"7777", "enter", *"7778", "enter")
        await wait_for(pilot, lambda: "一致しません" in str(app.screen.query_one("#message", Static).content))
        app.screen.query_one("#field-pin2", Input).value = ""
        await pilot.press(*"7777", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "S001")
        await wait_for(pilot, lambda: "登録しました" in verdict(app).text_shown)
        await wait_for(pilot, lambda: any(r.member.badge == "C003" for r in screen.records))
        assert row(screen, "C003")[:3] == ["Shinjin Hanako", "C003", "交付担当"]
        # The hand-over: the outgoing officer, the incoming one, a witness.
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O001")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O002")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "C001")
        await wait_for(pilot, lambda: "引き継ぎました" in verdict(app).text_shown)
    new = desk.person_by_badge("C003")
    assert new is not None
    assert new.role is Role.CLERK
    assert desk.sign_in("C003", "7777").id == new.id
    handover = [e for e in office.ledger.events() if e.kind == EventKind.OFFICER_HANDOVER][-1]
    o1, o2, c1 = (desk.person_by_badge(b) for b in ("O001", "O002", "C001"))
    assert json.loads(handover.payload) == {"from": o1.id, "to": o2.id}  # type: ignore[union-attr]
    assert handover.actor_id == o2.id  # type: ignore[union-attr]
    assert handover.witness_id == c1.id  # type: ignore[union-attr]
    assert verify(office.ledger).ok


async def test_the_office_screens_in_english(office: Office) -> None:
    from kiosk.tui.screens.notices import NoticesScreen

    app = office.make()
    app.language = "en"
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_staff(pilot, office, app)
        summary = str(screen.query_one("#staff-summary", Static).content)
        assert summary == "6 member(s) (6 active, 0 locked, 6 due for training)"
        assert row(screen, "C001")[2:] == ["clerk", "―", "active", "-", "never"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, OfficeScreen))
        assert "F3  Notices and reminders" in str(app.screen.query_one("#office-jobs", Static).content)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, NoticesScreen))
        await wait_for(
            pilot,
            lambda: str(app.screen.query_one("#notices-status", Static).content).startswith(
                "Job: Issuance notice sent"
            ),
        )


async def test_a_change_that_cannot_happen_is_said_before_anyone_signs_in(office: Office) -> None:
    head = office.ledger.head()[0]
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_staff(pilot, office, app)
        # The only administrator cannot be deactivated: said at once, no second person asked.
        office.scan("A001")
        await wait_for(pilot, lambda: "情報 管理子" in verdict(app).text_shown)
        await pilot.press("f4")
        await wait_for(pilot, lambda: "最後の管理者" in verdict(app).text_shown)
        assert isinstance(app.screen, StaffScreen)
        # A badge that is taken: said in the form, on its field.
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, FormModal))
        form = app.screen
        await pilot.press(*"Nijuu", "enter", *"c001", "enter", *"E-9", "enter", "1", "enter", "enter")
        await pilot.press(*"7777", "enter", *"7777", "enter")
        await wait_for(
            pilot, lambda: "そのバッジは登録済み" in str(form.query_one("#message", Static).content)
        )
        assert form.query_one("#field-badge", Input).has_focus
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffScreen))
    assert office.ledger.head()[0] == head + 1  # the sign-in only


async def test_role_change_deactivation_and_a_new_pin(office: Office) -> None:
    desk = Desk(office.ledger, office.settings)
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_staff(pilot, office, app)
        office.scan("C001")
        await wait_for(pilot, lambda: "窓口 一郎" in verdict(app).text_shown)
        # Role: clerk → officer 副2 (the rank is asked for an officer).
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, FormModal))
        form = app.screen
        form.query_one("#field-role", Input).value = ""
        await pilot.press("2", "enter", "enter")
        await wait_for(pilot, lambda: "区分（0 正" in str(form.query_one("#message", Static).content))
        await pilot.press("2", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "S001")
        await wait_for(pilot, lambda: "役割を 保管責任者 にしました" in verdict(app).text_shown)
        await wait_for(pilot, lambda: row(screen, "C001")[2:4] == ["保管責任者", "副2"])
        # Deactivate, then reactivate.
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O001")
        await wait_for(pilot, lambda: row(screen, "C001")[4] == "無効")
        assert not desk.person_by_badge("C001").active  # type: ignore[union-attr]
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O001")
        await wait_for(pilot, lambda: row(screen, "C001")[4] == "有効")
        # A new PIN, typed twice.
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, FormModal))
        await pilot.press(*"246810", "enter", *"246810", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O002")
        await wait_for(pilot, lambda: "暗証番号を再設定しました" in verdict(app).text_shown)
    member = desk.person_by_badge("C001")
    assert member is not None
    assert (member.role, member.rank, member.active) == (Role.OFFICER, 2, True)
    assert desk.sign_in("C001", "246810").id == member.id
    kinds = [e.kind for e in office.ledger.events() if e.kind.startswith("staff_") and e.actor_id is not None]
    assert kinds[-4:] == [
        EventKind.STAFF_ROLE_CHANGED,
        EventKind.STAFF_DEACTIVATED,
        EventKind.STAFF_REACTIVATED,
        EventKind.STAFF_PIN_RESET,
    ]
    assert verify(office.ledger).ok


async def test_a_badge_scanned_before_the_list_is_drawn_is_picked_once_it_is(office: Office) -> None:
    """The list is read on the reader thread after the screen mounts; a badge scanned in between was
    looked up in an empty list (「登録されていないバッジです」) or hit the table before it existed. It is
    kept and picked when the list is drawn."""
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        await sign_in(pilot, office, "A001")
        screen = StaffScreen()
        assert screen.handle_scan("C001", device=None, source=None)  # before it is even mounted
        await app.push_screen(screen)
        await wait_for(pilot, lambda: screen.loaded > 0)
        await wait_for(pilot, lambda: "窓口 一郎" in verdict(app).text_shown)
        table = screen.query_one("#staff-table", DataTable)
        assert str(table.get_row_at(table.cursor_row)[1]) == "C001"
        assert "登録されていない" not in verdict(app).text_shown
