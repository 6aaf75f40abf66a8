"""Alerts that reach people (通知): which recorded events become an alert, and the words each one says.

Alerts derive from the chain. The core's `Alerter` (kiosk.desk.alerts) reads the events after its cursor
and gives each one to `AlertRules.feed`; once a poll it asks `AlertRules.due` for what has been waiting
too long (a safe session still open, a device still offline) and `daily_close_missing` whether the day's
close has run. Each resulting `Draft` passes the rate limit (`AlertRules.admit`), is put into words by
`compose` (Japanese, staff names only: no card holder, no management ID, no free-text reason, which could
name a holder) and through the My Number guard (`guarded`), and is queued on the chain.

Two tables say what alerts: `RULES` (an event that alerts at once) and `WATCHES` (an event that alerts when
its closing event has not followed within a limit). A new event kind that should alert is one line in one
of them (`EventKind.SAFE_DOOR_FORCED: at_once(AlertKind.DOOR_FORCED)`).

Everything here is pure: time is passed in, the rules' memory (`AlertBook`) is a JSON-able value that the
core keeps in the ledger between polls, so nothing pending is forgotten across a restart.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kiosk.domain.card_state import OFFICE_TZ, office_date
from kiosk.domain.events import EventKind
from kiosk.domain.guard import guard_text
from kiosk.domain.management_id import Refusal


class AlertKind(enum.StrEnum):
    """The kinds of alert (stored in `alert_queued.alert`; rate-limited each on its own)."""

    DOOR_FORCED = "door_forced"  # the door opened with no safe session open (key or force)
    DOOR_LEFT_OPEN = "door_left_open"
    SAFE_OPEN_TOO_LONG = "safe_open_too_long"
    CARDS_MISSING = "cards_missing"  # a card recorded missing (at a stocktake's finish or a session's close)
    HANDED_OVER_SEEN = "handed_over_seen"  # a card recorded as handed over, seen at the safe
    OVERRIDE = "override"  # a take-out outside today's pick list, approved by a supervisor
    LOCKOUT = "lockout"
    DEVICE_OFFLINE_LONG = "device_offline_long"
    INTEGRITY_FAILED = "integrity_failed"  # the daily close's verify found the ledger altered
    RESTORED = "restored"  # the ledger was restored from a backup
    LEDGER_REFUSED = "ledger_refused"  # the start-up check refused the ledger: the kiosk does not start
    DAILY_CLOSE_MISSING = "daily_close_missing"


ALERT_NAMES: dict[AlertKind, tuple[str, str]] = {
    AlertKind.DOOR_FORCED: ("保管庫の扉が不正に開かれました", "safe door forced"),
    AlertKind.DOOR_LEFT_OPEN: ("保管庫の扉が開いたままです", "safe door left open"),
    AlertKind.SAFE_OPEN_TOO_LONG: ("保管庫が長時間開いたままです", "safe open past its limit"),
    AlertKind.CARDS_MISSING: ("所在不明のカードが記録されました", "cards recorded missing"),
    AlertKind.HANDED_OVER_SEEN: ("交付済みのカードが保管庫で読み取られました", "handed-over card seen"),
    AlertKind.OVERRIDE: ("交付予定外の持出が承認されました", "override take-out"),
    AlertKind.LOCKOUT: ("職員がロックされました", "staff locked out"),
    AlertKind.DEVICE_OFFLINE_LONG: ("機器の切断が続いています", "device offline"),
    AlertKind.INTEGRITY_FAILED: ("管理簿の検証に失敗しました", "ledger failed verification"),
    AlertKind.RESTORED: ("管理簿がバックアップから復元されました", "ledger restored from a backup"),
    AlertKind.LEDGER_REFUSED: ("管理簿が起動時の検査で拒否されました", "ledger refused at start"),
    AlertKind.DAILY_CLOSE_MISSING: ("日次締めが行われていません", "daily close not done"),
}


def alert_name(kind: str, language: str = "ja") -> str:
    """How people call an alert kind ("ja" or "en"); an unknown code shows itself."""
    try:
        ja, en = ALERT_NAMES[AlertKind(kind)]
    except ValueError:
        return kind
    return en if language == "en" else ja


class Channel(enum.StrEnum):
    """Where an alert goes."""

    MAIL = "mail"
    WEBHOOK = "webhook"


# -- what the rules see and give -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seen:
    """One recorded event as the rules read it; `names` gives the staff named by it (actor, witness,
    and staff IDs in its payload), so the rules never look anything up."""

    seq: int
    at: datetime
    kind: str
    data: Mapping[str, Any]
    card_id: str | None = None
    actor_id: int | None = None
    witness_id: int | None = None
    session_id: int | None = None
    stocktake_id: int | None = None
    device: str | None = None
    source: str | None = None
    names: Mapping[int, str] = field(default_factory=dict)
    # The cards this event saw (its card, or a batch's unexpected IDs) that were recorded as handed
    # over (交付) before it, with the time of that record.
    issued: Mapping[str, datetime] = field(default_factory=dict)

    def name(self, staff_id: object) -> str:
        if isinstance(staff_id, int):
            return self.names.get(staff_id, f"職員ID {staff_id}")
        return "（記録なし）"


@dataclass(frozen=True, slots=True)
class Draft:
    """An alert before its words: its kind, the event it came from (None: time-based), when the thing
    happened, and the facts for the body as (label, value) lines."""

    kind: AlertKind
    source: int | None
    at: datetime
    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Message:
    """The words of an alert: subject and body (plain text, Japanese)."""

    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Limits:
    """The configured limits the rules apply."""

    session_open_minutes: int = 30
    device_offline_minutes: int = 10
    rate_limit_minutes: int = 10


def when(at: datetime) -> str:
    """A time in office time, in words whose digits never run together (the guard reads `12-07 12:35`
    as one run of digits): 2026年12月7日 9時05分."""
    local = at.astimezone(OFFICE_TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local.hour}時{local.minute:02d}分"


def _who(e: Seen) -> tuple[tuple[str, str], ...]:
    lines: list[tuple[str, str]] = []
    if e.actor_id is not None:
        lines.append(("操作した職員", e.name(e.actor_id)))
    if e.witness_id is not None:
        lines.append(("確認した職員", e.name(e.witness_id)))
    return tuple(lines)


def _where(e: Seen) -> tuple[tuple[str, str], ...]:
    return (("記録した端末", e.device),) if e.device else ()


# -- events that alert at once ---------------------------------------------------------------------

Rule = Callable[[Seen], Draft | None]


def at_once(kind: AlertKind) -> Rule:
    """A rule for an event that always alerts, with who and where (for the safe's own signals)."""

    def rule(e: Seen) -> Draft:
        return Draft(kind, e.seq, e.at, _who(e) + _where(e))

    return rule


def _override(e: Seen) -> Draft | None:
    approver = e.data.get("override_by")
    if approver is None:
        return None
    facts = (
        ("持ち出した職員", e.name(e.actor_id)),
        ("承認した責任者", e.name(approver)),
        ("保管庫利用番号", str(e.session_id) if e.session_id is not None else "（なし）"),
        ("承認理由", "キオスクの記録で確認してください"),
    )
    return Draft(AlertKind.OVERRIDE, e.seq, e.at, facts + _where(e))


def _lockout(e: Seen) -> Draft | None:
    facts = (("ロックされた職員", e.name(e.data.get("staff", e.actor_id))),)
    return Draft(AlertKind.LOCKOUT, e.seq, e.at, facts + _where(e))


def _missing_at_close(e: Seen) -> Draft | None:
    if e.data.get("stocktake") is not None:
        return None  # a stocktake's missing cards alert once, with its finish
    facts = (
        ("件数", "1枚"),
        ("記録した場面", f"保管庫利用 {e.session_id}" if e.session_id is not None else "保管庫利用"),
    )
    return Draft(AlertKind.CARDS_MISSING, e.seq, e.at, facts + _who(e) + _where(e))


def _stocktake_missing(e: Seen) -> Draft | None:
    missing = e.data.get("recorded_missing") or ()
    if not missing:
        return None
    facts = (
        ("件数", f"{len(missing)}枚"),
        ("記録した場面", f"点検 {e.stocktake_id}" if e.stocktake_id is not None else "点検"),
    )
    return Draft(AlertKind.CARDS_MISSING, e.seq, e.at, facts + _who(e) + _where(e))


def _verify_failed(e: Seen) -> Draft | None:
    if e.data.get("ok", True):
        return None
    facts = (("内容", "日次締めの検証で、管理簿の記録が改ざんまたは破損しているおそれが見つかりました"),)
    return Draft(AlertKind.INTEGRITY_FAILED, e.seq, e.at, facts + _where(e))


def _row_refused(e: Seen) -> Draft | None:
    """An authorising row (a staff member's role, lock or PIN) edited outside the core was refused."""
    facts = (
        (
            "内容",
            "職員の権限・ロック・暗証番号の記録が管理簿の外で書き換えられていたため、操作を拒否しました",
        ),
        ("対象の職員", e.name(e.data.get("row"))),
    )
    return Draft(AlertKind.INTEGRITY_FAILED, e.seq, e.at, facts + _where(e))


def _restored(e: Seen) -> Draft | None:
    first, last = e.data.get("dropped_first_seq"), e.data.get("dropped_last_seq")
    lost = first is not None or e.data.get("behind_anchor_seq") is not None
    facts: tuple[tuple[str, str], ...] = (
        ("復元後の最終記録番号", str(e.data.get("restored_head_seq", "?"))),
        ("記録が失われた復元", "はい" if lost else "いいえ"),
    )
    if first is not None:
        facts += (("失われた記録", f"{first} 番から {last} 番"),)
    return Draft(AlertKind.RESTORED, e.seq, e.at, facts + _who(e) + _where(e))


def _handed_over_seen(e: Seen) -> Draft | None:
    """The counter's alarm (`handed_over_card_seen`) as an alert: always at a stocktake; at the counter
    only on a later day than the card's hand-over (the same day it is the clerk scanning it again,
    which the screen still shows in red)."""
    if e.stocktake_id is not None:
        seen = list(e.issued) or ([e.card_id] if e.card_id else [])
    else:
        seen = [mid for mid, at in e.issued.items() if office_date(at) < office_date(e.at)]
    if not seen:
        return None
    where = (
        f"点検 {e.stocktake_id}"
        if e.stocktake_id is not None
        else (f"保管庫利用 {e.session_id}" if e.session_id is not None else "保管庫")
    )
    facts = (("件数", f"{len(seen)}枚"), ("読み取った場面", where))
    return Draft(AlertKind.HANDED_OVER_SEEN, e.seq, e.at, facts + _who(e) + _where(e))


# The events whose cards are looked up for `Seen.issued` (when each was handed over).
SIGHTINGS = frozenset({EventKind.HANDED_OVER_CARD_SEEN})


def sighted(kind: str, card_id: str | None, data: Mapping[str, Any]) -> tuple[str, ...]:
    """The management IDs an event of `kind` saw, for the hand-over check (`Seen.issued`)."""
    if kind not in SIGHTINGS:
        return ()
    return (card_id,) if card_id else ()


# An event kind -> its rule. A kind added later that should alert is one line here.
RULES: dict[EventKind, Rule] = {
    EventKind.CARD_TAKEN_OUT: _override,
    EventKind.STAFF_LOCKED: _lockout,
    EventKind.CARD_MISSING: _missing_at_close,
    EventKind.STOCKTAKE_FINISHED: _stocktake_missing,
    EventKind.LEDGER_VERIFIED: _verify_failed,
    EventKind.INTEGRITY_ALERT: _row_refused,
    EventKind.LEDGER_RESTORED: _restored,
    EventKind.HANDED_OVER_CARD_SEEN: _handed_over_seen,
    EventKind.SAFE_DOOR_FORCED: at_once(AlertKind.DOOR_FORCED),
    EventKind.SAFE_DOOR_LEFT_OPEN: at_once(AlertKind.DOOR_LEFT_OPEN),
}


# -- events that alert when their end has not followed in time ------------------------------------


@dataclass(frozen=True, slots=True)
class Watch:
    """`start` alerts as `alert` when no `stop` with the same key followed within `limit` minutes."""

    start: EventKind
    stop: EventKind
    alert: AlertKind
    key: Callable[[Seen], str | None]
    limit: Callable[[Limits], int]
    facts: Callable[[Seen], tuple[tuple[str, str], ...]]


def _session_key(e: Seen) -> str | None:
    return f"session {e.session_id}" if e.session_id is not None else None


def _device_key(e: Seen) -> str | None:
    name = e.data.get("device")
    return f"device {e.device or ''} {name}" if name else None


def _module_key(e: Seen) -> str | None:
    name = e.data.get("module")
    return f"safe-io {e.device or ''} {name}" if name else None


def _module_facts(e: Seen) -> tuple[tuple[str, str], ...]:
    return (
        ("機器", f"扉・錠の機器 {e.data.get('module', '')}"),
        ("切断の時刻", when(e.at)),
        ("理由", str(e.data.get("reason", ""))[:80]),
        *_where(e),
    )


def _session_facts(e: Seen) -> tuple[tuple[str, str], ...]:
    return (
        ("保管庫利用番号", str(e.session_id)),
        ("開いた時刻", when(e.at)),
        ("開いた職員", e.name(e.actor_id)),
        ("立会いの職員", e.name(e.witness_id)),
        *_where(e),
    )


def _device_facts(e: Seen) -> tuple[tuple[str, str], ...]:
    return (
        ("機器", str(e.data.get("device", ""))),
        ("切断の時刻", when(e.at)),
        ("理由", str(e.data.get("reason", ""))[:80]),
        *_where(e),
    )


WATCHES: tuple[Watch, ...] = (
    Watch(
        EventKind.SESSION_OPENED,
        EventKind.SESSION_CLOSED,
        AlertKind.SAFE_OPEN_TOO_LONG,
        _session_key,
        lambda limits: limits.session_open_minutes,
        _session_facts,
    ),
    Watch(
        EventKind.DEVICE_OFFLINE,
        EventKind.DEVICE_ONLINE,
        AlertKind.DEVICE_OFFLINE_LONG,
        _device_key,
        lambda limits: limits.device_offline_minutes,
        _device_facts,
    ),
    Watch(
        EventKind.SAFE_IO_OFFLINE,
        EventKind.SAFE_IO_ONLINE,
        AlertKind.DEVICE_OFFLINE_LONG,
        _module_key,
        lambda limits: limits.device_offline_minutes,
        _module_facts,
    ),
)
_WATCH_BY_ALERT = {w.alert: w for w in WATCHES}


# -- the rules' memory -----------------------------------------------------------------------------


def _iso(at: datetime) -> str:
    # Seconds only and a "T": the guard then sees at most the 8 digits of the date in one run.
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass
class AlertBook:
    """What the rules remember between polls: the watches waiting for their end, when each kind last
    alerted, how many were held back since, and the last day whose daily close was checked.

    Kept as JSON in the ledger (`to_json`/`from_json`); every number in it sits between words, so the
    My Number guard that checks every stored text never sees a long run of digits.
    """

    watching: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_alerted: dict[str, str] = field(default_factory=dict)
    held_back: dict[str, int] = field(default_factory=dict)
    close_checked: str | None = None
    floor: int | None = None  # the oldest queued alert that may still be undelivered

    def to_json(self) -> dict[str, Any]:
        return {
            "watching": self.watching,
            "last_alerted": self.last_alerted,
            "held_back": self.held_back,
            "close_checked": self.close_checked,
            "floor": self.floor,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AlertBook:
        return cls(
            watching=dict(data.get("watching") or {}),
            last_alerted=dict(data.get("last_alerted") or {}),
            held_back={k: int(v) for k, v in (data.get("held_back") or {}).items()},
            close_checked=data.get("close_checked"),
            floor=data.get("floor"),
        )


class AlertRules:
    """The rules over one `AlertBook` (pure: events and times in, drafts out)."""

    def __init__(self, book: AlertBook, limits: Limits) -> None:
        self.book = book
        self.limits = limits

    def feed(self, e: Seen) -> list[Draft]:
        """The alerts one recorded event raises at once (and the watches it starts or ends)."""
        out: list[Draft] = []
        try:
            kind: EventKind | None = EventKind(e.kind)
        except ValueError:
            kind = None
        rule = RULES.get(kind) if kind is not None else None
        if rule is not None:
            draft = rule(e)
            if draft is not None:
                out.append(draft)
        for watch in WATCHES:
            key = watch.key(e) if kind in (watch.start, watch.stop) else None
            if key is None:
                continue
            if kind is watch.start:
                self.book.watching[key] = {
                    "alert": watch.alert.value,
                    "since": _iso(e.at),
                    "seq": e.seq,
                    "facts": [list(pair) for pair in watch.facts(e)],
                }
            else:
                self.book.watching.pop(key, None)
        return out

    def due(self, now: datetime) -> list[Draft]:
        """The watches whose limit has passed without their end: alerts now (each once)."""
        out: list[Draft] = []
        for key, item in sorted(self.book.watching.items()):
            watch = _WATCH_BY_ALERT.get(AlertKind(item["alert"]))
            if watch is None:
                del self.book.watching[key]
                continue
            minutes = watch.limit(self.limits)
            since = _parse(item["since"])
            if now - since < timedelta(minutes=minutes):
                continue
            facts = tuple((str(label), str(value)) for label, value in item.get("facts", ()))
            facts += (("上限", f"{minutes}分"),)
            out.append(Draft(watch.alert, int(item["seq"]), since, facts))
            del self.book.watching[key]
        return out

    def admit(self, draft: Draft, now: datetime) -> int | None:
        """The rate limit, per kind: None when an alert of this kind went out less than the configured
        minutes ago (it is counted as held back); else how many were held back before this one."""
        kind = draft.kind.value
        last = self.book.last_alerted.get(kind)
        window = timedelta(minutes=self.limits.rate_limit_minutes)
        if last is not None and window and now - _parse(last) < window:
            self.book.held_back[kind] = self.book.held_back.get(kind, 0) + 1
            return None
        self.book.last_alerted[kind] = _iso(now)
        return self.book.held_back.pop(kind, 0)


def close_check_due(now: datetime, due_time: str, book: AlertBook) -> bool:
    """Whether today's daily close is to be checked now (past its time, not yet checked today)."""
    if not due_time:
        return False
    today = office_date(now)
    hh, mm = (int(part) for part in due_time.split(":"))
    return book.close_checked != today.isoformat() and now >= datetime.combine(today, time(hh, mm), OFFICE_TZ)


def daily_close_missing(
    now: datetime,
    due_time: str,
    last_close: datetime | None,
    worked_today: bool,
    book: AlertBook,
) -> Draft | None:
    """The daily close (日次締め) not run by `due_time` (office time, "HH:MM") on a day the safe was used.

    Checked once a day, after the due time: the day is then marked in `book` either way.
    """
    if not due_time:
        return None
    today = office_date(now)
    if book.close_checked == today.isoformat():
        return None
    hh, mm = (int(part) for part in due_time.split(":"))
    due_at = datetime.combine(today, time(hh, mm), OFFICE_TZ)
    if now < due_at:
        return None
    book.close_checked = today.isoformat()
    if not worked_today or (last_close is not None and office_date(last_close) == today):
        return None
    facts = (("期限", f"{hh}時{mm:02d}分"), ("対象日", _day(today)))
    return Draft(AlertKind.DAILY_CLOSE_MISSING, None, due_at.astimezone(UTC), facts)


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# -- words -----------------------------------------------------------------------------------------

FOOTER = (
    "この通知には職員の氏名のほかに個人情報を含めていません（カードの管理IDや理由の記載は省いています）。"
    "詳細はキオスクまたは監督者画面で確認してください。"
)
WITHHELD = (
    "本文に12桁以上の数字の並びが含まれるおそれがあるため、内容を省略しました。"
    "キオスクまたは監督者画面で確認してください。"
)


def compose(draft: Draft, *, kiosk: str, held_back: int = 0) -> Message:
    """The subject and body of an alert (Japanese, plain text)."""
    title = ALERT_NAMES[draft.kind][0]
    lines = [title, "", f"発生日時: {when(draft.at)}"]
    lines += [f"{label}: {value}" for label, value in draft.facts]
    if held_back:
        lines.append(f"前回の通知のあと、同じ種類の通知を{held_back}件省略しました。")
    lines.append(f"通知したキオスク: {kiosk}")
    if draft.source is not None:
        lines.append(f"管理簿の記録番号: {draft.source}")
    lines += ["", FOOTER]
    return Message(f"【保管庫通知】{title}（{kiosk}）", "\n".join(lines))


def guarded(message: Message, kind: AlertKind) -> Message:
    """The message as it may be stored and sent: through the My Number guard, or, when any part would
    carry a run of 12 or more digits, the alert's title and a fixed text instead (never the value)."""
    try:
        return Message(guard_text(message.subject, "alert.subject"), guard_text(message.body, "alert.body"))
    except Refusal:
        title = ALERT_NAMES[kind][0]
        return Message(f"【保管庫通知】{title}", f"{title}\n\n{WITHHELD}")


def retry_delay(attempt: int) -> timedelta:
    """How long a channel waits after its `attempt`-th failure: 30 s, doubling, at most 30 minutes."""
    return timedelta(seconds=min(30 * 2 ** max(attempt - 1, 0), 30 * 60))
