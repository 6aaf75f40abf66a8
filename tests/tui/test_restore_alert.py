"""A restore stays an alert (supervisor's page, daily close) until a supervisor acknowledges it at the
kiosk with F11: badge and PIN of a supervisor, on record; an officer is refused (issue 22)."""

from __future__ import annotations

import json

from textual.widgets import Input

from kiosk.desk import Desk
from kiosk.desk.supervision import Overview
from kiosk.domain.events import EventKind, LedgerRestored
from kiosk.tui.screens.home import HomeScreen
from tests.tui.conftest import Office, devices_online, screen_text, sign_in, verdict, wait_for


def record_restore(office: Office) -> int:
    """What `kiosk restore` appends when it dropped events (the same payload type)."""
    officer, supervisor = office.ledger.staff_by_badge("O001"), office.ledger.staff_by_badge("S001")
    assert officer is not None
    assert supervisor is not None
    with office.ledger.unit() as u:
        rec = u.append(
            EventKind.LEDGER_RESTORED,
            actor_id=officer.id,
            witness_id=supervisor.id,
            device=office.ledger.kiosk,
            payload=LedgerRestored(
                20, "a" * 64, "ledger-copy.sqlite3", None, None, dropped_first_seq=21, dropped_last_seq=27
            ),
        )
    return rec.seq


def overview(office: Office, desk: Desk) -> Overview:
    return desk.supervision_overview(
        now=office.clock(), max_open_minutes=30, stocktake_every_days=30, policy=desk.policy
    )


async def test_f11_acknowledges_a_restore_by_a_supervisor_only(office: Office) -> None:
    seq = record_restore(office)
    desk = Desk(office.ledger, office.settings)
    assert [r.seq for r in overview(office, desk).restores] == [seq]
    assert overview(office, desk).alert_count >= 1
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        # An officer is refused: the dialog asks for a supervisor.
        await pilot.press("f11")
        await wait_for(pilot, lambda: "を確認する責任者" in screen_text(app))
        assert "失われた記録 7 件" in screen_text(app)
        office.scan("O001")
        await wait_for(pilot, lambda: "O001" in [w.value for w in app.screen.query(Input)])
        await pilot.press(*"1111", "enter")
        await wait_for(pilot, lambda: "責任者（管理職）のバッジが必要です" in screen_text(app))
        await pilot.press("escape")
        await pilot.pause()
        assert [r.seq for r in desk.unacknowledged_restores()] == [seq]
        # The supervisor acknowledges: on record, and the alert ends.
        await pilot.press("f11")
        await wait_for(pilot, lambda: "を確認する責任者" in screen_text(app))
        await sign_in(pilot, office, "S001")
        await wait_for(pilot, lambda: verdict(app).code == "restore_ok")
    acks = [e for e in office.ledger.events() if e.kind == EventKind.RESTORE_ACKNOWLEDGED]
    assert [json.loads(e.payload)["restored_seq"] for e in acks] == [seq]
    supervisor = office.ledger.staff_by_badge("S001")
    assert supervisor is not None
    assert acks[0].actor_id == supervisor.id
    assert desk.unacknowledged_restores() == []
    assert overview(office, desk).restores == ()
