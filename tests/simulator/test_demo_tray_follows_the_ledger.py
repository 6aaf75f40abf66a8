"""Issue 21 item 10: the demo's day is consistent. The README's office day (open, take out three booked
cards, hand one over, put two back, close) ends with a clean stocktake: the simulator's tray follows the
ledger, so the card handed over is not in the tray photo and is never reported 予定外."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.app_factory import demo_stocktake_devices
from kiosk.config import Settings
from kiosk.demo.seed import seed_demo
from kiosk.demo.sim import DemoRig, build_demo_rig, ensure_demo_day
from kiosk.desk.counter import Counter
from kiosk.desk.views import SOURCE_TRAY, FinishKind
from kiosk.domain.safe_session import ScanMode
from kiosk.domain.status import CardStatus
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger
from tests.conftest import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rig(tmp_path: Path, clock: FakeClock) -> Iterator[DemoRig]:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"test-pepper", kiosk="kiosk-demo", clock=clock)
    seed_demo(ledger)
    demo = build_demo_rig(ledger, settings=Settings())
    yield demo
    demo.close()
    engine.dispose()


def test_the_readme_day_ends_with_a_clean_stocktake(rig: DemoRig) -> None:
    desk = rig.desk
    counter = Counter(desk)
    officer, clerk = desk.sign_in("O001", "1111"), desk.sign_in("C001", "3333")
    in_safe_before = {m for m in rig.cabinet.all_ids() if desk.card(m).status is CardStatus.IN_SAFE}  # type: ignore[union-attr]
    # The tray starts as the ledger has it: every card the ledger has in the safe, and no other.
    assert set(rig.cabinet.ids()) == in_safe_before

    counter.open_safe(officer, clerk, desk.settings.session.opening_checklist)

    def scan(mode: ScanMode, mid: str | None, **kw: object) -> str:
        assert mid is not None
        verdict = counter.scan(mid, actor=officer, mode=mode, device="scanner", source="code128", **kw)  # type: ignore[arg-type]
        assert verdict.ok, verdict
        return mid

    taken = [scan(ScanMode.TAKE_OUT, rig.next_pick()) for _ in range(3)]  # F12 1 three times
    assert not set(taken) & set(rig.cabinet.ids())  # out at the counter: not in the tray
    handed = scan(ScanMode.HAND_OVER, rig.card_out(), witness=clerk)  # F4, F12 2, the witness confirms
    back = [scan(ScanMode.PUT_BACK, rig.card_out()) for _ in range(2)]  # F3, F12 2 twice
    counter.close_safe(officer, clerk, desk.settings.session.closing_checklist)
    assert set(back) <= set(rig.cabinet.ids())
    assert handed not in rig.cabinet.ids()

    # The stocktake counts a real tray photo: the demo's webcam renders the tray, the camera driver
    # decodes it.
    counter.start_stocktake(officer, clerk)
    camera = demo_stocktake_devices(rig)[0].device
    camera.open()
    try:
        codes = [scan.code for scan in camera.capture_tray()]  # type: ignore[attr-defined]
    finally:
        camera.close()
    assert handed not in codes
    counter.count_many(codes, actor=officer, source=SOURCE_TRAY, device="webcam")
    outcome = counter.finish_stocktake({}, officer, clerk)
    assert outcome.kind is FinishKind.FINISHED
    result = outcome.result
    assert result is not None
    assert (result.missing, result.unexpected, result.unknown, result.misplaced) == ((), (), (), ())
    assert result.found == result.expected == len(in_safe_before) - 1


def test_a_later_demo_day_is_booked_by_the_supervisor_under_the_stricter_rule(
    rig: DemoRig, clock: FakeClock
) -> None:
    clock.advance(days=1)
    added = ensure_demo_day(rig.desk.ledger, settings=Settings())
    assert len(added) == 6
    supervisor = rig.desk.person_by_badge("S001")
    assert supervisor is not None
    booked = [e for e in rig.desk.ledger.events() if e.kind == "pick_list_added" and e.card_id in added]
    assert {e.actor_id for e in booked} == {supervisor.id}
