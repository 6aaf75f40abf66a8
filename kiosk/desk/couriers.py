"""Delivering an alert: e-mail through the office's own relay (SMTP) and a JSON POST to an in-house webhook.

The office network is closed, so there is no cloud service: `smtplib` to the configured relay (STARTTLS
and a login where configured) and `urllib` for the webhook. A delivery returns None when the other side
took the alert, or a short error text (an exception's type and first words, guarded, never a password)
that goes on the chain with the retry time.
"""

from __future__ import annotations

import http.client
import json
import logging
import secrets
import smtplib
import ssl
import string
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.domain.alerts import Channel, alert_name
from kiosk.domain.guard import guard_text
from kiosk.domain.management_id import Refusal

if TYPE_CHECKING:
    from kiosk.config import AlertSettings
    from kiosk.ledger.read_models.alerts import QueuedAlert

log = logging.getLogger(__name__)

MAX_ERROR = 120


def error_text(exc: BaseException) -> str:
    """An exception as one short line that may be stored (its type alone when its words would not pass
    the My Number guard or would not fit on one line)."""
    words = " ".join(str(exc).split())[:MAX_ERROR]
    text = f"{type(exc).__name__}: {words}" if words else type(exc).__name__
    try:
        return guard_text(text[:MAX_ERROR], "alert.error")
    except Refusal:
        return type(exc).__name__


@dataclass
class Courier:
    """Sends one channel of one queued alert with the `[alerts]` settings."""

    settings: AlertSettings
    kiosk: str

    def send(self, channel: str, alert: QueuedAlert) -> str | None:
        """Deliver `alert` on `channel`: None when delivered, else why not (one guarded line)."""
        try:
            if channel == Channel.MAIL:
                self.mail(alert)
            elif channel == Channel.WEBHOOK:
                self.webhook(alert)
            else:
                return f"unknown channel {channel}"
        except (OSError, smtplib.SMTPException, http.client.HTTPException, ValueError, UnicodeError) as exc:
            # OSError covers refused and timed-out connections, TLS failures, a missing password file and
            # urllib's HTTP errors; HTTPException a webhook server that answers garbage.
            log.warning("alert %s (%s) not delivered: %s", alert.seq, channel, type(exc).__name__)
            return error_text(exc)
        return None

    # -- e-mail ----------------------------------------------------------------------------------

    def message(self, alert: QueuedAlert) -> EmailMessage:
        """The e-mail of an alert (UTF-8, plain text)."""
        s = self.settings
        msg = EmailMessage()
        msg["From"] = s.sender
        msg["To"] = ", ".join(s.recipients)
        msg["Subject"] = alert.subject
        msg["Date"] = formatdate(alert.at.astimezone(UTC).timestamp(), localtime=False)
        # Letters only around the seq: make_msgid's own ids are runs of digits (time, pid, random).
        token = "".join(secrets.choice(string.ascii_lowercase) for _ in range(16))
        msg["Message-ID"] = f"<kiosk-alert-{alert.seq}-{token}@{s.sender.partition('@')[2] or 'kiosk'}>"
        msg["X-Kiosk-Alert"] = alert.alert
        msg.set_content(alert.body, charset="utf-8")
        return msg

    def mail(self, alert: QueuedAlert) -> None:
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout_seconds) as smtp:
            smtp.ehlo()
            if s.starttls:
                context = ssl.create_default_context(cafile=s.ca_file or None)
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.username:
                password = Path(s.password_file).read_text(encoding="utf-8").strip()
                smtp.login(s.username, password)
            smtp.send_message(self.message(alert))

    # -- webhook ---------------------------------------------------------------------------------

    def payload(self, alert: QueuedAlert) -> dict[str, object]:
        """The webhook's JSON body: the alert's kind and names, its words, and where it is on the chain."""
        return {
            "alert": alert.alert,
            "title": alert_name(alert.alert, "ja"),
            "title_en": alert_name(alert.alert, "en"),
            "subject": alert.subject,
            "body": alert.body,
            "kiosk": self.kiosk,
            "queued_seq": alert.seq,
            "source_seq": alert.source,
            "at": alert.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def webhook(self, alert: QueuedAlert) -> None:
        s = self.settings
        data = json.dumps(self.payload(alert), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310  (the configured in-house URL, http or https only)
            s.webhook_url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "card-safe-kiosk"},
        )
        with urllib.request.urlopen(request, timeout=s.timeout_seconds) as response:  # noqa: S310
            status = response.status
        if not 200 <= status < 300:
            raise urllib.error.HTTPError(s.webhook_url, status, "not a success", {}, None)  # type: ignore[arg-type]
