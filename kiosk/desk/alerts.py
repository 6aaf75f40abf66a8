"""The alerter (通知): alerts derived from the chain, queued on the chain, delivered from it.

One poll (`Alerter.tick`) does two things:

1. Under the chain's write lock (one unit of work): take or renew the sender's lease, read the events after
   the cursor, give them to the pure rules (`kiosk.domain.alerts`), apply the rate limit, and append one
   `alert_queued` per alert, moving the cursor and the rules' memory in the same transaction. Nothing is
   queued twice, and nothing read is forgotten across a crash: the transaction commits both or neither.
2. Outside any transaction: deliver each channel of every undelivered alert whose retry time has come,
   and record each outcome (`alert_sent`, or `alert_failed` with its retry time) at once.

The chain is the durable queue: an alert queued before a SIGKILL is found undelivered by the next sender
and sent. A delivery that succeeded just before a crash, before its `alert_sent` was recorded, is sent
again (at least once, never lost). Only the lease holder delivers, so two kiosks on one ledger, or the
kiosk and `kiosk supervise` on one PC, do not both send.

It runs on a thread of its own in the kiosk (`start_alerter`), in `kiosk supervise`, and once per
`kiosk alerts run-once`; `kiosk alerts list` and the supervisor's page read `alert_history`.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from drivers.text import holds_individual_number
from kiosk.desk.base import DeskBase
from kiosk.desk.couriers import Courier
from kiosk.desk.errors import StorageError, storage_errors
from kiosk.domain.alerts import (
    AlertBook,
    AlertKind,
    AlertRules,
    Draft,
    Limits,
    Seen,
    close_check_due,
    compose,
    daily_close_missing,
    guarded,
    retry_delay,
    sighted,
)
from kiosk.domain.card_state import OFFICE_TZ, office_date
from kiosk.domain.events import AlertFailed, AlertQueued, AlertSent, EventKind
from kiosk.ledger.read_models import alerts as rm
from kiosk.ledger.read_models.alerts import Delivery, QueuedAlert

if TYPE_CHECKING:
    from collections.abc import Callable

    from kiosk.config import Settings
    from kiosk.ledger.chain import EventRecord

log = logging.getLogger(__name__)

__all__ = ["Alerter", "AlerterThread", "Delivery", "QueuedAlert", "TickReport", "start_alerter"]

BATCH = 2000  # events read per poll: a sender far behind catches up over a few polls
STAFF_KEYS = ("override_by", "staff")


@dataclass(frozen=True, slots=True)
class TickReport:
    """What one poll did: whether this process holds the lease, alerts queued, held back by the rate
    limit, deliveries made and deliveries that failed (to be retried)."""

    leased: bool
    queued: int = 0
    held_back: int = 0
    sent: int = 0
    failed: int = 0


def make_holder() -> str:
    """This process's name on the lease: host, pid and a random word (letters between the numbers)."""
    host = socket.gethostname()[:60] or "host"
    if holds_individual_number(host):
        host = "host"
    word = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8))
    return f"{host}/pid{os.getpid()}/run-{word}"


def holder_gone(holder: str) -> bool:
    """True when `holder` was a process on this host that no longer runs (it was killed): its lease
    need not be waited out. A holder on another host is never presumed gone."""
    host, _, rest = holder.partition("/pid")
    pid_text = rest.partition("/")[0]
    if host != (socket.gethostname()[:60] or "host") or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _seen(record: EventRecord, names: dict[int, str], issued: dict[str, tuple[int, datetime]]) -> Seen:
    saw = sighted(record.kind, record.card_id, record.data)
    return Seen(
        seq=record.seq,
        at=record.at,
        kind=record.kind,
        data=record.data,
        card_id=record.card_id,
        actor_id=record.actor_id,
        witness_id=record.witness_id,
        session_id=record.session_id,
        stocktake_id=record.stocktake_id,
        device=record.device,
        source=record.source,
        names=names,
        issued={mid: issued[mid][1] for mid in saw if mid in issued and issued[mid][0] < record.seq},
    )


def _staff_ids(records: list[EventRecord]) -> set[int]:
    ids: set[int] = set()
    for r in records:
        ids.update(i for i in (r.actor_id, r.witness_id) if i is not None)
        if r.kind in (EventKind.CARD_TAKEN_OUT, EventKind.STAFF_LOCKED):
            data = r.data
            ids.update(data[k] for k in STAFF_KEYS if isinstance(data.get(k), int))
    return ids


class Alerter:
    """Derives, queues and delivers alerts for one ledger (see the module's docstring)."""

    def __init__(
        self,
        desk: DeskBase,
        *,
        courier: Courier | None = None,
        holder: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.ledger = desk.ledger
        self.config = desk.settings.alerts
        self.kiosk = desk.kiosk
        self.clock = clock or self.ledger.clock
        self.holder = holder or make_holder()
        self.courier = courier or Courier(self.config, self.kiosk)
        self.limits = Limits(
            session_open_minutes=desk.settings.session.max_open_minutes,
            device_offline_minutes=self.config.device_offline_minutes,
            rate_limit_minutes=self.config.rate_limit_per_kind_minutes,
        )

    @property
    def enabled(self) -> bool:
        """A channel is configured (else nothing is queued or sent)."""
        return bool(self.config.channels)

    # -- one poll -------------------------------------------------------------------------------

    def tick(self, *, retry_now: bool = False) -> TickReport:
        """Queue what the new events and the clock call for, then deliver what is due.

        `retry_now`: deliver every undelivered alert now, not waiting for its retry time (a technician
        who has just fixed the relay). Raises `StorageError` when the ledger cannot be reached.
        """
        derived = self._derive()
        if derived is None:
            return TickReport(leased=False)
        queued, held = derived
        sent, failed = self._deliver(retry_now=retry_now)
        return TickReport(True, queued, held, sent, failed)

    def _may_hold(self, holder: str | None, until: datetime | None, now: datetime) -> bool:
        if holder in (None, self.holder) or until is None or until <= now:
            return True
        return holder_gone(holder) if holder is not None else True

    def _derive(self) -> tuple[int, int] | None:
        channels = tuple(self.config.channels)
        with storage_errors(), self.ledger.unit() as u:
            s = u.session
            now = u.at
            row = rm.state_row(s)
            if row is None:
                # The first sender on this ledger starts at the head: history is not alerted afresh.
                row = rm.new_state_row(s, u.seq, json.dumps(AlertBook().to_json()))
            if not self._may_hold(row.holder, row.lease_until, now):
                return None
            lease = timedelta(seconds=self.config.lease_seconds)
            if row.holder != self.holder or row.lease_until is None or row.lease_until - now < lease / 2:
                # Renewed at half its time: a quiet poll then writes nothing (no fsync every few seconds).
                row.holder = self.holder
                row.lease_until = now + lease
            book = AlertBook.from_json(json.loads(row.book))
            rules = AlertRules(book, self.limits)
            drafts: list[Draft] = []
            records = rm.events_after(s, row.cursor, BATCH)
            names = rm.staff_names(s, _staff_ids(records))
            issued = rm.issued_at(s, (m for r in records for m in sighted(r.kind, r.card_id, r.data)))
            for record in records:
                drafts += rules.feed(_seen(record, names, issued))
                row.cursor = record.seq
            drafts += rules.due(now)
            if close_check_due(now, self.config.daily_close_due_time, book):
                day_start = datetime.combine(office_date(now), time(0), OFFICE_TZ)
                close = daily_close_missing(
                    now,
                    self.config.daily_close_due_time,
                    rm.last_daily_close(s),
                    rm.last_session_opened(s, day_start),
                    book,
                )
                if close is not None:
                    drafts.append(close)
            queued = held = 0
            for draft in drafts:
                if not channels:
                    continue  # alerts are off: the rules still keep their memory current
                earlier = rules.admit(draft, now)
                if earlier is None:
                    held += 1
                    continue
                words = guarded(compose(draft, kiosk=self.kiosk, held_back=earlier), draft.kind)
                record = u.append(
                    EventKind.ALERT_QUEUED,
                    device=self.kiosk,
                    payload=AlertQueued(draft.kind.value, draft.source, words.subject, words.body, channels),
                )
                if book.floor is None:
                    book.floor = record.seq
                queued += 1
            memory = json.dumps(book.to_json(), ensure_ascii=False, sort_keys=True)
            if memory != row.book:
                row.book = memory
        if queued:
            log.info("alerts queued: %d", queued)
        return queued, held

    def _deliver(self, *, retry_now: bool) -> tuple[int, int]:
        with storage_errors(), self.ledger.read() as s:
            row = rm.state_row(s)
            book = AlertBook.from_json(json.loads(row.book)) if row is not None else AlertBook()
            pending = rm.outbox(s, book.floor) if book.floor is not None else []
        sent = failed = 0
        if not pending:
            return sent, failed
        for alert in pending:
            for delivery in alert.deliveries:
                if delivery.sent:
                    continue
                now = self.clock()
                if not retry_now and delivery.retry_at is not None and delivery.retry_at > now:
                    continue
                error = self.courier.send(delivery.channel, alert)
                self._record(alert, delivery, error)
                if error is None:
                    sent += 1
                else:
                    failed += 1
        if sent:
            self._move_floor()  # only a delivery can finish an alert
        return sent, failed

    def _record(self, alert: QueuedAlert, delivery: Delivery, error: str | None) -> None:
        with storage_errors(), self.ledger.unit() as u:
            if error is None:
                u.append(
                    EventKind.ALERT_SENT, device=self.kiosk, payload=AlertSent(alert.seq, delivery.channel)
                )
                return
            attempt = delivery.attempts + 1
            retry_at = u.at + retry_delay(attempt)
            u.append(
                EventKind.ALERT_FAILED,
                device=self.kiosk,
                payload=AlertFailed(
                    alert.seq,
                    delivery.channel,
                    attempt,
                    error,
                    retry_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                ),
            )

    def _move_floor(self) -> None:
        """The floor goes up to the oldest alert still undelivered (the next poll reads from there)."""
        with storage_errors(), self.ledger.unit() as u:
            row = rm.state_row(u.session)
            if row is None:
                return
            book = AlertBook.from_json(json.loads(row.book))
            if book.floor is None:
                return
            waiting = [a.seq for a in rm.outbox(u.session, book.floor) if not a.done]
            floor = min(waiting) if waiting else None
            if floor != book.floor:
                book.floor = floor
                row.book = json.dumps(book.to_json(), ensure_ascii=False, sort_keys=True)

    def release(self) -> None:
        """Give the lease up (a clean stop): another process may send at once."""
        with storage_errors(), self.ledger.unit() as u:
            row = rm.state_row(u.session)
            if row is not None and row.holder == self.holder:
                row.lease_until = None

    # -- running ---------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set (every `poll_seconds`); a failing poll is logged and tried again."""
        while not stop.is_set():
            try:
                self.tick()
            except StorageError as exc:
                log.warning("alerts: the ledger could not be reached: %s", exc.reason)
            except Exception as exc:  # noqa: BLE001  (a thread that dies silently would stop all alerts)
                log.error("alerts: a poll failed: %s", type(exc).__name__)
            stop.wait(self.config.poll_seconds)
        try:
            self.release()
        except StorageError:
            log.warning("alerts: the lease could not be given up; it lapses by itself")


@dataclass
class AlerterThread:
    """The alerter on a daemon thread of its own (never a UI thread); `stop()` ends it."""

    alerter: Alerter
    thread: threading.Thread
    stopping: threading.Event

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.thread.join(timeout)


def start_alerter(desk: DeskBase, *, clock: Callable[[], datetime] | None = None) -> AlerterThread | None:
    """Start the alerter for `desk`'s ledger when a channel is configured (else None)."""
    alerter = Alerter(desk, clock=clock)
    if not alerter.enabled:
        return None
    stopping = threading.Event()
    thread = threading.Thread(target=alerter.run, args=(stopping,), name="alerts", daemon=True)
    thread.start()
    return AlerterThread(alerter, thread, stopping)


TEST_SUBJECT = "【保管庫通知】送信テスト"
TEST_BODY = (
    "キオスクの通知（メール・Webhook）の送信テストです。このメッセージが届いていれば、通知は届きます。\n"
    "This is a test of the kiosk's alerts."
)
REFUSED_MARK = "alerts-ledger-refused"  # in the data directory: when the last such alert went out
REFUSED_EVERY = timedelta(minutes=30)


def _direct(
    settings: Settings, subject: str, body: str, at: datetime, alert: str
) -> list[tuple[str, str | None]]:
    """Send one message now on every configured channel, outside the outbox: (channel, None or why not)."""
    config = settings.alerts
    message = QueuedAlert(
        seq=0, at=at, alert=alert, source=None, subject=subject, body=body, device=settings.kiosk.name,
        deliveries=(),
    )  # fmt: skip
    courier = Courier(config, settings.kiosk.name)
    return [(channel, courier.send(channel, message)) for channel in config.channels]


def send_test(settings: Settings) -> list[tuple[str, str | None]]:
    """A fixed test message on each configured channel, now (`kiosk alerts test`).

    Not an alert: it is not queued, not rate-limited and not on the ledger, which it does not open.
    """
    body = f"{TEST_BODY}\nキオスク: {settings.kiosk.name}"
    return _direct(settings, TEST_SUBJECT, body, datetime.now(UTC), "test")


def alert_refused_start(settings: Settings, reason: str, *, now: datetime | None = None) -> bool:
    """The start-up check refused the ledger (rewritten, rolled back, its identity or pepper gone): the
    kiosk will not start, and nothing can be queued on a ledger that is not trusted. So this alert goes
    out directly, on every channel, at most once per `REFUSED_EVERY` per data directory (a service that
    restarts in a loop must not flood the mailbox). True when it was sent (or tried).
    """
    from kiosk.config import data_paths

    if not settings.alerts.channels:
        return False
    now = now or datetime.now(UTC)
    mark = data_paths(settings).root / REFUSED_MARK
    try:
        last = datetime.fromtimestamp(mark.stat().st_mtime, UTC)
        if now - last < REFUSED_EVERY:
            return False
    except FileNotFoundError:
        pass
    try:
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.touch()  # before sending: a send that hangs is not repeated by the next start
    except OSError as exc:
        log.warning("alerts: cannot mark the refusal alert as sent: %s", type(exc).__name__)
    facts = (
        (
            "内容",
            "起動時の検査で管理簿が拒否されたため、キオスクは起動しません。管理簿の改ざん・巻き戻しのおそれがあります。",
        ),
        ("理由（英語）", " ".join(reason.split())[:300]),
    )
    draft = Draft(AlertKind.LEDGER_REFUSED, None, now, facts)
    words = guarded(compose(draft, kiosk=settings.kiosk.name), draft.kind)
    for channel, error in _direct(settings, words.subject, words.body, now, draft.kind.value):
        if error is not None:
            log.warning("alerts: the refusal alert was not delivered by %s: %s", channel, error)
    return True


def alert_history(desk: DeskBase, limit: int = 50) -> list[QueuedAlert]:
    """The newest alerts (newest first) with where each delivery stands."""
    return desk.read(lambda: rm.alert_history(desk.ledger, limit))
