"""The retention policy's dates: every preset at its boundaries, the month rule, holds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kiosk.domain.card_state import CardState
from kiosk.domain.retention import (
    DatedListRejected,
    HoldSpan,
    Preset,
    RetentionPolicy,
    Stage,
    add_months,
    build_due_lists,
    first_day_after,
    ineligibility,
    parse_dated_ids,
    period_end,
)
from kiosk.domain.status import CardStatus
from tests.ledger.helpers import ids

NOTICE = date(2026, 1, 5)
REMINDER = date(2026, 2, 10)


def card(
    notice: date | None = NOTICE,
    reminder: date | None = REMINDER,
    hold: str | None = None,
    status: CardStatus = CardStatus.IN_SAFE,
) -> CardState:
    return CardState(
        management_id=ids(1)[0],
        kind="mynumber_card",
        status=status,
        notice_sent_on=notice,
        reminder_sent_on=reminder,
        hold_reason=hold,
    )


def stage_on(
    policy: RetentionPolicy, day: date, c: CardState | None = None, holds: list[HoldSpan] | None = None
) -> Stage:
    return policy.assess(c or card(), holds or [], day).stage


# -- calendar arithmetic ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # no 31 Feb: last day of February
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 2, date(2027, 2, 15)),  # across the year
        (date(2026, 5, 10), 12, date(2027, 5, 10)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last_day(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("sent", "months", "last_day"),
    [
        (date(2026, 1, 15), 3, date(2026, 4, 15)),  # 起算日 16 Jan → ends the day before 16 Apr
        (date(2026, 1, 30), 1, date(2026, 2, 28)),  # 起算日 31 Jan: no 31 Feb → last day of Feb
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # 起算日 1 Feb → ends 28 Feb
        (date(2027, 2, 28), 1, date(2027, 3, 31)),  # 起算日 1 Mar → ends 31 Mar (not 28 Mar)
        (date(2026, 11, 30), 3, date(2027, 2, 28)),  # 起算日 1 Dec → ends 28 Feb
        (date(2027, 11, 29), 3, date(2028, 2, 29)),  # 起算日 30 Nov: no 30 Feb → 29 Feb (leap)
        (date(2026, 12, 31), 12, date(2027, 12, 31)),
    ],
)
def test_a_month_period_ends_by_the_civil_code_rule(sent: date, months: int, last_day: date) -> None:
    assert period_end(sent, months=months) == last_day
    assert first_day_after(sent, months=months) == last_day + timedelta(days=1)


def test_a_day_period_does_not_count_the_day_of_sending() -> None:
    assert period_end(REMINDER, days=90) == REMINDER + timedelta(days=90)
    assert first_day_after(REMINDER, days=90) == REMINDER + timedelta(days=91)
    with pytest.raises(ValueError, match="not both"):
        period_end(REMINDER, days=1, months=1)


# -- presets at their boundaries --------------------------------------------------------------


def test_notice_2017_is_the_default_and_eligible_on_day_91_after_the_reminder() -> None:
    policy = RetentionPolicy()
    assert policy.preset is Preset.NOTICE_2017
    assert stage_on(policy, REMINDER + timedelta(days=89)) is Stage.AWAITING_AFTER_REMINDER
    assert stage_on(policy, REMINDER + timedelta(days=90)) is Stage.AWAITING_AFTER_REMINDER
    assert stage_on(policy, REMINDER + timedelta(days=91)) is Stage.ELIGIBLE
    assert policy.assess(card(), [], REMINDER).eligible_on == REMINDER + timedelta(days=91)


def test_notice_2017_reminder_is_due_the_day_after_reminder_after_days() -> None:
    policy = RetentionPolicy(reminder_after_days=30)
    pending = card(reminder=None)
    assert stage_on(policy, NOTICE + timedelta(days=29), pending) is Stage.AWAITING_APPLICANT
    assert stage_on(policy, NOTICE + timedelta(days=30), pending) is Stage.AWAITING_APPLICANT
    assert stage_on(policy, NOTICE + timedelta(days=31), pending) is Stage.REMINDER_DUE
    assert policy.assess(pending, [], NOTICE).reminder_due_on == NOTICE + timedelta(days=31)


def test_the_periods_are_configuration() -> None:
    policy = RetentionPolicy.from_preset(
        "notice-2017", reminder_after_days=14, disposal_after_reminder_days=60
    )
    assert stage_on(policy, REMINDER + timedelta(days=60)) is Stage.AWAITING_AFTER_REMINDER
    assert stage_on(policy, REMINDER + timedelta(days=61)) is Stage.ELIGIBLE
    assert stage_on(policy, NOTICE + timedelta(days=15), card(reminder=None)) is Stage.REMINDER_DUE
    with pytest.raises(ValueError, match="unknown retention preset"):
        RetentionPolicy.from_preset("forever")


def test_reminder_plus_3_months_uses_calendar_months() -> None:
    policy = RetentionPolicy(Preset.REMINDER_PLUS_3_MONTHS)
    # Reminder 10 Feb: the period ends 10 May; eligible 11 May (day 90 is 11 May in days, by chance).
    assert stage_on(policy, date(2026, 5, 9)) is Stage.AWAITING_AFTER_REMINDER
    assert stage_on(policy, date(2026, 5, 10)) is Stage.AWAITING_AFTER_REMINDER
    assert stage_on(policy, date(2026, 5, 11)) is Stage.ELIGIBLE
    # From 30 Nov: ends 28 Feb, eligible 1 Mar (only 91 days, where "90 days" would be later).
    late = card(notice=date(2026, 10, 1), reminder=date(2026, 11, 30))
    assert stage_on(policy, date(2027, 2, 28), late) is Stage.AWAITING_AFTER_REMINDER
    assert stage_on(policy, date(2027, 3, 1), late) is Stage.ELIGIBLE


def test_later_of_reminder_3m_or_notice_12m_takes_the_later_date() -> None:
    policy = RetentionPolicy(Preset.LATER_OF_REMINDER_3M_OR_NOTICE_12M)
    # Notice 5 Jan 2026 + 12 months → eligible 6 Jan 2027, later than reminder + 3 months (11 May 2026).
    assert stage_on(policy, date(2026, 5, 11)) is Stage.AWAITING_AFTER_REMINDER
    assert stage_on(policy, date(2027, 1, 5)) is Stage.AWAITING_AFTER_REMINDER
    assert stage_on(policy, date(2027, 1, 6)) is Stage.ELIGIBLE
    # A late reminder: reminder + 3 months is the later one.
    late = card(notice=date(2026, 1, 5), reminder=date(2026, 12, 1))
    assert policy.assess(late, [], date(2027, 1, 6)).eligible_on == date(2027, 3, 2)
    assert stage_on(policy, date(2027, 3, 1), late) is Stage.AWAITING_AFTER_REMINDER
    assert stage_on(policy, date(2027, 3, 2), late) is Stage.ELIGIBLE


def test_no_disposal_sends_reminders_but_never_makes_a_card_eligible() -> None:
    policy = RetentionPolicy(Preset.NO_DISPOSAL)
    assert stage_on(policy, NOTICE + timedelta(days=31), card(reminder=None)) is Stage.REMINDER_DUE
    a = policy.assess(card(), [], REMINDER + timedelta(days=5000))
    assert a.stage is Stage.AWAITING_AFTER_REMINDER
    assert a.eligible_on is None
    assert ineligibility(policy, a) == (
        "policy_never_disposes",
        "the retention policy (no-disposal) never makes a card eligible",
    )


def test_a_card_without_a_notice_date_and_cards_not_in_the_safe() -> None:
    policy = RetentionPolicy()
    assert stage_on(policy, REMINDER, card(notice=None, reminder=None)) is Stage.NOTICE_UNKNOWN
    late = REMINDER + timedelta(days=400)
    for status in (
        CardStatus.OUT,
        CardStatus.ISSUED,
        CardStatus.CANCELLED,
        CardStatus.DISPOSED,
        CardStatus.MISSING,
    ):
        assert stage_on(policy, late, card(status=status)) is Stage.NOT_APPLICABLE
    assert stage_on(policy, late, card(status=CardStatus.RECEIVED)) is Stage.ELIGIBLE


# -- holds stop the clock ---------------------------------------------------------------------


def test_a_hold_in_force_lists_the_card_as_held_and_nothing_is_due() -> None:
    policy = RetentionPolicy()
    since = REMINDER + timedelta(days=10)
    a = policy.assess(
        card(hold="長期入院"), [HoldSpan(since, None, "長期入院")], REMINDER + timedelta(days=500)
    )
    assert a.stage is Stage.HELD
    assert a.hold_since == since
    assert ineligibility(policy, a) is not None
    assert ineligibility(policy, a)[0] == "on_hold"  # type: ignore[index]


def test_days_on_hold_inside_the_period_are_added_to_it() -> None:
    policy = RetentionPolicy()
    # On hold from day 10 to day 30 after the reminder (released on day 30): 20 days added.
    hold = [HoldSpan(REMINDER + timedelta(days=10), REMINDER + timedelta(days=30))]
    a = policy.assess(card(), hold, REMINDER)
    assert a.days_on_hold == 20
    assert a.eligible_on == REMINDER + timedelta(days=111)
    assert stage_on(policy, REMINDER + timedelta(days=110), holds=hold) is Stage.AWAITING_AFTER_REMINDER
    assert stage_on(policy, REMINDER + timedelta(days=111), holds=hold) is Stage.ELIGIBLE


def test_a_hold_before_the_period_started_does_not_count_and_one_across_its_start_counts_in_part() -> None:
    policy = RetentionPolicy()
    before = [HoldSpan(REMINDER - timedelta(days=20), REMINDER - timedelta(days=5))]
    assert policy.assess(card(), before, REMINDER).eligible_on == REMINDER + timedelta(days=91)
    across = [HoldSpan(REMINDER - timedelta(days=5), REMINDER + timedelta(days=6))]  # days 1..5 count
    assert policy.assess(card(), across, REMINDER).eligible_on == REMINDER + timedelta(days=96)


def test_a_pushed_period_that_reaches_a_later_hold_is_pushed_again() -> None:
    policy = RetentionPolicy()
    holds = [
        HoldSpan(REMINDER + timedelta(days=80), REMINDER + timedelta(days=90)),  # 10 days → ends day 100
        HoldSpan(REMINDER + timedelta(days=95), REMINDER + timedelta(days=98)),  # inside the pushed part: +3
        HoldSpan(REMINDER + timedelta(days=200), REMINDER + timedelta(days=210)),  # after: ignored
    ]
    a = policy.assess(card(), holds, REMINDER)
    assert a.days_on_hold == 13
    assert a.eligible_on == REMINDER + timedelta(days=104)


def test_holds_also_push_the_reminder_date() -> None:
    policy = RetentionPolicy(reminder_after_days=30)
    hold = [HoldSpan(NOTICE + timedelta(days=1), NOTICE + timedelta(days=8))]
    assert policy.assess(card(reminder=None), hold, NOTICE).reminder_due_on == NOTICE + timedelta(days=38)


# -- work lists -------------------------------------------------------------------------------


def test_build_due_lists_sorts_every_waiting_card_into_one_list() -> None:
    policy = RetentionPolicy()
    a, b, c, d, e, f = ids(6, start=100)
    today = date(2026, 6, 1)
    cards = [
        CardState(a, "mynumber_card", CardStatus.IN_SAFE, notice_sent_on=date(2026, 4, 1)),
        CardState(
            b,
            "mynumber_card",
            CardStatus.IN_SAFE,
            notice_sent_on=date(2026, 1, 1),
            reminder_sent_on=date(2026, 2, 1),
        ),
        CardState(
            c, "mynumber_card", CardStatus.IN_SAFE, notice_sent_on=date(2026, 1, 1), hold_reason="入院"
        ),
        CardState(d, "mynumber_card", CardStatus.IN_SAFE),
        CardState(e, "mynumber_card", CardStatus.IN_SAFE, notice_sent_on=date(2026, 5, 25)),
        CardState(f, "mynumber_card", CardStatus.ISSUED, notice_sent_on=date(2026, 1, 1)),
    ]
    lists = build_due_lists(policy, cards, {c: [HoldSpan(date(2026, 3, 1), None, "入院")]}, today)
    assert [x.management_id for x in lists.reminders_due] == [a]
    assert lists.reminders_due[0].due_on == date(2026, 5, 2)
    assert [x.management_id for x in lists.eligible] == [b]
    assert [x.management_id for x in lists.held] == [c]
    assert lists.held[0].hold_since == date(2026, 3, 1)
    assert [x.management_id for x in lists.notice_unknown] == [d]
    assert lists.waiting == 1
    data = lists.to_json()
    assert data["policy"] == "notice-2017"
    assert data["eligible"][0]["due_on"] == "2026-05-03"


# -- notice/reminder lists --------------------------------------------------------------------


def test_parse_dated_ids_accepts_csv_with_dates_or_bare_ids_with_a_default() -> None:
    a, b = ids(2)
    today = date(2026, 4, 1)
    got = parse_dated_ids(
        ["management_id,date", f"{a},2026-03-01", f"{b},2026/3/2"], default=None, today=today
    )
    assert [(x.management_id.value, x.sent_on) for x in got] == [(a, date(2026, 3, 1)), (b, date(2026, 3, 2))]
    got = parse_dated_ids([a, "", b], default=date(2026, 3, 31), today=today)
    assert [x.sent_on for x in got] == [date(2026, 3, 31)] * 2


def test_parse_dated_ids_reports_every_bad_line_without_echoing_it() -> None:
    a, b = ids(2)
    twelve = "".join(str(i % 10) for i in range(3, 15))
    lines = [
        f"{a},2026-03-01",
        twelve,
        f"{b},2026-02-30",
        f"{a[:-1]}{(int(a[-1]) + 1) % 10},2026-03-01",
        f"{b},2027-01-01",
        f"{a},2026-03-02",
        b,
    ]
    with pytest.raises(DatedListRejected) as info:
        parse_dated_ids(lines, default=None, today=date(2026, 4, 1))
    problems = info.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4", "line 5", "line 6", "line 7"]
    assert "individual number" in problems[0]
    assert "not a calendar date" in problems[1]
    assert "check digit" in problems[2]
    assert "future" in problems[3]
    assert "already on line 1" in problems[4]
    assert "no date" in problems[5]
    assert not any(twelve in p for p in problems)
