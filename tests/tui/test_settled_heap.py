"""Once the kiosk is up, start-up's objects are out of the collector's walk (a 50 ms pause per ~700 scans)."""

from __future__ import annotations

import gc

from tests.tui.conftest import Office, devices_online


async def test_the_kiosk_freezes_its_start_up_heap_before_the_devices_start(office: Office) -> None:
    gc.unfreeze()  # whatever an earlier test froze
    assert gc.get_freeze_count() == 0
    app = office.make()
    async with app.run_test(size=(140, 40)) as pilot:
        await devices_online(pilot, app)
        # Textual, SQLAlchemy and the screens: far more than a handful of objects are frozen.
        assert gc.get_freeze_count() > 10_000
