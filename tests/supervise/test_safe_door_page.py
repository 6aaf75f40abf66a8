"""The safes' doors, locks and every device on the supervisor's page, in a real browser (Playwright with
Debian's chromium) against a real server, while the core records what the door/lock module reports.

The reports go through the application core exactly as the kiosk's device link hands them over
(`Desk.observe_safe`), so the page shows what the chain holds, live, with nobody reloading.
"""

from __future__ import annotations

from typing import Any

from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.domain.safe_door import Door, DoorSeen, Lock, LockSeen, ModuleSeen
from tests.supervise.conftest import Office
from tests.supervise.test_browser import LIVE_TIMEOUT_MS, sign_in


def test_the_door_lock_module_and_devices_show_and_follow_the_chain(
    sqlite_office: Office, serve: Any, browser_page: Any
) -> None:
    office, page = sqlite_office, browser_page
    desk = Desk(office.ledger, Settings())
    served = serve(office)
    sign_in(page, served.url)
    page.wait_for_selector("#live[data-state=on]", timeout=LIVE_TIMEOUT_MS)
    assert "扉・錠の入出力機器の記録はありません" in page.locator("#doors-none").inner_text()

    desk.watch_safe(None, module="safe-io")
    for seen in (ModuleSeen(True), LockSeen(Lock.ENGAGED, "read"), DoorSeen(Door.CLOSED, initial=True)):
        desk.observe_safe(seen)
    desk.record_device("scanner", online=False, reason="path absent")
    row = page.wait_for_selector(
        "#doors tr[data-door-kiosk=kiosk-test][data-door=closed][data-lock=engaged][data-module=online]",
        timeout=LIVE_TIMEOUT_MS,
    )
    assert "閉" in row.inner_text()
    assert "施錠" in row.inner_text()
    scanner = page.wait_for_selector("#device-states tr[data-device=scanner][data-state=offline]")
    assert "切断" in scanner.inner_text()
    assert "path absent" not in scanner.inner_text()  # the driver's English stays in the log and the ledger
    assert page.locator("#device-states tr[data-device=safe-io][data-state=online]").count() == 1

    # The door opened with no session open: forced; the alert and the row follow without a reload.
    desk.observe_safe(DoorSeen(Door.OPEN))
    alert = page.wait_for_selector(".alert.door-forced[data-kiosk=kiosk-test]", timeout=LIVE_TIMEOUT_MS)
    assert "保管庫利用なしに扉が開きました" in alert.inner_text()
    page.wait_for_selector("#doors tr[data-door=open]", timeout=LIVE_TIMEOUT_MS)
    assert page.locator("#doors tr td.alarm").inner_text() != "なし"

    # The module goes offline, the scanner comes back: each device shows its last record.
    desk.observe_safe(ModuleSeen(False, "no answer"))
    desk.record_device("scanner", online=True)
    page.wait_for_selector("#doors tr[data-module=offline]", timeout=LIVE_TIMEOUT_MS)
    page.wait_for_selector(".alert.door-module[data-kiosk=kiosk-test]", timeout=LIVE_TIMEOUT_MS)
    module = page.wait_for_selector("#device-states tr[data-device=safe-io][data-state=offline]")
    assert "切断" in module.inner_text()
    scanner_back = "#device-states tr[data-device=scanner][data-state=online]"
    page.wait_for_selector(scanner_back, timeout=LIVE_TIMEOUT_MS)

    # A supervisor acknowledges the alarm at the kiosk: the alert goes, the incident closes.
    desk.acknowledge_door_alarm(office.crew.supervisor, "鍵の保管者に確認した")
    page.wait_for_selector(".alert.door-forced", state="detached", timeout=LIVE_TIMEOUT_MS)
    assert page.locator("#doors tr td.alarm").inner_text() == "なし"
