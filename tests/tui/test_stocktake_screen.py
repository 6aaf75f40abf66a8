"""The stocktake screen (点検) through simulator devices: barcode scans on the sim:// scanner, tray
photos from the simulated webcam (real Camera driver and decoders), RFID rounds from the simulated UHF
reader on a pty (real UhfReader driver). Assertions on the ledger and on what the screen shows."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from drivers.camera import Camera
from drivers.contract import DeviceStatus
from drivers.rfid_uhf import UhfReader
from drivers.serial_scanner import SerialScanner
from drivers.wedge_device import KeyboardWedge
from kiosk.ledger import models
from kiosk.tui.app import KioskApp
from kiosk.tui.screens.dialogs import EntryModal
from kiosk.tui.screens.home import HomeScreen
from kiosk.tui.screens.signin import SignInModal
from kiosk.tui.screens.stocktake import DecideMissingModal, StocktakeDoneModal, StocktakeScreen
from kiosk.tui.stocktake_devices import StocktakeInstrument
from simulator.cabinet import Cabinet, VirtualCard
from simulator.hub import SimHub
from tests.ledger_ops import open_stocktake, reconcile
from tests.ledger_ops import start as start_stocktake
from tests.tui.conftest import (
    CARDS,
    SCANNER,
    Office,
    devices_online,
    sign_in,
    verdict,
    wait_for,
)

GONE = CARDS[8:]  # taken out of the cabinet before the stocktake: the ones it must find missing


def tag(i: int) -> str:
    return f"E280{i:020X}"


@pytest.fixture
def cabinet(office: Office) -> Cabinet:
    """The office's ten cards with bound UHF tags, minus the two that went astray."""
    officer = office.ledger.staff_by_badge("O001")
    assert officer is not None
    cab = Cabinet()
    for i, mid in enumerate(CARDS):
        cab.add(VirtualCard(mid, tag_epc=tag(i)))
        office.ledger.bind_rfid(mid, tag(i), actor_id=officer.id)
    for mid in GONE:
        cab.remove(mid)
    return cab


@pytest.fixture
def instruments(cabinet: Cabinet) -> Iterator[tuple[SimHub, Any, Any]]:
    with SimHub(cabinet) as hub:
        webcam = hub.add_camera("webcam", seed=3, still_size=(1920, 1080))
        uhf = hub.add_uhf("uhf", seed=3, miss_rate=0.2)
        yield hub, webcam, uhf


def app_with_instruments(office: Office, uhf_path: str, webcam: Any, **kwargs: Any) -> KioskApp:
    devices = [
        SerialScanner(office.hub.url(SCANNER), name=SCANNER, reconnect_interval=0.05, dedup_window=0),
        KeyboardWedge("keyboard", dedup_window=0),
        StocktakeInstrument(Camera(webcam, name="webcam", check_frozen=False)),
        StocktakeInstrument(UhfReader(uhf_path, name="uhf", response_timeout=0.5)),
    ]
    return office.make(devices=devices, **kwargs)


async def start_via_ui(pilot: Pilot[Any], office: Office, first: str = "O001", second: str = "C001") -> None:
    app: Any = pilot.app
    await devices_online(pilot, app)
    await sign_in(pilot, office, first)
    await pilot.press("f5")
    await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
    await sign_in(pilot, office, second)


def stocktake_screen(app: KioskApp) -> StocktakeScreen:
    screen = app.screen
    assert isinstance(screen, StocktakeScreen)
    return screen


def shown(app: KioskApp, widget_id: str) -> str:
    return str(app.screen.query_one(widget_id, Static).content)


def missing_shown(app: KioskApp) -> list[str]:
    """The IDs on the screen's missing list."""
    return [line.split()[1] for line in shown(app, "#st-missing").splitlines() if line.startswith("□ ")]


async def due_checked(pilot: Pilot[Any], app: KioskApp) -> None:
    """The home screen has its answer to "is a stocktake due?" (read on the reader thread)."""
    await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.due_checked > 0)


def events(office: Office, kind: str) -> list[models.Event]:
    with office.ledger.read() as s:
        return list(s.scalars(select(models.Event).where(models.Event.kind == kind)).all())


async def test_stocktake_from_three_sources_then_decide_and_sign(
    office: Office, instruments: tuple[SimHub, Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hub, webcam, uhf = instruments
    app = app_with_instruments(office, uhf.path, webcam)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_via_ui(pilot, office)
        await wait_for(pilot, lambda: isinstance(app.screen, StocktakeScreen))
        st = open_stocktake(office.ledger)
        assert st is not None
        assert st.expected == len(CARDS)
        assert "10" in shown(app, "#st-counts")

        # Barcode: location-first counting.
        office.scan("L:shelf-1")
        await wait_for(pilot, lambda: verdict(app).code == "st_location")
        assert "shelf-1" in shown(app, "#st-info")
        for mid in CARDS[4:6]:
            office.scan(mid)
            await wait_for(
                pilot, lambda mid=mid: verdict(app).code == "st_found" and mid in verdict(app).text_shown
            )

        # Tray photo of four cards.
        webcam.tray_ids = CARDS[:4]
        await pilot.press("f3")
        await wait_for(
            pilot,
            lambda: (
                verdict(app).code == "st_batch"
                and "tray" in str(dict(reconcile(office.ledger, st.id).sources))
            ),
        )
        # RFID rounds over the whole cabinet, until three quiet rounds.
        await pilot.press("f4")
        await wait_for(
            pilot,
            lambda: stocktake_screen(app).busy is None and "rfid" in reconcile(office.ledger, st.id).sources,
            timeout=20,
        )

        result = reconcile(office.ledger, st.id)
        assert result.sources == {"barcode": 2, "tray_photo": 4, "rfid": 2}
        assert result.missing_ids == GONE
        await wait_for(pilot, lambda: missing_shown(app) == GONE)
        assert "8 / 10" in shown(app, "#st-counts")

        # Finishing: refused until each missing card has a decision.
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, DecideMissingModal))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DecideMissingModal)
        assert "2" in str(app.screen.query_one("#message", Static).content)
        assert app.bells_rung[-1] == 2
        assert events(office, "stocktake_finished") == []

        await pilot.press("m")  # record the first one missing, with a note
        await wait_for(pilot, lambda: isinstance(app.screen, EntryModal))
        app.screen.query_one("#entry", Input).value = "全棚を2名で捜索したが見つからない"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DecideMissingModal))
        await pilot.press("enter")  # one still undecided
        await pilot.pause()
        assert isinstance(app.screen, DecideMissingModal)
        await pilot.press("f")  # the second was found elsewhere
        await wait_for(pilot, lambda: isinstance(app.screen, EntryModal))
        app.screen.query_one("#entry", Input).value = "窓口の机の引き出しで発見"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DecideMissingModal))
        decisions = app.screen.query_one(DataTable)
        assert decisions.row_count == 2
        await pilot.press("enter")

        # The second signature.
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O002")
        await wait_for(pilot, lambda: isinstance(app.screen, StocktakeDoneModal))
        done = str(app.screen.query_one("#st-done", Static).content)
        reports = app.settings.paths.data_dir / "reports"
        assert str(reports / f"stocktake-report-{st.id}.pdf") in done
        # No printer in this office's settings: the dialog says the paper was kept, not printed.
        assert "プリンターが設定されていないため印刷していません" in done
        assert "9 / 10" in done

        finished = events(office, "stocktake_finished")
        assert len(finished) == 1
        payload = json.loads(finished[0].payload)
        assert payload["recorded_missing"] == [GONE[0]]
        assert payload["found_elsewhere"] == [GONE[1]]
        officer, deputy = office.ledger.staff_by_badge("O001"), office.ledger.staff_by_badge("O002")
        assert officer is not None
        assert deputy is not None
        assert (finished[0].actor_id, finished[0].witness_id) == (officer.id, deputy.id)
        assert [e.card_id for e in events(office, "card_missing")] == [GONE[0]]
        assert [e.card_id for e in events(office, "incident_opened")] == [GONE[0]]
        assert open_stocktake(office.ledger) is None
        assert (reports / f"stocktake-report-{st.id}.csv").exists()
        assert (reports / f"stocktake-report-{st.id}.pdf").read_bytes().startswith(b"%PDF")

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert verdict(app).code == "st_finished"


async def test_start_needs_a_second_person_and_an_officer(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_via_ui(pilot, office, first="C001", second="C002")
        await wait_for(pilot, lambda: verdict(app).code == "two_person")
        assert isinstance(app.screen, HomeScreen)
        assert open_stocktake(office.ledger) is None


async def test_resume_after_a_restart_with_all_counts(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_via_ui(pilot, office)
        await wait_for(pilot, lambda: isinstance(app.screen, StocktakeScreen))
        for mid in CARDS[:3]:
            office.scan(mid)
            await wait_for(pilot, lambda mid=mid: mid in verdict(app).text_shown)
        office.scan("L:shelf-2")
        await wait_for(pilot, lambda: verdict(app).code == "st_location")
    # The kiosk went away mid-stocktake (the ledger had committed every scan); a new app resumes it
    # once the old one has let go of the scanner.
    deadline = time.monotonic() + 10
    while any(link.device.status is not DeviceStatus.OFFLINE for link in app.links.values()):
        assert time.monotonic() < deadline, "the old app kept its devices"
        time.sleep(0.02)
    again = office.make()
    async with again.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, again)
        await wait_for(pilot, lambda: "F5" in shown(again, "#st-due-banner"))
        await sign_in(pilot, office, "O002")
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(again.screen, StocktakeScreen))
        await wait_for(pilot, lambda: "3 / 10" in shown(again, "#st-counts"))
        assert verdict(again).code == "st_resumed"
        assert missing_shown(again) == CARDS[3:]
        # Counting goes on where it stopped: the scanner still counts at shelf-2 (recorded on the device).
        office.scan(CARDS[3])
        await wait_for(pilot, lambda: CARDS[3] in verdict(again).text_shown)
        assert verdict(again).code == "st_found"
        office.scan(CARDS[0])
        await wait_for(pilot, lambda: verdict(again).code == "st_duplicate")


async def test_due_banner_until_a_stocktake_is_done(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        await due_checked(pilot, app)
        banner = app.screen.query_one("#st-due-banner", Static)
        assert banner.display
        assert "点検が未実施" in str(banner.content)
    from tests.ledger_ops import finish

    officer, deputy = office.ledger.staff_by_badge("O001"), office.ledger.staff_by_badge("O002")
    assert officer is not None
    assert deputy is not None
    st = start_stocktake(office.ledger, officer, deputy)
    from kiosk.domain.stocktake import Decision, MissingDecision

    finish(
        office.ledger,
        st.id,
        {m: MissingDecision(Decision.FOUND_ELSEWHERE, "机の上") for m in CARDS},
        officer,
        deputy,
    )
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        await due_checked(pilot, app)
        assert not app.screen.query_one("#st-due-banner", Static).display
    office.clock.advance(days=office.settings.stocktake.due_every_days)
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        await due_checked(pilot, app)
        banner = app.screen.query_one("#st-due-banner", Static)
        assert banner.display
        assert "定期点検" in str(banner.content)


async def test_demo_scenario_two_cards_removed_show_missing(tmp_path: Path) -> None:
    """`kiosk demo`: F12 r takes two cards out of the simulated cabinet; an RFID round (F12 u) then
    counts everything else, and exactly those two are missing."""
    from kiosk.app_factory import demo_stocktake_devices
    from kiosk.config import Settings
    from kiosk.demo.seed import seed_demo
    from kiosk.demo.sim import build_demo_rig
    from kiosk.ledger.engine import make_engine, upgrade
    from kiosk.ledger.service import Ledger
    from tests.conftest import FakeClock

    clock = FakeClock()
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"test-pepper", kiosk="kiosk-demo", clock=clock)
    seed_demo(ledger)
    rig = build_demo_rig(ledger)
    app = KioskApp(
        devices=[*rig.devices, *demo_stocktake_devices(rig)],
        ledger=ledger,
        settings=Settings(),
        clock=clock,
        demo=rig,
    )
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await devices_online(pilot, app)
            before = set(rig.cabinet.ids())
            await pilot.press("f12", "r")
            await wait_for(pilot, lambda: len(rig.cabinet) == len(before) - 2)
            removed = sorted(before - set(rig.cabinet.ids()))
            for badge, pin in (("O001", "1111"), ("O002", "2222")):
                if badge == "O001":
                    await pilot.press("f5")
                await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
                rig.scan(badge)
                await wait_for(
                    pilot, lambda badge=badge: app.screen.query_one("#badge", Input).value == badge
                )
                await pilot.press(*pin, "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, StocktakeScreen))
            await pilot.press("f12", "u")
            st = open_stocktake(ledger)
            assert st is not None
            await wait_for(pilot, lambda: reconcile(ledger, st.id).missing_ids == removed, timeout=30)
            await wait_for(pilot, lambda: stocktake_screen(app).busy is None, timeout=30)
            await wait_for(pilot, lambda: missing_shown(app) == removed)
    finally:
        rig.close()
        engine.dispose()


def test_stocktake_screen_snapshot(office: Office, snap_compare: Any) -> None:
    app = office.make()

    async def ready(pilot: Pilot[Any]) -> None:
        await start_via_ui(pilot, office)
        await wait_for(pilot, lambda: isinstance(app.screen, StocktakeScreen))
        office.scan("L:shelf-1")
        await wait_for(pilot, lambda: verdict(app).code == "st_location")
        for mid in CARDS[:3]:
            office.scan(mid)
            await wait_for(pilot, lambda mid=mid: mid in verdict(app).text_shown)
        office.scan(CARDS[0])
        await wait_for(pilot, lambda: verdict(app).code == "st_duplicate")
        await wait_for(pilot, lambda: "3 / 10" in shown(app, "#st-counts"))
        await wait_for(pilot, lambda: CARDS[0] in shown(app, "#st-other"))

    assert snap_compare(app, terminal_size=(120, 40), run_before=ready)


async def test_decisions_made_before_a_search_again_stand_at_the_next_finish(office: Office) -> None:
    app = office.make()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_via_ui(pilot, office)
        await wait_for(pilot, lambda: isinstance(app.screen, StocktakeScreen))
        for mid in CARDS[:8]:
            office.scan(mid)
            await wait_for(pilot, lambda mid=mid: mid in verdict(app).text_shown)
        await wait_for(pilot, lambda: missing_shown(app) == GONE)

        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, DecideMissingModal))
        await pilot.press("m")  # the first: record missing, with a note
        await wait_for(pilot, lambda: isinstance(app.screen, EntryModal))
        app.screen.query_one("#entry", Input).value = "全棚を捜索したが見つからない"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DecideMissingModal))
        await pilot.press("s")  # the second: search again
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O002")
        await wait_for(pilot, lambda: verdict(app).code == "st_search_again")
        assert events(office, "stocktake_finished") == []

        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, DecideMissingModal))
        modal = app.screen
        assert isinstance(modal, DecideMissingModal)
        kept = modal.decisions
        assert list(kept) == [GONE[0]]
        assert kept[GONE[0]].note == "全棚を捜索したが見つからない"
        assert "全棚を捜索したが見つからない" in str(modal.query_one(DataTable).get_row(GONE[0]))


async def test_a_tray_photo_too_coarse_to_read_says_what_resolution_it_needs(office: Office) -> None:
    """Issue 25: a 1080p photo of a tray whose labels are too small gets the screen's own words: how
    many labels, the resolution or nearness needed; never a silent "0 read"."""
    from simulator.cabinet import make_management_id
    from simulator.camera import FrameReplay
    from simulator.render import render_tray

    tray = [make_management_id(80_000 + i) for i in range(60)]
    frame = render_tray(tray, seed=3, size=(1920, 1080), bar_px=1, module_px=1, blur_sigma=0.8)
    camera = Camera(FrameReplay([frame]), name="webcam", check_frozen=False, mode="tray")
    devices = [
        SerialScanner(office.hub.url(SCANNER), name=SCANNER, reconnect_interval=0.05, dedup_window=0),
        StocktakeInstrument(camera),
    ]
    app = office.make(devices=devices)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_via_ui(pilot, office)
        await wait_for(pilot, lambda: isinstance(app.screen, StocktakeScreen))
        await pilot.press("f3")
        await wait_for(pilot, lambda: verdict(app).code == "st_tray_coarse", timeout=30)
        text = verdict(app).text_shown
        assert "小さすぎて" in text
        assert "1920×1080" not in text  # a finer resolution than the photo's own
        needed = re.search(r"(\d+)×(\d+) 以上の解像度", text)
        assert needed is not None, text
        width, height = int(needed[1]), int(needed[2])
        assert width > 1920
        assert height > 1080
        assert "倍近づけて" in text
