"""The supervisor's view: a read-only Starlette app over the ledger (`kiosk supervise`).

Routes: `/` the page, `/panel` its live part, `/events` the same part pushed by server-sent events,
`/signin` (GET form, POST badge + PIN), `/signout`, `/lang/{ja|en}`, `/static/…`. Only the sign-in and
the sign-out write to the ledger, through the core (signed_in / auth_failed, `web_signed_out`, device
"supervise") or a `refused` event for a 12-digit badge.

The sign-in is built for a hostile LAN (issue 22): only a supervisor's or administrator's badge gets as
far as its PIN, and a wrong PIN here never counts towards the kiosk's lockout (a back-off per client
address instead); one message and one PIN hash's work for every refusal, no remaining-tries count; a
CSRF token and a same-origin check on every POST; the body refused by its Content-Length (and a running
limit when chunked) before it is read; `Secure` cookies when served over TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kiosk.desk import Desk, StorageError, supervision
from kiosk.domain.card_state import OFFICE_TZ
from kiosk.domain.guard import REASON_MYNUMBER, looks_like_individual_number
from kiosk.domain.retention import RetentionPolicy
from kiosk.domain.staff import AuthError, StaffMember
from kiosk.supervise.cookies import COOKIE, CSRF_COOKIE, KEY_CONTEXT, LANG_COOKIE, Sessions
from kiosk.supervise.guard import ResponseGuard, has_twelve_digits
from kiosk.texts import alert_name, code_label
from kiosk.texts import kind_name as kind_label
from kiosk.texts.supervisor import LANGS, Lang, translator

if TYPE_CHECKING:
    from kiosk.config import Settings

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
DEVICE = "supervise"
SIGN_IN = "supervise_sign_in"  # the `attempted` of a refused sign-in to this view
MAX_FORM_BYTES = 4096
ALERT_LINES = 20  # the newest alerts on the page
BACKOFF_FREE_TRIES = 3  # wrong tries from one address before the back-off starts
BACKOFF_MAX_SECONDS = 15 * 60


class BodyTooLarge(Exception):
    """A request body over MAX_FORM_BYTES (refused before or while it is read)."""


class Backoff:
    """A sign-in back-off per client address (never per account: the kiosk's lockout is not reachable).

    After `BACKOFF_FREE_TRIES` failures from one address, each further failure doubles the wait before
    that address may try again (1 s, 2 s, 4 s … up to 15 minutes); a success clears it. In memory: a
    restart of the view forgets it, which costs an attacker a restart they cannot cause.
    """

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._failures: dict[str, tuple[int, float]] = {}

    def wait(self, address: str) -> float:
        """Seconds this address must still wait before its next try (0: it may try now)."""
        failures = self._failures.get(address)
        if failures is None:
            return 0.0
        return max(0.0, failures[1] - self.clock().timestamp())

    def failed(self, address: str) -> None:
        count = self._failures.get(address, (0, 0.0))[0] + 1
        delay = (
            0.0
            if count < BACKOFF_FREE_TRIES
            else min(2.0 ** (count - BACKOFF_FREE_TRIES), BACKOFF_MAX_SECONDS)
        )
        self._failures[address] = (count, self.clock().timestamp() + delay)
        if (
            len(self._failures) > 10_000
        ):  # a flood of addresses: forget the oldest entries, keep memory bounded
            for key in list(self._failures)[:5_000]:
                del self._failures[key]

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)


@dataclass(frozen=True, slots=True)
class ViewSettings:
    """What the view needs from the settings ([session], [stocktake], [retention], [kiosk])."""

    max_open_minutes: int = 30
    stocktake_every_days: int = 30
    policy: RetentionPolicy | None = None
    language: Lang = "ja"
    session_minutes: int = 60
    # The live stream is woken by the core when the head moves; it reads the head on this timer only for
    # a ledger that cannot be watched (in memory), and waits at least a second after a storage failure.
    poll_seconds: float = 0.5
    # False: read the head every `poll_seconds` instead of being woken (the bench's comparison; or a
    # PostgreSQL behind a pooler in transaction mode, where LISTEN does not work).
    push: bool = True
    refresh_seconds: float = 5.0  # re-render anyway (clock-driven alerts: overdue, minutes out)

    @classmethod
    def from_settings(cls, settings: Settings, *, session_minutes: int = 60) -> ViewSettings:
        return cls(
            max_open_minutes=settings.session.max_open_minutes,
            stocktake_every_days=settings.stocktake.due_every_days,
            policy=RetentionPolicy.from_settings(settings.retention),
            language=settings.kiosk.language,
            session_minutes=session_minutes,
        )


def fmt_time(at: datetime | None, fmt: str = "%H:%M") -> str:
    return at.astimezone(OFFICE_TZ).strftime(fmt) if at else ""


def fmt_hash(value: str) -> str:
    """A hash in groups of four, so the page never shows a run of 12 digits."""
    return "·".join(value[i : i + 4] for i in range(0, min(len(value), 16), 4)) + (
        "…" if len(value) > 16 else ""
    )


class SupervisorView:
    """The app's state: the application core, the clock, the cookie signer and the templates."""

    def __init__(
        self,
        desk: Desk,
        view: ViewSettings,
        *,
        clock: Callable[[], datetime] | None = None,
        cookie_key: bytes | None = None,
    ) -> None:
        self.desk = desk
        self.view = view
        self.clock = clock or desk.now
        self.policy = view.policy or RetentionPolicy()
        self.backoff = Backoff(self.clock)
        self.sessions = Sessions(
            cookie_key if cookie_key is not None else desk.key_for(KEY_CONTEXT),
            minutes=view.session_minutes,
            clock=self.clock,
        )
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"], default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    # -- who and which language ---------------------------------------------------------------

    def lang(self, request: Request) -> Lang:
        value = request.cookies.get(LANG_COOKIE)
        for lang in LANGS:
            if value == lang:
                return lang
        return self.view.language

    def member(self, request: Request) -> StaffMember | None:
        held = self.sessions.holder(request.cookies.get(COOKIE))
        if held is None:
            return None
        return self.desk.supervising_member(held[0], self.clock(), held[1])

    # -- rendering ----------------------------------------------------------------------------

    def render(self, name: str, lang: Lang, **values: Any) -> str:
        template = self.templates.get_template(name)
        return template.render(
            t=translator(lang),
            lang=lang,
            other_lang="en" if lang == "ja" else "ja",
            fmt_time=fmt_time,
            fmt_hash=fmt_hash,
            kind_label=lambda k: kind_label(k, lang),
            code_label=lambda c: code_label(c, lang),
            **values,
        )

    def overview(self) -> supervision.Overview:
        return self.desk.supervision_overview(
            now=self.clock(),
            max_open_minutes=self.view.max_open_minutes,
            stocktake_every_days=self.view.stocktake_every_days,
            policy=self.policy,
        )

    def head_seq(self) -> int:
        return self.desk.head_seq()

    def panel(self, lang: Lang) -> str:
        try:
            overview = self.overview()
            sent = self.desk.alert_history(ALERT_LINES)
        except StorageError as exc:
            log.warning("supervise: %s", exc.reason)
            return self.render("unavailable.html", lang, reason=exc.reason)
        html = self.render(
            "panel.html", lang, o=overview, sent_alerts=sent, alert_label=lambda k: alert_name(k, lang)
        )
        if has_twelve_digits(html.encode()):
            # Defence in depth: the middleware would refuse the page; say so in the page instead.
            log.warning("supervise: the panel held a 12-digit run and was not shown")
            return self.render("refused.html", lang)
        return html


# -- routes ------------------------------------------------------------------------------------------


def _state(request: Request) -> SupervisorView:
    view: SupervisorView = request.app.state.view
    return view


def _secure(request: Request) -> bool:
    """Served over TLS (uvicorn's --ssl-* or a TLS terminator that sets the scheme): Secure cookies."""
    return request.url.scheme == "https"


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="strict", path="/", secure=_secure(request)
    )


def _same_origin(request: Request) -> bool:
    """A POST from this view's own pages: no foreign `Origin` (nor a cross-site fetch)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True  # an old browser or a script: the CSRF token still has to match
    return origin == f"{request.url.scheme}://{request.url.netloc}"


async def _form_body(request: Request) -> bytes:
    """The body, refused by its Content-Length before it is read, or by a running count when chunked."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_FORM_BYTES):
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BodyTooLarge
    return bytes(body)


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


async def home(request: Request) -> Response:
    sv = _state(request)
    member = await run_in_threadpool(sv.member, request)
    if member is None:
        return RedirectResponse("/signin", status_code=303)
    lang = sv.lang(request)
    panel = await run_in_threadpool(sv.panel, lang)
    return HTMLResponse(sv.render("dashboard.html", lang, member=member, panel=panel))


async def panel(request: Request) -> Response:
    sv = _state(request)
    if await run_in_threadpool(sv.member, request) is None:
        return PlainTextResponse("sign in first", status_code=401)
    return HTMLResponse(await run_in_threadpool(sv.panel, sv.lang(request)))


def _sse(event: str, data: str, seq: int | None = None) -> str:
    lines = [f"event: {event}"]
    if seq is not None:
        lines.append(f"id: {seq}")
    lines += [f"data: {line}" for line in data.splitlines() or [""]]
    return "\n".join(lines) + "\n\n"


async def events(request: Request) -> Response:
    """Server-sent events: the panel whenever the ledger head moves (and every few seconds for clocks).

    Pushed, not polled: the stream sleeps until the core says the head moved (PostgreSQL NOTIFY, or
    SQLite's change counter; `Desk.on_head_moved`), then re-reads the head and sends the panel only if
    the head moved or the re-render changed. A ledger that cannot be watched falls back to reading the
    head every `poll_seconds`."""
    sv = _state(request)
    if await run_in_threadpool(sv.member, request) is None:
        return PlainTextResponse("sign in first", status_code=401)
    lang = sv.lang(request)
    cookie = request.cookies.get(COOKIE)
    loop = asyncio.get_running_loop()
    moved = asyncio.Event()

    def wake() -> None:  # on the core's signal thread
        with contextlib.suppress(RuntimeError):  # the server's loop already closed: nobody to wake
            loop.call_soon_threadsafe(moved.set)

    async def stream() -> AsyncIterator[str]:
        last_seq: int | None = None
        last_html = ""
        last_render = 0.0
        unsubscribe = await run_in_threadpool(sv.desk.on_head_moved, wake) if sv.view.push else None
        try:
            yield "retry: 1000\n\n"
            while True:
                moved.clear()  # before the read: a move from here on wakes the wait below at once
                try:
                    seq: int | None = await run_in_threadpool(sv.head_seq)
                    now = loop.time()
                    due = seq != last_seq or now - last_render >= sv.view.refresh_seconds
                    html = ""
                    allowed = False
                    if due:
                        # The member's re-read and the render side by side: on PostgreSQL each is a
                        # series of round trips, and the page waits for the slower one only. The
                        # render is sent only if the member may still see it.
                        member, html = await asyncio.gather(
                            run_in_threadpool(sv.member, request), run_in_threadpool(sv.panel, lang)
                        )
                        allowed = member is not None
                except StorageError as exc:
                    # The ledger is unreachable (PostgreSQL down …): say so on the page, keep trying.
                    failure = sv.render("unavailable.html", lang, reason=exc.reason)
                    if failure != last_html:
                        yield _sse("panel", failure)
                        last_html, last_seq = failure, None
                    await asyncio.sleep(max(sv.view.poll_seconds, 1.0))
                    continue
                if due:
                    if sv.sessions.staff_id(cookie) is None or not allowed:
                        yield _sse("signout", "/signin")
                        return
                    last_render = now
                    if html != last_html or seq != last_seq:
                        yield _sse("panel", html, seq)
                        last_html = html
                    last_seq = seq
                wait = sv.view.refresh_seconds - (loop.time() - last_render)
                if unsubscribe is None:
                    wait = min(wait, sv.view.poll_seconds)
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(moved.wait(), wait)
        finally:
            if unsubscribe is not None:
                unsubscribe()

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})


def _signin_page(sv: SupervisorView, request: Request, message: str = "", status: int = 200) -> HTMLResponse:
    """The form, with a fresh CSRF token in a hidden field and in its cookie."""
    lang = sv.lang(request)
    token = sv.sessions.csrf_token()
    response = HTMLResponse(sv.render("signin.html", lang, message=message, csrf=token), status_code=status)
    _cookie(request, response, CSRF_COOKIE, token, None)
    return response


async def signin_form(request: Request) -> Response:
    sv = _state(request)
    return _signin_page(sv, request)


async def signin(request: Request) -> Response:
    sv = _state(request)
    lang = sv.lang(request)
    t = translator(lang)
    if not _same_origin(request):
        return PlainTextResponse("cross-origin request refused", status_code=403)
    try:
        body = await _form_body(request)
    except BodyTooLarge:
        return PlainTextResponse("request too large", status_code=413)
    form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    if not sv.sessions.csrf_ok((form.get("csrf") or [""])[0], request.cookies.get(CSRF_COOKIE)):
        return _signin_page(sv, request, t("signin.expired"), 403)
    address = _client(request)
    if sv.backoff.wait(address) > 0:
        # Not even looked at: the PIN is neither checked nor counted while this address waits.
        return _signin_page(sv, request, t("signin.wait"), 429)
    badge = (form.get("badge") or [""])[0].strip()
    pin = (form.get("pin") or [""])[0].strip()
    if not badge or not pin:
        return _signin_page(sv, request, t("signin.empty"), 400)
    if looks_like_individual_number(badge):
        # Recorded by its reason only, like every other 12-digit attempt.
        await run_in_threadpool(
            lambda: sv.desk.record_refusal(REASON_MYNUMBER, attempted=SIGN_IN, device=DEVICE)
        )
        return _signin_page(sv, request, t("signin.mynumber"), 400)
    try:
        member, issued = await run_in_threadpool(
            lambda: sv.desk.supervisor_sign_in(badge, pin, device=DEVICE)
        )
    except AuthError:
        # One message for an unknown badge, a wrong PIN, a role that may not supervise, a locked or
        # deactivated member: the page never tells which badges exist, nor how many tries are left.
        sv.backoff.failed(address)
        return _signin_page(sv, request, t("signin.failed"), 403)
    sv.backoff.succeeded(address)
    response = RedirectResponse("/", status_code=303)
    _cookie(request, response, COOKIE, sv.sessions.issue(member.id, issued), sv.sessions.max_age)
    return response


async def signout(request: Request) -> Response:
    sv = _state(request)
    if not _same_origin(request):
        return PlainTextResponse("cross-origin request refused", status_code=403)
    held = sv.sessions.holder(request.cookies.get(COOKIE))
    if held is not None:
        # On the chain: this and every other session of the member issued before it end, restarts or not.
        await run_in_threadpool(lambda: sv.desk.end_web_sessions(held[0], device=DEVICE))
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


async def set_lang(request: Request) -> Response:
    lang = request.path_params["lang"]
    response = RedirectResponse("/", status_code=303)
    if lang in LANGS:
        _cookie(request, response, LANG_COOKIE, lang, 365 * 24 * 3600)
    return response


async def unavailable(request: Request, exc: Exception) -> Response:
    sv = _state(request)
    reason = exc.reason if isinstance(exc, StorageError) else "storage"
    log.warning("supervise: %s", reason)
    return HTMLResponse(sv.render("unavailable_page.html", sv.lang(request), reason=reason), status_code=503)


def create_app(
    desk: Desk,
    view: ViewSettings | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    cookie_key: bytes | None = None,
    random_key: bool = False,
) -> Starlette:
    """The ASGI app over the application core. `clock` defaults to the ledger's; `random_key` signs
    cookies with a per-process key instead of one derived from the pepper."""
    state = SupervisorView(
        desk,
        view or ViewSettings(),
        clock=clock,
        cookie_key=secrets.token_bytes(32) if random_key and cookie_key is None else cookie_key,
    )
    app = Starlette(
        routes=[
            Route("/", home),
            Route("/panel", panel),
            Route("/events", events),
            Route("/signin", signin_form, methods=["GET"]),
            Route("/signin", signin, methods=["POST"]),
            Route("/signout", signout, methods=["POST"]),
            Route("/lang/{lang}", set_lang),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(ResponseGuard)],
        exception_handlers={StorageError: unavailable},
    )
    app.state.view = state
    return app
