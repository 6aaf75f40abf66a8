"""The safe's door and lock at the kiosk, under Pilot: the real app, the real driver over Modbus TCP to
the simulator's module (pymodbus's own server), and a real ledger.

The forced-door alarm shows on every screen, rings, and stays until a supervisor acknowledges it with a
reason; the status bar shows the door and the lock, and the module offline; a two-person opening
releases the lock; closing with the door open is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from drivers.safe_io.device import SafeIo, quiet_stack_logs
from kiosk.domain.events import EventKind
from kiosk.domain.safe_door import Door, Lock
from kiosk.tui.app import KioskApp
from kiosk.tui.widgets import DoorAlarmBanner, StatusBar
from simulator.safe_io import SimSafeModule
from tests.tui.conftest import Office, open_safe, screen_text, sign_in, verdict, wait_for

quiet_stack_logs()


@pytest.fixture
def module() -> Iterator[SimSafeModule]:
    with SimSafeModule("safe", transport="tcp") as m:
        yield m


def kiosk(office: Office, module: SimSafeModule) -> KioskApp:
    return office.make(safe_io=SafeIo(module.url, name="safe-io", poll_ms=30, reconnect_max_s=0.5))


def status_text(app: KioskApp) -> str:
    return str(app.screen.query_one(StatusBar).render())


def kinds(office: Office) -> list[str]:
    return [e.kind for e in office.ledger.events()]


async def door_known(pilot: Pilot[Any], app: KioskApp) -> None:
    await wait_for(
        pilot,
        lambda: app.safe.online is True and app.safe.door is Door.CLOSED and app.safe.lock is Lock.ENGAGED,
    )


async def test_a_forced_door_raises_a_red_belled_alarm_on_every_screen_until_a_supervisor_acknowledges(
    office: Office, module: SimSafeModule
) -> None:
    from kiosk.tui.screens.office import OfficeScreen

    app = kiosk(office, module)
    async with app.run_test(size=(140, 40)) as pilot:
        await door_known(pilot, app)
        assert "扉: 閉" in status_text(app)
        assert "錠: 施錠" in status_text(app)
        assert not app.screen.query_one(DoorAlarmBanner).display
        bells = len(app.bells_rung)
        module.force_door()
        await wait_for(pilot, lambda: app.screen.query_one(DoorAlarmBanner).display)
        banner = app.screen.query_one(DoorAlarmBanner)
        assert "保管庫利用なしに扉が開きました" in str(banner.content)
        assert 3 in app.bells_rung[bells:]
        assert verdict(app).code == "door_alarm"
        assert "扉: 開" in status_text(app)
        assert kinds(office)[-3:] == [
            EventKind.SAFE_DOOR_OPENED,
            EventKind.SAFE_DOOR_FORCED,
            EventKind.INCIDENT_OPENED,
        ]
        # Every screen: the office menu shows it too, and closing the door does not clear it.
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, OfficeScreen))
        assert app.screen.query_one(DoorAlarmBanner).display
        module.close_door()
        await wait_for(pilot, lambda: app.safe.door is Door.CLOSED)
        assert app.screen.query_one(DoorAlarmBanner).display
        # An officer cannot acknowledge it: the sign-in asks for a supervisor.
        await pilot.press("f11")
        await wait_for(pilot, lambda: "責任者のバッジとPIN" in screen_text(app))
        office.scan("O001")
        await wait_for(pilot, lambda: "O001" in [w.value for w in app.screen.query(Input)])
        await pilot.press(*"1111", "enter")
        await wait_for(pilot, lambda: "責任者（管理職）のバッジが必要です" in screen_text(app))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one(DoorAlarmBanner).display
        # A supervisor, with a reason: acknowledged, on record, and the banner goes.
        await pilot.press("f11")
        await wait_for(pilot, lambda: "責任者のバッジとPIN" in screen_text(app))
        await sign_in(pilot, office, "S001")
        await wait_for(pilot, lambda: "確認した内容" in screen_text(app))
        office.scan("keyholder-confirmed")
        await wait_for(pilot, lambda: not app.screen.query_one(DoorAlarmBanner).display)
        assert app.safe.alarms == ()
        ack = [e for e in office.ledger.events() if e.kind == EventKind.SAFE_ALARM_ACKNOWLEDGED]
        assert len(ack) == 1
        assert json.loads(ack[0].payload)["reason"] == "keyholder-confirmed"
        supervisor = office.ledger.staff_by_badge("S001")
        assert supervisor is not None
        assert ack[0].actor_id == supervisor.id


async def test_a_two_person_opening_releases_the_lock_and_the_door_open_blocks_closing(
    office: Office, module: SimSafeModule
) -> None:
    app = kiosk(office, module)
    async with app.run_test(size=(140, 40)) as pilot:
        await door_known(pilot, app)
        assert module.relay_writes == []  # never at start
        await open_safe(pilot, office)
        assert module.wait_for(lambda: module.coil)
        await wait_for(pilot, lambda: "錠: 解錠" in status_text(app))
        module.open_door()
        await wait_for(pilot, lambda: app.safe.door is Door.OPEN)
        assert not app.screen.query_one(DoorAlarmBanner).display  # a session is open: not forced
        await pilot.press("f8")
        await wait_for(pilot, lambda: verdict(app).code == "door_open")
        assert "扉が開いています" in verdict(app).text_shown
        assert app.session is not None
        module.close_door()
        await wait_for(pilot, lambda: app.safe.door is Door.CLOSED)
        await pilot.press("f8")
        await wait_for(pilot, lambda: "2人目" in screen_text(app) or "サインイン" in screen_text(app))
        await sign_in(pilot, office, "C001")
        await pilot.press("1", "2", "3", "enter")
        await wait_for(pilot, lambda: app.session is None)
        closed = [e for e in office.ledger.events() if e.kind == EventKind.SESSION_CLOSED][-1]
        assert json.loads(closed.payload)["door"] == "closed"
        assert module.locked


async def test_the_door_left_open_past_the_limit_is_said_and_recorded_once(
    office: Office, module: SimSafeModule
) -> None:
    app = kiosk(office, module)
    async with app.run_test(size=(140, 40)) as pilot:
        await door_known(pilot, app)
        await open_safe(pilot, office)
        module.open_door()
        await wait_for(pilot, lambda: app.safe.door is Door.OPEN)
        office.clock.advance(seconds=app.desk.door_open_limit_s + 1)
        app.tick()
        await wait_for(pilot, lambda: verdict(app).code == "door_left_open")
        app.tick()
        await app.call(lambda: None)  # whatever the second tick asked the core has been done
        assert app.safe.left_open_recorded
        assert kinds(office).count(EventKind.SAFE_DOOR_LEFT_OPEN) == 1


async def test_the_module_offline_shows_on_the_status_bar_and_the_safe_opens_by_key_with_a_supervisor(
    office: Office, module: SimSafeModule
) -> None:
    from kiosk.tui.screens.session import SessionScreen

    app = kiosk(office, module)
    async with app.run_test(size=(140, 40)) as pilot:
        await door_known(pilot, app)
        module.power_off()
        await wait_for(pilot, lambda: "扉・錠の機器: 切断" in status_text(app))
        assert verdict(app).code == "module_offline"
        assert EventKind.SAFE_IO_OFFLINE in kinds(office)
        await sign_in(pilot, office, "O001")
        await pilot.press("f2")
        await sign_in(pilot, office, "C001")
        await pilot.press("1", "2", "3", "enter")
        # Refused by the core, then the manual procedure: a supervisor and a reason.
        await wait_for(pilot, lambda: "手動手順を承認する責任者" in screen_text(app))
        await sign_in(pilot, office, "S001")
        await wait_for(pilot, lambda: "手動手順とする理由" in screen_text(app))
        office.scan("module-broken")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
        recorded = kinds(office)
        assert EventKind.SAFE_MANUAL_APPROVED in recorded
        opened = [e for e in office.ledger.events() if e.kind == EventKind.SESSION_OPENED][-1]
        assert json.loads(opened.payload)["manual"] == "key"
        assert module.relay_writes == []
        module.power_on()
        await wait_for(pilot, lambda: app.safe.online is True)
        await wait_for(pilot, lambda: "扉: 閉" in status_text(app))
        assert EventKind.SAFE_IO_ONLINE in kinds(office)[recorded.index(EventKind.SAFE_IO_OFFLINE) :]


async def test_without_a_module_the_status_bar_shows_no_door(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        assert "扉:" not in status_text(app)
        assert not app.screen.query_one(DoorAlarmBanner).display


async def pad(pilot: Pilot[Any], key: str) -> None:
    """F12, and `key` once the demo pad is on screen."""
    from kiosk.tui.screens.demo import DemoPadModal

    await pilot.press("f12")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, DemoPadModal))
    await pilot.press(key)
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, DemoPadModal))


async def test_the_demo_shows_the_door_and_its_pad_forces_it_and_switches_the_module_off(
    tmp_path: Path,
) -> None:
    """`kiosk demo`: the simulator's module is on the status bar; F12 f forces the door (alarm),
    F12 s shuts it, F12 p switches the module off (offline on every screen) and on again."""
    from kiosk.config import Settings
    from kiosk.demo.seed import seed_demo
    from kiosk.demo.sim import build_demo_rig
    from kiosk.ledger.engine import make_engine, upgrade
    from kiosk.ledger.service import Ledger
    from tests.conftest import FakeClock

    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"test-pepper", kiosk="kiosk-demo", clock=FakeClock())
    seed_demo(ledger)
    rig = build_demo_rig(ledger)
    app = KioskApp(devices=rig.devices, ledger=ledger, settings=Settings(), demo=rig, safe_io=rig.safe_io)
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_for(pilot, lambda: "扉: 閉" in status_text(app) and "錠: 施錠" in status_text(app))
            await pad(pilot, "f")
            await wait_for(pilot, lambda: app.screen.query_one(DoorAlarmBanner).display)
            assert rig.safe_module.forced_openings == 1
            assert EventKind.SAFE_DOOR_FORCED in [e.kind for e in ledger.events()]
            await pad(pilot, "s")
            await wait_for(pilot, lambda: "扉: 閉" in status_text(app))
            await pad(pilot, "p")
            await wait_for(pilot, lambda: "扉・錠の機器: 切断" in status_text(app))
            await pad(pilot, "p")
            await wait_for(pilot, lambda: "扉: 閉" in status_text(app), timeout=15)
            kinds = [e.kind for e in ledger.events()]
            assert kinds.index(EventKind.SAFE_IO_OFFLINE) < len(kinds) - 1 - kinds[::-1].index(
                EventKind.SAFE_IO_ONLINE
            )
    finally:
        rig.close()
        engine.dispose()


async def test_make_app_builds_the_module_from_the_settings(office: Office, module: SimSafeModule) -> None:
    """`[safe_io]` in the settings: `make_app` builds the driver, the kiosk watches the door."""
    from kiosk.app_factory import make_app
    from kiosk.config import SafeIoSettings

    section = SafeIoSettings(url=f"modbus-tcp://localhost:{module.port}", poll_ms=30, release_seconds=2)
    settings = office.settings.model_copy(
        update={
            "safe_io": section,
            "kiosk": office.settings.kiosk.model_copy(update={"terminal_wedge": False}),
        }
    )
    app = make_app(settings, ledger=office.ledger, clock=office.clock)
    async with app.run_test(size=(140, 40)) as pilot:
        await door_known(pilot, app)
        assert app.desk.release_seconds == 2
        module.force_door()
        await wait_for(pilot, lambda: app.screen.query_one(DoorAlarmBanner).display)
