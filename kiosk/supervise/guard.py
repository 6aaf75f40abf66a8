"""Every response of the supervisor's view passes here: security headers, and the My Number guard.

A whole response that holds a 12-digit run (or 4-4-4 digits with spaces or hyphens; ASCII or full-width)
is refused and replaced by a short notice; a streamed response (the live updates) has such runs masked
chunk by chunk, with the same number of bytes, since its headers are already on their way. The page's
own values are rendered so that they never form such a run (hashes in 4-character groups); the guard is
what holds if some value ever does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_D = "[0-9\uff10-\uff19]"
# Twelve digits not touching another digit, written together or as 4-4-4 with one space/hyphen between.
TWELVE_DIGITS = re.compile(rf"(?<!{_D}){_D}{{4}}[ \-\u3000]?{_D}{{4}}[ \-\u3000]?{_D}{{4}}(?!{_D})")
_DIGIT = re.compile(_D)

# No inline script or style anywhere: the page loads /static/live.js and /static/style.css only.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # same-origin, not no-referrer: with no-referrer a browser posts the form with `Origin: null`, which the
    # sign-in refuses as foreign; nothing is sent to another origin either way.
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
)

REFUSED_BODY = (
    "表示を止めました: 12桁の番号の形をした値が含まれていました。\n"
    "Not shown: the response held a value shaped like a 12-digit number.\n"
).encode()


def has_twelve_digits(body: bytes) -> bool:
    """Whether the bytes hold a 12-digit run as `TWELVE_DIGITS` defines it."""
    return TWELVE_DIGITS.search(body.decode("utf-8", "surrogateescape")) is not None


def mask_twelve_digits(body: bytes) -> bytes:
    """The same bytes with the digits of every 12-digit run replaced by `*` (byte length kept)."""
    text = body.decode("utf-8", "surrogateescape")

    def star(m: re.Match[str]) -> str:
        return _DIGIT.sub(lambda d: "*" * len(d.group().encode()), m.group())

    return TWELVE_DIGITS.sub(star, text).encode("utf-8", "surrogateescape")


def _with_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    ours = {name for name, _ in SECURITY_HEADERS}
    return [(k, v) for k, v in headers if k.lower() not in ours] + list(SECURITY_HEADERS)


class ResponseGuard:
    """ASGI middleware: security headers on every response; the 12-digit guard on every body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        streaming = False

        async def guarded(message: Message) -> None:
            nonlocal start, streaming
            if message["type"] == "http.response.start":
                start = dict(message)
                start["headers"] = _with_headers(list(message.get("headers", [])))
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body: bytes = message.get("body", b"")
            more: bool = message.get("more_body", False)
            if not streaming and not more:
                if has_twelve_digits(body):
                    log.warning("supervise: a response held a 12-digit run and was refused")
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 500,
                            "headers": _with_headers(
                                [
                                    (b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(REFUSED_BODY)).encode()),
                                ]
                            ),
                        }
                    )
                    await send({"type": "http.response.body", "body": REFUSED_BODY})
                    return
                await send(start)
                await send(message)
                return
            if not streaming:
                streaming = True
                await send(start)
            if has_twelve_digits(body):
                log.warning("supervise: a streamed chunk held a 12-digit run; masked")
                body = mask_twelve_digits(body)
            await send({**message, "body": body})

        await self.app(scope, receive, guarded)
