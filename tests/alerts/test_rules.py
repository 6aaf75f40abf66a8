"""The alert rules alone (pure): which events alert, the watches, the rate limit, the words, the guard."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from drivers.text import holds_individual_number
from kiosk.domain.alerts import (
    RULES,
    WATCHES,
    AlertBook,
    AlertKind,
    AlertRules,
    Draft,
    Limits,
    Seen,
    compose,
    daily_close_missing,
    guarded,
    retry_delay,
)
from kiosk.domain.events import EventKind
from kiosk.domain.guard import guard_text

T0 = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)  # 09:30 in the office
VALUE = "".join(str((7 * i + 3) % 10) for i in range(12))


def seen(kind: EventKind, seq: int = 1, at: datetime = T0, **fields: object) -> Seen:
    data = fields.pop("data", {})
    return Seen(seq=seq, at=at, kind=kind.value, data=data, **fields)  # type: ignore[arg-type]


def test_an_override_take_out_alerts_and_a_plain_one_does_not() -> None:
    rules = AlertRules(AlertBook(), Limits())
    names = {1: "保管 正子", 5: "課長 三子"}
    plain = seen(EventKind.CARD_TAKEN_OUT, data={}, actor_id=1, names=names)
    assert rules.feed(plain) == []
    override = seen(
        EventKind.CARD_TAKEN_OUT,
        seq=2,
        data={"override_by": 5, "reason": "本人来庁"},
        actor_id=1,
        session_id=3,
        names=names,
    )
    (draft,) = rules.feed(override)
    assert draft.kind is AlertKind.OVERRIDE
    assert draft.source == 2
    words = compose(draft, kiosk="kiosk-1")
    assert "保管 正子" in words.body
    assert "課長 三子" in words.body
    assert "本人来庁" not in words.body  # a free-text reason may name the holder: never in an alert


def test_each_kind_of_alert_has_a_rule_or_a_watch_or_says_why_not() -> None:
    covered = set()
    for kind, rule in RULES.items():
        draft = rule(_alerting(kind))
        assert draft is not None, kind
        covered.add(draft.kind)
    covered |= {w.alert for w in WATCHES} | {AlertKind.DAILY_CLOSE_MISSING}
    covered.add(AlertKind.LEDGER_REFUSED)  # sent directly at a refused start (kiosk.desk.alerts)
    assert covered == set(AlertKind)


def _alerting(kind: EventKind) -> Seen:
    yesterday = {"7000000018": T0 - timedelta(days=1)}
    data: dict[str, object] = {
        EventKind.CARD_TAKEN_OUT: {"override_by": 5},
        EventKind.STAFF_LOCKED: {"staff": 4},
        EventKind.CARD_MISSING: {"note": "x"},
        EventKind.STOCKTAKE_FINISHED: {"recorded_missing": ["7000000018"]},
        EventKind.LEDGER_VERIFIED: {"ok": False, "events": 3, "anchors": 0},
        EventKind.LEDGER_RESTORED: {"restored_head_seq": 5, "behind_anchor_seq": None},
        EventKind.HANDED_OVER_CARD_SEEN: {"attempted": "put_back"},
        EventKind.INTEGRITY_ALERT: {"table": "staff", "row": 4, "check": "row_mac"},
        EventKind.SAFE_DOOR_FORCED: {"lock": "engaged", "while_offline": False},
        EventKind.SAFE_DOOR_LEFT_OPEN: {"opened_seq": 1, "limit_s": 120},
    }[kind]
    return seen(kind, data=data, issued=yesterday)


def test_a_handed_over_card_seen_at_a_stocktake_alerts_and_a_rescan_the_same_day_does_not() -> None:
    rules = AlertRules(AlertBook(), Limits())
    today = {"7000000018": T0 - timedelta(minutes=5)}
    rescan = seen(
        EventKind.HANDED_OVER_CARD_SEEN, data={"attempted": "put_back"}, card_id="7000000018", issued=today
    )
    assert rules.feed(rescan) == []  # the clerk scanning the card just handed over
    counted = seen(
        EventKind.HANDED_OVER_CARD_SEEN,
        data={"attempted": "stocktake_scan"},
        card_id="7000000018",
        stocktake_id=4,
        issued=today,
    )
    (draft,) = rules.feed(counted)
    body = compose(draft, kiosk="kiosk-1").body
    assert draft.kind is AlertKind.HANDED_OVER_SEEN
    assert "点検 4" in body
    assert "7000000018" not in body


def test_a_stocktakes_missing_cards_alert_once_with_the_count_and_no_ids() -> None:
    rules = AlertRules(AlertBook(), Limits())
    marked = seen(EventKind.CARD_MISSING, seq=7, data={"note": "x", "stocktake": 2}, stocktake_id=2)
    assert rules.feed(marked) == []  # counted in the finish's alert
    finished = seen(
        EventKind.STOCKTAKE_FINISHED,
        seq=8,
        data={"recorded_missing": ["7000000018", "7000000026"]},
        stocktake_id=2,
    )
    (draft,) = rules.feed(finished)
    body = compose(draft, kiosk="kiosk-1").body
    assert "2枚" in body
    assert "7000000018" not in body


def test_a_safe_left_open_alerts_once_after_its_limit_and_a_closed_one_never() -> None:
    book = AlertBook()
    rules = AlertRules(book, Limits(session_open_minutes=30))
    rules.feed(seen(EventKind.SESSION_OPENED, seq=1, session_id=1, actor_id=1, witness_id=2))
    rules.feed(seen(EventKind.SESSION_OPENED, seq=2, session_id=2, actor_id=1, witness_id=2))
    rules.feed(seen(EventKind.SESSION_CLOSED, seq=3, session_id=2))
    assert rules.due(T0 + timedelta(minutes=29)) == []
    (draft,) = rules.due(T0 + timedelta(minutes=30))
    assert (draft.kind, draft.source) == (AlertKind.SAFE_OPEN_TOO_LONG, 1)
    assert rules.due(T0 + timedelta(minutes=90)) == []  # once
    # The memory survives a restart (it is kept as JSON between polls).
    again = AlertBook.from_json(json.loads(json.dumps(book.to_json())))
    assert again == book


def test_a_device_offline_past_the_limit_alerts_and_one_back_in_time_does_not() -> None:
    rules = AlertRules(AlertBook(), Limits(device_offline_minutes=10))
    off = {"device": "scanner", "reason": "unplugged"}
    rules.feed(seen(EventKind.DEVICE_OFFLINE, seq=1, device="kiosk-1", data=off))
    rules.feed(
        seen(EventKind.DEVICE_OFFLINE, seq=2, device="kiosk-1", data={"device": "webcam", "reason": "x"})
    )
    rules.feed(seen(EventKind.DEVICE_ONLINE, seq=3, device="kiosk-1", data={"device": "webcam"}))
    (draft,) = rules.due(T0 + timedelta(minutes=10))
    assert draft.kind is AlertKind.DEVICE_OFFLINE_LONG
    assert "scanner" in compose(draft, kiosk="kiosk-1").body


def test_the_rate_limit_holds_back_a_kind_and_says_how_many_were_held() -> None:
    rules = AlertRules(AlertBook(), Limits(rate_limit_minutes=10))
    lock = Draft(AlertKind.LOCKOUT, 1, T0)
    assert rules.admit(lock, T0) == 0
    assert rules.admit(lock, T0 + timedelta(minutes=3)) is None
    assert rules.admit(Draft(AlertKind.OVERRIDE, 2, T0), T0 + timedelta(minutes=3)) == 0  # per kind
    assert rules.admit(lock, T0 + timedelta(minutes=9)) is None
    assert rules.admit(lock, T0 + timedelta(minutes=10)) == 2
    text = compose(lock, kiosk="k", held_back=2).body
    assert "2件省略" in text


def test_the_daily_close_alerts_after_its_time_on_a_working_day_only() -> None:
    book = AlertBook()
    evening = datetime(2026, 4, 1, 9, 1, tzinfo=UTC)  # 18:01 in the office
    assert daily_close_missing(T0, "18:00", None, True, book) is None  # not yet due
    draft = daily_close_missing(evening, "18:00", None, True, book)
    assert draft is not None
    assert draft.kind is AlertKind.DAILY_CLOSE_MISSING
    assert daily_close_missing(evening, "18:00", None, True, book) is None  # once a day
    quiet = AlertBook()
    assert daily_close_missing(evening, "18:00", None, False, quiet) is None  # the safe was not used
    done = AlertBook()
    assert daily_close_missing(evening, "18:00", evening - timedelta(hours=1), True, done) is None


def test_times_in_an_alert_never_read_as_a_long_number() -> None:
    draft = Draft(AlertKind.LOCKOUT, 123456789, datetime(2026, 12, 31, 14, 59, tzinfo=UTC), (("x", "y"),))
    words = compose(draft, kiosk="kiosk-1")
    assert not holds_individual_number(words.subject + words.body)
    guard_text(words.body, "body")  # does not raise


def test_a_value_that_would_carry_twelve_digits_is_withheld_not_sent() -> None:
    draft = Draft(AlertKind.LOCKOUT, 1, T0, (("ロックされた職員", f"山田 {VALUE[:6]}-{VALUE[6:]}"),))
    words = guarded(compose(draft, kiosk="kiosk-1"), draft.kind)
    assert not holds_individual_number(words.subject + words.body)
    assert VALUE[:6] not in words.body
    assert "省略" in words.body
    assert "職員がロックされました" in words.body


def test_retries_back_off_up_to_half_an_hour() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(30) == timedelta(minutes=30)


def test_a_forced_door_alerts_at_once_and_a_module_offline_past_the_limit_alerts() -> None:
    rules = AlertRules(AlertBook(), Limits(device_offline_minutes=10))
    forced = seen(
        EventKind.SAFE_DOOR_FORCED, seq=4, device="kiosk-1", data={"lock": "engaged", "while_offline": False}
    )
    (draft,) = rules.feed(forced)
    assert draft.kind is AlertKind.DOOR_FORCED
    assert "保管庫の扉が不正に開かれました" in compose(draft, kiosk="kiosk-1").subject
    rules.feed(
        seen(
            EventKind.SAFE_IO_OFFLINE,
            seq=5,
            device="kiosk-1",
            data={"module": "safe-io", "reason": "timeout"},
        )
    )
    assert rules.due(T0 + timedelta(minutes=9)) == []
    (late,) = rules.due(T0 + timedelta(minutes=10))
    assert late.kind is AlertKind.DEVICE_OFFLINE_LONG
    assert "扉・錠の機器" in compose(late, kiosk="kiosk-1").body
    # Back within the limit: no alert.
    rules.feed(
        seen(EventKind.SAFE_IO_OFFLINE, seq=6, device="kiosk-1", data={"module": "safe-io", "reason": "x"})
    )
    rules.feed(seen(EventKind.SAFE_IO_ONLINE, seq=7, device="kiosk-1", data={"module": "safe-io"}))
    assert rules.due(T0 + timedelta(minutes=30)) == []


def test_a_staff_row_edited_outside_the_core_alerts_with_the_member_named() -> None:
    rules = AlertRules(AlertBook(), Limits())
    names = {4: "窓口 四郎"}
    (draft,) = rules.feed(
        seen(EventKind.INTEGRITY_ALERT, data={"table": "staff", "row": 4, "check": "row_mac"}, names=names)
    )
    assert draft.kind is AlertKind.INTEGRITY_FAILED
    assert "窓口 四郎" in compose(draft, kiosk="kiosk-1").body
