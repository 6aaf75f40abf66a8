"""The supervisor's session cookie: signed (HMAC-SHA256), expiring, revocable at sign-out.

The value names only the staff ID, the expiry and a random nonce; the member is re-read from the
ledger on every request, so a deactivated or locked supervisor loses the view at once. The key is
derived from the PIN pepper (kept outside the database), so a restart keeps people signed in; tests
and `--random-key` use a per-process key instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import datetime

COOKIE = "kiosk_supervise"
LANG_COOKIE = "kiosk_supervise_lang"
KEY_CONTEXT = b"kiosk supervise session cookie v1"


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
        self._revoked: set[str] = set()

    @property
    def max_age(self) -> int:
        return self.minutes * 60

    def issue(self, staff_id: int) -> str:
        expires = int(self.clock().timestamp()) + self.max_age
        body = _b64(json.dumps({"s": staff_id, "e": expires, "n": secrets.token_hex(8)}).encode())
        return f"{body}.{self._sign(body)}"

    def staff_id(self, value: str | None) -> int | None:
        """The staff ID of a valid, unexpired, unrevoked cookie value; None otherwise."""
        data = self._open(value)
        if data is None:
            return None
        staff, expires = data.get("s"), data.get("e")
        if not isinstance(staff, int) or not isinstance(expires, int):
            return None
        if self.clock().timestamp() >= expires or data.get("n") in self._revoked:
            return None
        return staff

    def revoke(self, value: str | None) -> None:
        data = self._open(value)
        if data is not None:
            self._revoked.add(str(data.get("n")))

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
