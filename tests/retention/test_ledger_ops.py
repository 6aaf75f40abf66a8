"""Notice/reminder dates, holds and work lists on a real ledger (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kiosk.domain.card_state import office_date
from kiosk.domain.retention import DatedListRejected, RetentionPolicy, Stage, parse_dated_ids
from kiosk.domain.status import CardStatus
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.conftest import Crew, FakeClock
from tests.ledger.helpers import ids, receive
from tests.ledger_ops import (
    assess_card,
    due_lists,
    hold_spans,
    record_sent,
    release_hold,
    set_hold,
)


def send(ledger: Ledger, which: str, lines: list[str], day: date | None = None) -> None:
    today = office_date(ledger.clock())
    record_sent(ledger, which, parse_dated_ids(lines, default=day, today=today))


def test_notice_and_reminder_dates_are_recorded_and_the_work_lists_follow(
    ledger: Ledger, clock: FakeClock, crew: Crew
) -> None:
    a, b, c = ids(3)
    receive(ledger, [a, b, c])
    start = office_date(clock())
    send(ledger, "notice", [f"{a},{start}", f"{b},{start}"])
    assert ledger.card(a).notice_sent_on == start  # type: ignore[union-attr]
    policy = RetentionPolicy()

    lists = due_lists(ledger, policy)
    assert [x.management_id for x in lists.notice_unknown] == [c]
    assert lists.waiting == 2

    clock.advance(days=31)
    lists = due_lists(ledger, policy)
    assert [x.management_id for x in lists.reminders_due] == [a, b]

    reminder_day = office_date(clock())
    send(ledger, "reminder", [a], reminder_day)
    clock.advance(days=90)
    assert not due_lists(ledger, policy).eligible
    clock.advance(days=1)
    lists = due_lists(ledger, policy)
    assert [x.management_id for x in lists.eligible] == [a]
    assert lists.eligible[0].due_on == reminder_day + timedelta(days=91)
    assert verify(ledger).ok


def test_a_list_with_one_bad_line_records_nothing_and_names_every_bad_line(
    ledger: Ledger, crew: Crew
) -> None:
    a, b, unknown = ids(3)
    receive(ledger, [a, b])
    today = office_date(ledger.clock())
    head = ledger.head()
    entries = parse_dated_ids([a, unknown, b], default=today, today=today)
    with pytest.raises(DatedListRejected) as info:
        record_sent(ledger, "reminder", entries)
    assert info.value.problems == [
        f"line 1: {a}: record the notice date first",
        f"line 2: {unknown} is not in the ledger",
        f"line 3: {b}: record the notice date first",
    ]
    assert ledger.head() == head
    assert ledger.card(a).reminder_sent_on is None  # type: ignore[union-attr]


def test_a_reminder_before_the_notice_is_refused(ledger: Ledger) -> None:
    (a,) = ids(1)
    receive(ledger, [a])
    today = office_date(ledger.clock())
    send(ledger, "notice", [a], today)
    with pytest.raises(DatedListRejected, match="problem"):
        send(ledger, "reminder", [a], today - timedelta(days=1))


def test_a_hold_stops_the_clock_by_the_days_it_was_in_force(
    ledger: Ledger, clock: FakeClock, crew: Crew
) -> None:
    (a,) = ids(1)
    receive(ledger, [a])
    day0 = office_date(clock())
    send(ledger, "notice", [a], day0)
    send(ledger, "reminder", [a], day0)
    policy = RetentionPolicy()
    clock.advance(days=10)
    set_hold(ledger, a, "長期入院", actor_id=crew.officer.id)
    with pytest.raises(ValueError, match="already on hold"):
        set_hold(ledger, a, "again", actor_id=crew.officer.id)
    clock.advance(days=200)
    lists = due_lists(ledger, policy)
    assert [x.management_id for x in lists.held] == [a]
    assert lists.held[0].hold_reason == "長期入院"
    assert lists.held[0].hold_since == day0 + timedelta(days=10)
    assert not lists.eligible
    release_hold(ledger, a, actor_id=crew.officer.id)  # released on day 210: 200 days on hold
    with pytest.raises(ValueError, match="not on hold"):
        release_hold(ledger, a, actor_id=crew.officer.id)
    with ledger.read() as s:
        spans = hold_spans(s)[a]
    assert [(h.start, h.end) for h in spans] == [(day0 + timedelta(days=10), day0 + timedelta(days=210))]
    assessment = assess_card(ledger, policy, a)
    assert assessment is not None
    assert assessment.days_on_hold == 200
    assert assessment.eligible_on == day0 + timedelta(days=291)
    clock.advance(days=80)  # day 290
    assert assess_card(ledger, policy, a).stage is Stage.AWAITING_AFTER_REMINDER  # type: ignore[union-attr]
    clock.advance(days=1)
    assert [x.management_id for x in due_lists(ledger, policy).eligible] == [a]
    assert verify(ledger).ok


def test_a_hold_needs_a_reason_and_a_card_that_is_still_open(ledger: Ledger, crew: Crew) -> None:
    (a,) = ids(1)
    receive(ledger, [a])
    with pytest.raises(ValueError, match="needs a reason"):
        set_hold(ledger, a, "  ", actor_id=crew.officer.id)
    (unknown,) = ids(1, start=50)
    with pytest.raises(ValueError, match="not in the ledger"):
        set_hold(ledger, unknown, "x", actor_id=crew.officer.id)
    assert ledger.card(a).status is CardStatus.IN_SAFE  # type: ignore[union-attr]
