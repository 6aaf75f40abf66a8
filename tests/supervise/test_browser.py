"""The supervisor's view in a real browser (Playwright with Debian's chromium) against a real server.

Each test serves the app with uvicorn in a thread, writes to the ledger the way the kiosk does (the
same ledger functions the simulator's station calls), and watches the page change by itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx

from kiosk.domain.safe_session import Override, ScanMode
from kiosk.domain.staff import MAX_FAILED_ATTEMPTS, Role
from kiosk.supervise.guard import CSP
from tests.conftest import PINS
from tests.ledger_ops import scan_in_session
from tests.supervise.conftest import Office, add, kinds_since

LIVE_TIMEOUT_MS = 10_000  # generous for a loaded CI machine; the latency itself is measured by the bench


def sign_in(page: Any, url: str, badge: str = "S001", pin: str = PINS["S001"]) -> Any:
    page.goto(url + "/signin")
    page.fill("#badge", badge)
    page.fill("#pin", pin)
    with page.expect_navigation():
        page.click("#signin-submit")
    return page


def test_sse_pushes_the_panel_when_the_ledger_moves(sqlite_office: Office, serve: Any) -> None:
    """Without a browser: the event stream carries a take-out made after it was opened."""
    office = sqlite_office
    served = serve(office)
    session = office.open_safe()
    office.book(office.cards[0])
    with httpx.Client(base_url=served.url, timeout=10) as client:
        form = client.get("/signin").text
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token is not None
        r = client.post("/signin", data={"badge": "S001", "pin": PINS["S001"], "csrf": token.group(1)})
        assert r.status_code == 303  # to the page, with the cookie set
        with client.stream("GET", "/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert stream.headers["content-security-policy"] == CSP
            lines = stream.iter_lines()
            first = _next_event(lines)
            assert first["event"] == "panel"
            row = f'data-card="{office.cards[0]}"'
            assert row not in first["data"]
            office.take_out(session, office.cards[0])
            later = _next_event(lines)
            while row not in later["data"]:
                later = _next_event(lines)
            assert int(later["id"]) == office.ledger.head()[0]


def _next_event(lines: Any) -> dict[str, str]:
    event: dict[str, str] = {"data": ""}
    for line in lines:
        if not line:
            if "event" in event:
                return event
            continue
        key, _, value = line.partition(": ")
        event[key] = event.get(key, "") + value + "\n" if key == "data" else value
    raise AssertionError("the stream ended")


def test_sign_in_and_watch_a_take_out_appear(sqlite_office: Office, serve: Any, browser_page: Any) -> None:
    office, page = sqlite_office, browser_page
    served = serve(office)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    response = page.goto(served.url + "/")
    assert response.url.endswith("/signin")
    assert response.headers["content-security-policy"] == CSP
    sign_in(page, served.url)
    assert page.locator("#who").inner_text().startswith("課長 三子")
    page.wait_for_selector("#live[data-state=on]", timeout=LIVE_TIMEOUT_MS)
    assert page.locator("#out .none").inner_text() == "持出中のカードはありません。"

    session = office.open_safe()
    page.wait_for_selector("#safes tr.safe.open[data-kiosk=kiosk-test]", timeout=LIVE_TIMEOUT_MS)
    office.book(office.cards[0])
    office.take_out(session, office.cards[0])  # nobody reloads the page
    row = page.wait_for_selector(f"#out tr[data-card='{office.cards[0]}']", timeout=LIVE_TIMEOUT_MS)
    assert "窓口 一郎" in row.inner_text()
    taken = page.locator("#today tr[data-kind=card_taken_out] td").inner_text()
    assert taken == "1"
    # The page ran under the CSP without a single violation (no inline script, no inline style).
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_the_overdue_alert_appears_when_the_clock_passes_the_limit(
    sqlite_office: Office, serve: Any, browser_page: Any
) -> None:
    office, page = sqlite_office, browser_page
    served = serve(office)
    office.open_safe()
    sign_in(page, served.url)
    page.wait_for_selector("#safes tr.safe.open", timeout=LIVE_TIMEOUT_MS)
    assert page.locator(".alert.overdue").count() == 0
    office.clock.advance(minutes=31)  # no event: only the clock moves
    alert = page.wait_for_selector(".alert.overdue", timeout=LIVE_TIMEOUT_MS)
    assert re.search(r"kiosk-test の保管庫が 31 分開いたまま", alert.inner_text())
    assert page.locator("#safes tr.safe.overdue").count() == 1


def test_failed_sign_ins_back_off_and_never_lock_the_badge(
    sqlite_office: Office, serve: Any, browser_page: Any
) -> None:
    office, page = sqlite_office, browser_page
    served = serve(office)
    seq = office.ledger.head()[0]
    for _ in range(MAX_FAILED_ATTEMPTS + 1):
        sign_in(page, served.url, pin="0000")
        text = page.locator("#signin-error").inner_text()
        assert "回" not in text  # no remaining-tries count
    assert "staff_locked" not in kinds_since(office.ledger, seq)
    sign_in(page, served.url)  # the right PIN while this address waits: not even looked at
    assert page.url.endswith("/signin")
    office.clock.advance(minutes=20)
    sign_in(page, served.url)
    page.wait_for_selector("#panel", timeout=LIVE_TIMEOUT_MS)
    assert office.ledger.staff_by_badge("S001").failed_attempts == 0  # type: ignore[union-attr]


def test_a_clerk_is_refused(sqlite_office: Office, serve: Any, browser_page: Any) -> None:
    served = serve(sqlite_office)
    sign_in(browser_page, served.url, badge="C001", pin=PINS["C001"])
    assert "サインインできませんでした" in browser_page.locator("#signin-error").inner_text()


def test_markup_in_a_name_shows_as_text(sqlite_office: Office, serve: Any, browser_page: Any) -> None:
    office, page = sqlite_office, browser_page
    name = "<script>document.title='x'</script><img src=x>花子"
    evil = add(office.ledger, name, "C099", Role.CLERK, "9999")
    session = office.open_safe()
    office.book(office.cards[0])
    served = serve(office)
    sign_in(page, served.url)
    assert scan_in_session(office.ledger, session.id, office.cards[0], ScanMode.TAKE_OUT, evil).ok
    row = page.wait_for_selector(f"#out tr[data-card='{office.cards[0]}']", timeout=LIVE_TIMEOUT_MS)
    assert name in row.inner_text()  # shown as the text it is
    assert page.locator("#panel img").count() == 0
    assert page.locator("#panel script").count() == 0
    assert page.title() != "x"


def test_english_switch_and_alerts(sqlite_office: Office, serve: Any, browser_page: Any) -> None:
    office, page = sqlite_office, browser_page
    served = serve(office)
    session = office.open_safe()
    office.take_out(session, office.cards[1], override=Override(office.crew.supervisor, "急ぎの交付"))
    office.ledger.record_refusal("mynumber_refused", attempted="take_out", device="scanner")
    sign_in(page, served.url)
    assert page.locator("#mynumber-count td").inner_text() == "1"
    assert "急ぎの交付" in page.locator("#alerts .overrides").inner_text()
    page.click("a.lang")
    page.wait_for_selector("text=Cards out now")
    assert "approved by 課長 三子" in page.locator("#alerts .overrides").inner_text()
    _screenshot(page, "supervise-en.png")


def test_screenshot_of_a_day_at_the_safe(sqlite_office: Office, serve: Any, browser_page: Any) -> None:
    """The README picture: three cards out, an overdue safe, alerts (saved when KIOSK_SCREENSHOTS is set)."""
    office, page = sqlite_office, browser_page
    served = serve(office)
    session = office.open_safe()
    office.book(*office.cards[:3])
    office.clock.advance(minutes=4)
    office.take_out(session, office.cards[0])
    office.clock.advance(minutes=9)
    office.take_out(session, office.cards[1])
    office.take_out(session, office.cards[5], override=Override(office.crew.supervisor, "窓口で本人確認済み"))
    scan_in_session(office.ledger, session.id, office.cards[6], ScanMode.TAKE_OUT, office.crew.clerk)
    office.ledger.record_refusal("mynumber_refused", attempted="take_out", device="scanner")
    office.clock.advance(minutes=20)
    sign_in(page, served.url)
    page.wait_for_selector(".alert.overdue", timeout=LIVE_TIMEOUT_MS)
    assert page.locator("#out tr.out-card").count() == 3
    _screenshot(page, "supervise.png")


def _screenshot(page: Any, name: str) -> None:
    folder = os.environ.get("KIOSK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_a_foreign_page_posting_the_form_is_refused(
    sqlite_office: Office, serve: Any, browser_page: Any
) -> None:
    """Issue 22: any web page could post the sign-in form (six wrong PINs per officer locked the safe)."""
    office, page = sqlite_office, browser_page
    served = serve(office)
    seq = office.ledger.head()[0]
    page.set_content(
        f'<form id="f" method="post" action="{served.url}/signin">'
        '<input name="badge" value="O001"><input name="pin" value="0000"></form>'
    )
    with page.expect_navigation():
        page.evaluate("document.getElementById('f').submit()")
    assert "refused" in page.content()
    assert kinds_since(office.ledger, seq) == []  # no PIN looked at, nothing counted
