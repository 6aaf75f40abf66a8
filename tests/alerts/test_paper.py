"""Alert events on paper (管理簿, 日次締め): in Japanese words, without the mail's body."""

from __future__ import annotations

from kiosk.domain.events import AlertFailed, AlertQueued, EventKind
from kiosk.reports.terms import describe_event


def test_alert_events_read_in_words_and_leave_the_body_off_paper() -> None:
    queued = AlertQueued(
        "lockout", 12, "【保管庫通知】職員がロックされました", "本文の一行目\n二行目", ("mail", "webhook")
    )
    text = describe_event(queued.encode(), kind=EventKind.ALERT_QUEUED)
    assert "通知の種類: 職員がロックされました" in text
    assert "通知のもとの記録番号: 12" in text
    assert "送信先: メール、Webhook" in text
    assert "本文" not in text
    failed = AlertFailed(13, "mail", 2, "ConnectionRefusedError", "2026-04-01T00:31:00Z")
    assert "試行回数: 2" in describe_event(failed.encode(), kind=EventKind.ALERT_FAILED)
