"""A scanner that is missing at start shows why on the status bar, not only 切断."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from drivers.serial_scanner import SerialScanner
from tests.tui.conftest import Office, screen_text, verdict, wait_for


async def test_an_absent_scanner_says_path_absent_on_screen(office: Office, tmp_path: Path) -> None:
    missing = tmp_path / "by-id" / "usb-scanner-if00"
    scanner = SerialScanner(str(missing), name="counter", reconnect_interval=0.05)
    app = office.make(devices=[scanner])
    async with app.run_test(size=(140, 40)) as pilot:
        # In Japanese on the screen ("path absent" stays in the log and on an English screen).
        await wait_for(pilot, lambda: "接続されていません" in screen_text(app))
        assert "path absent" not in screen_text(app)
        assert verdict(app).code == "device_problem"
        assert "counter" in verdict(app).text_shown


async def test_a_scanner_unplugged_and_replugged_is_on_the_chain_for_the_supervisor(office: Office) -> None:
    from drivers.contract import DeviceStatus
    from kiosk.desk.supervision import overview as full_overview
    from kiosk.domain.retention import RetentionPolicy
    from tests.tui.conftest import SCANNER, devices_online

    def overview(ledger: Any, *, now: Any) -> Any:
        return full_overview(
            ledger, now=now, max_open_minutes=30, stocktake_every_days=30, policy=RetentionPolicy()
        )

    app = office.make()
    async with app.run_test(size=(140, 40)) as pilot:
        await devices_online(pilot, app)
        office.hub.unplug(SCANNER)
        await wait_for(pilot, lambda: app.links[SCANNER].status is not DeviceStatus.ONLINE)
        await wait_for(pilot, lambda: any(e.kind == "device_offline" for e in office.ledger.events()))
        down = overview(office.ledger, now=office.clock()).devices_offline
        assert [d.device for d in down] == [SCANNER]
        outage = max(e.seq for e in office.ledger.events() if e.kind == "device_offline")
        office.hub.replug(SCANNER)
        await wait_for(
            pilot, lambda: any(e.kind == "device_online" and e.seq > outage for e in office.ledger.events())
        )
        assert overview(office.ledger, now=office.clock()).devices_offline == ()
    device_events = [e.kind for e in office.ledger.events() if e.kind.startswith("device_")]
    assert device_events == ["device_offline", "device_online"]  # once per change, never per retry
