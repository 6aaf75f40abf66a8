"""The supervisor's session cookie: signed (HMAC-SHA256), expiring, ended by a sign-out on the chain.

The value names only the staff ID, the expiry, the chain head at sign-in and a random nonce; the member
is re-read from the ledger on every request, so a deactivated or locked supervisor loses the view at
once, and a sign-out or PIN reset recorded after the cookie's head ends it (on the chain: it holds
across restarts). The key is derived from the PIN pepper (kept outside the database), so a restart
keeps people signed in; tests and `--random-key` use a per-process key instead.

The sign-in form carries a CSRF token (a random nonce signed with the same key) that must match its
cookie: a page elsewhere cannot post the form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import string
from collections.abc import Callable
from datetime import datetime

COOKIE = "kiosk_supervise"
LANG_COOKIE = "kiosk_supervise_lang"
CSRF_COOKIE = "kiosk_supervise_csrf"
KEY_CONTEXT = b"kiosk supervise session cookie v1"
_DIGIT_RUN = re.compile(r"[0-9]{8}")


def derive_key(pepper: bytes) -> bytes:
    """The cookie key for this ledger's pepper (never the pepper itself)."""
    return hmac.new(pepper, KEY_CONTEXT, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Issues and checks session cookie values against `clock` (the app's clock)."""

    def __init__(self, key: bytes, *, minutes: int, clock: Callable[[], datetime]) -> None:
        self.key = key
        self.minutes = minutes
        self.clock = clock

    @property
    def max_age(self) -> int:
        return self.minutes * 60

    def issue(self, staff_id: int, issued_seq: int) -> str:
        """A cookie value for `staff_id`, issued when the chain head was `issued_seq`."""
        expires = int(self.clock().timestamp()) + self.max_age
        data = {"s": staff_id, "e": expires, "q": issued_seq, "n": secrets.token_hex(8)}
        body = _b64(json.dumps(data).encode())
        return f"{body}.{self._sign(body)}"

    def holder(self, value: str | None) -> tuple[int, int] | None:
        """(staff ID, chain head at issue) of a valid, unexpired cookie value; None otherwise."""
        data = self._open(value)
        if data is None:
            return None
        staff, expires, seq = data.get("s"), data.get("e"), data.get("q")
        if not isinstance(staff, int) or not isinstance(expires, int) or not isinstance(seq, int):
            return None
        if self.clock().timestamp() >= expires:
            return None
        return staff, seq

    def staff_id(self, value: str | None) -> int | None:
        """The staff ID of a valid, unexpired cookie value; None otherwise."""
        held = self.holder(value)
        return None if held is None else held[0]

    def csrf_token(self) -> str:
        """A new CSRF token for the sign-in form and its cookie."""
        # Letters only: the token is in the page, which the My Number guard refuses at 12 digits in a row.
        nonce = "".join(secrets.choice(string.ascii_letters) for _ in range(24))
        signature = self._sign("csrf:" + nonce)
        while _DIGIT_RUN.search(signature):  # one in many millions; never show a number-shaped value
            nonce = "".join(secrets.choice(string.ascii_letters) for _ in range(24))
            signature = self._sign("csrf:" + nonce)
        return f"{nonce}.{signature}"

    def csrf_ok(self, form_token: str, cookie_token: str | None) -> bool:
        """The form's token is the cookie's, and one this key signed."""
        if not cookie_token or not form_token or form_token.count(".") != 1:
            return False
        if not hmac.compare_digest(form_token, cookie_token):
            return False
        nonce, signature = form_token.split(".")
        return hmac.compare_digest(signature, self._sign("csrf:" + nonce))

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self.key, body.encode(), hashlib.sha256).digest())

    def _open(self, value: str | None) -> dict[str, object] | None:
        if not value or value.count(".") != 1:
            return None
        body, signature = value.split(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            data = json.loads(_unb64(body))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
