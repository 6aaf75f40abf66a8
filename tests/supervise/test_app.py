"""The supervisor's web app through Starlette's TestClient (no browser): sign-in, cookies, headers,
escaping, the 12-digit guard, and that no route changes the ledger apart from sign-in events."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from kiosk.domain.staff import MAX_FAILED_ATTEMPTS, AuthError, Role
from kiosk.ledger.engine import make_engine
from kiosk.supervise.cookies import COOKIE
from kiosk.supervise.guard import CSP, ResponseGuard, has_twelve_digits, mask_twelve_digits
from tests.conftest import PINS
from tests.ledger_ops import deactivate_staff
from tests.supervise.conftest import ADMIN_PIN, FAST, Office, add, app_for, kinds_since

TWELVE = "1234" * 3  # built at run time, never a realistic number


@pytest.fixture
def client(office: Office) -> TestClient:
    return TestClient(app_for(office, FAST))


def csrf(client: TestClient) -> str:
    """The CSRF token of a freshly served sign-in form (its cookie is now in the client)."""
    match = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
    assert match is not None
    return match.group(1)


def sign_in(client: TestClient, badge: str, pin: str) -> Any:
    return client.post(
        "/signin",
        content=f"badge={badge}&pin={pin}&csrf={csrf(client)}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


def test_the_page_needs_a_sign_in(client: TestClient) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/signin"
    assert client.get("/panel").status_code == 401
    assert client.get("/events").status_code == 401
    page = client.get("/signin")
    assert page.status_code == 200
    assert "監督者サインイン" in page.text


def test_a_supervisor_signs_in_with_a_strict_expiring_cookie(client: TestClient, office: Office) -> None:
    seq = office.ledger.head()[0]
    r = sign_in(client, "S001", PINS["S001"])
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Max-Age=3600" in cookie
    assert kinds_since(office.ledger, seq) == ["signed_in"]
    assert office.ledger.events()[-1].device == "supervise"
    page = client.get("/")
    assert page.status_code == 200
    assert "課長 三子" in page.text
    assert 'id="panel"' in page.text


def test_an_administrator_may_sign_in_too(client: TestClient) -> None:
    assert sign_in(client, "A001", ADMIN_PIN).status_code == 303
    assert client.get("/").status_code == 200


def test_other_roles_are_refused_by_badge_with_the_one_message(client: TestClient, office: Office) -> None:
    seq = office.ledger.head()[0]
    r = sign_in(client, "C001", PINS["C001"])
    assert r.status_code == 403
    assert "サインインできませんでした" in r.text
    assert f"{COOKIE}=" not in r.headers.get("set-cookie", "")
    assert kinds_since(office.ledger, seq) == ["auth_failed"]
    refused = office.ledger.events()[-1]
    assert '"role"' in refused.payload  # refused by the badge's role, before its PIN was looked at
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_twelve_digit_badge_is_refused_by_reason_only(client: TestClient, office: Office) -> None:
    seq = office.ledger.head()[0]
    r = sign_in(client, TWELVE, "1111")
    assert r.status_code == 400
    assert "12桁" in r.text
    assert TWELVE not in r.text
    (ev,) = [e for e in office.ledger.events() if e.seq > seq]
    assert ev.kind == "refused"
    assert '"mynumber_refused"' in ev.payload
    assert TWELVE not in ev.payload


def test_the_cookie_expires_and_a_forged_one_is_refused(client: TestClient, office: Office) -> None:
    sign_in(client, "S001", PINS["S001"])
    assert client.get("/").status_code == 200
    good = client.cookies[COOKIE]
    client.cookies.set(COOKIE, good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
    assert client.get("/", follow_redirects=False).status_code == 303
    client.cookies.set(COOKIE, good)
    office.clock.advance(minutes=61)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_deactivated_supervisor_loses_the_view_at_once(client: TestClient, office: Office) -> None:
    sign_in(client, "S001", PINS["S001"])
    assert client.get("/").status_code == 200
    deactivate_staff(office.ledger, "S001")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(client: TestClient, office: Office) -> None:
    sign_in(client, "S001", PINS["S001"])
    cookie = client.cookies[COOKIE]
    r = client.post("/signout", follow_redirects=False)
    assert office.ledger.events()[-1].kind == "web_signed_out"
    assert r.status_code == 303
    client.cookies.set(COOKIE, cookie)  # even a copy kept aside no longer works
    assert client.get("/", follow_redirects=False).status_code == 303


def test_every_response_has_a_strict_csp(client: TestClient) -> None:
    sign_in(client, "S001", PINS["S001"])
    for path in ("/", "/signin", "/panel", "/static/style.css", "/static/live.js", "/nowhere"):
        r = client.get(path, follow_redirects=False)
        assert r.headers["content-security-policy"] == CSP, path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
    assert "unsafe-inline" not in CSP
    assert "script-src 'self'" in CSP
    page = client.get("/").text
    # No inline script: every <script> has a src.
    assert page.count("<script") == page.count('<script src="/static/')


def test_markup_in_a_name_shows_as_text(client: TestClient, office: Office) -> None:
    evil = add(office.ledger, "<script>alert(1)</script><b>太郎</b>", "C099", Role.CLERK, "9999")
    session = office.open_safe()
    office.book(office.cards[0])
    from kiosk.domain.safe_session import ScanMode
    from tests.ledger_ops import scan_in_session

    assert scan_in_session(office.ledger, session.id, office.cards[0], ScanMode.TAKE_OUT, evil).ok
    sign_in(client, "S001", PINS["S001"])
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;太郎&lt;/b&gt;" in page


def test_language_switch(client: TestClient) -> None:
    sign_in(client, "S001", PINS["S001"])
    assert "持出中のカード" in client.get("/").text
    r = client.get("/lang/en", follow_redirects=False)
    assert r.status_code == 303
    assert "SameSite=strict" in r.headers["set-cookie"] or "SameSite=Strict" in r.headers["set-cookie"]
    page = client.get("/").text
    assert "Cards out now" in page
    assert '<html lang="en">' in page
    client.get("/lang/ja")
    assert "持出中のカード" in client.get("/").text


def test_no_route_changes_the_ledger(client: TestClient, office: Office) -> None:
    office.open_safe()
    sign_in(client, "S001", PINS["S001"])
    head = office.ledger.head()
    for path in ("/", "/panel", "/signin", "/lang/en", "/lang/ja", "/static/style.css", "/nowhere"):
        client.get(path)
    for method in ("put", "delete", "patch"):
        assert getattr(client, method)("/").status_code == 405
    assert client.post("/").status_code == 405
    assert client.post("/panel").status_code == 405
    assert office.ledger.head() == head


def test_the_guard_refuses_a_page_and_masks_a_stream() -> None:
    async def page(request: object) -> PlainTextResponse:
        return PlainTextResponse(f"number {TWELVE} here")

    async def spaced(request: object) -> PlainTextResponse:
        return PlainTextResponse("number " + " ".join(["1234", "5678", "9012"]))

    async def fine(request: object) -> PlainTextResponse:
        return PlainTextResponse("card 7000000012, 2026-04-01 09:30, " + "1" * 13)

    async def stream(request: object) -> StreamingResponse:
        async def chunks() -> object:
            yield "a\n"
            yield f"data: {TWELVE}\n"

        return StreamingResponse(chunks(), media_type="text/event-stream")

    app = Starlette(
        routes=[
            Route("/page", page),
            Route("/spaced", spaced),
            Route("/fine", fine),
            Route("/stream", stream),
        ]
    )
    c = TestClient(ResponseGuard(app))
    for path in ("/page", "/spaced"):
        r = c.get(path)
        assert r.status_code == 500
        assert TWELVE not in r.text
        assert "12桁" in r.text
        assert r.headers["content-security-policy"] == CSP
    assert c.get("/fine").status_code == 200
    r = c.get("/stream")
    assert TWELVE not in r.text
    assert "data: ************" in r.text


def test_full_width_digits_are_caught() -> None:
    assert has_twelve_digits("１２３４５６７８９０１２".encode())
    assert not has_twelve_digits(b"12345678901")
    assert not has_twelve_digits(b"1234567890123")
    assert mask_twelve_digits(f"x{TWELVE}y".encode()) == b"x************y"


def test_the_head_hash_is_shown_in_groups_so_it_never_trips_the_guard(office: Office) -> None:
    from kiosk.supervise.app import fmt_hash

    assert fmt_hash("0123456789abcdef0123") == "0123·4567·89ab·cdef…"
    assert not has_twelve_digits(fmt_hash("1" * 64).encode())


def test_the_session_length_follows_the_clock(office: Office) -> None:
    c = TestClient(app_for(office, FAST))
    sign_in(c, "S001", PINS["S001"])
    office.clock.now += timedelta(minutes=59)
    assert c.get("/").status_code == 200


def kiosk_wrong_pin(office: Office, badge: str) -> None:
    """A wrong PIN at the kiosk (the web view never counts one towards the lockout)."""
    with pytest.raises(AuthError):
        office.ledger.authenticate(badge, "0000", device="kiosk-test")


def test_a_lockout_that_ran_out_is_no_longer_shown(client: TestClient, office: Office) -> None:
    for _ in range(MAX_FAILED_ATTEMPTS):
        kiosk_wrong_pin(office, "C002")
    sign_in(client, "S001", PINS["S001"])
    assert "窓口 二郎" in client.get("/panel").text
    office.clock.advance(minutes=office.ledger.lockout_minutes + 1)
    sign_in(client, "S001", PINS["S001"])  # the first cookie has not expired, but sign in afresh anyway
    panel = client.get("/panel").text
    assert 'class="alert locked"' not in panel


def test_a_locked_supervisor_loses_the_view(client: TestClient, office: Office) -> None:
    sign_in(client, "S001", PINS["S001"])
    assert client.get("/").status_code == 200
    for _ in range(MAX_FAILED_ATTEMPTS):
        kiosk_wrong_pin(office, "S001")  # someone at the kiosk locks the badge
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_ledger_that_cannot_be_read_is_one_line_on_the_page(
    client: TestClient, office: Office, owner_url: str
) -> None:
    sign_in(client, "S001", PINS["S001"])
    owner = make_engine(owner_url)  # only the schema's owner may rename a table (not the kiosk's role)
    with owner.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE ledger_head RENAME TO ledger_head_gone")
    try:
        r = client.get("/panel")
        assert r.status_code == 200
        assert "管理簿を読めません" in r.text
        assert "Traceback" not in r.text
        assert "SELECT" not in r.text
    finally:
        with owner.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE ledger_head_gone RENAME TO ledger_head")
        owner.dispose()
