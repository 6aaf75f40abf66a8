"""A scanner that is missing at start shows why on the status bar, not only 切断."""

from __future__ import annotations

from pathlib import Path

from drivers.serial_scanner import SerialScanner
from tests.tui.conftest import Office, screen_text, verdict, wait_for


async def test_an_absent_scanner_says_path_absent_on_screen(office: Office, tmp_path: Path) -> None:
    missing = tmp_path / "by-id" / "usb-scanner-if00"
    scanner = SerialScanner(str(missing), name="counter", reconnect_interval=0.05)
    app = office.make(devices=[scanner])
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: "path absent" in screen_text(app))
        assert verdict(app).code == "device_problem"
        assert "counter" in verdict(app).text_shown
