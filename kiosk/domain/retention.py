"""Retention policy (保管期間): when a card is due a reminder (督促) and when it may be disposed.

Plain Python, no storage: `RetentionPolicy.assess(card, holds, today)` says where one card stands;
`build_due_lists` turns many cards into the work lists. The kiosk never cancels or disposes on its own.

How periods are counted (the same rule as Japanese civil law, 民法 第140条・第143条, so the kiosk
never lets a card go a day earlier than the letter to the applicant promised):

- The day something was sent is not counted (初日不算入). A period of N days from date D ends at the
  end of day D + N; the consequence (reminder due, eligible for cancellation) applies from D + N + 1.
  With the notice's 90 days: a reminder sent on D → day 89 and day 90 still waiting, day 91 eligible.
- A period of M months runs from the next day (起算日 D + 1) and ends the day before the same day
  number M months later. If that month has no such day (e.g. 31st), it ends on that month's last day
  (the end-of-month rule). So 3 months from 15 Jan ends 15 Apr (eligible 16 Apr); 1 month from
  30 Jan ends 28 (or 29) Feb; 1 month from 28 Feb 2027 ends 31 Mar.
- "Stop the clock": a hold (保留, e.g. a long hospital stay) pauses every running period. While a
  hold is in force the card is listed as held and nothing is due. Every calendar day a card was on
  hold inside a running period (from the day the hold was set up to, not including, the day it was
  released) is added to that period's end. Holds before a period started do not count for it.
"""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from kiosk.domain.card_state import CardState
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.status import CardStatus


class Preset(enum.StrEnum):
    """The retention rules municipalities use."""

    NOTICE_2017 = "notice-2017"  # 総行住第236号: reminder, then 90 days
    REMINDER_PLUS_3_MONTHS = "reminder-plus-3-months"
    LATER_OF_REMINDER_3M_OR_NOTICE_12M = "later-of-reminder-3m-or-notice-12m"
    NO_DISPOSAL = "no-disposal"  # reminders only; cards are never eligible for disposal


class Stage(enum.StrEnum):
    """Where a card stands in the retention process."""

    NOT_APPLICABLE = "not_applicable"  # not waiting in the safe (out, issued, cancelled, …)
    HELD = "held"  # 保留: a hold is in force
    NOTICE_UNKNOWN = "notice_unknown"  # 交付通知書の送付日が未登録
    AWAITING_APPLICANT = "awaiting_applicant"  # notice sent, reminder not yet due
    REMINDER_DUE = "reminder_due"  # 督促対象
    AWAITING_AFTER_REMINDER = "awaiting_after_reminder"  # reminder sent, period running
    ELIGIBLE = "eligible"  # 交付取りやめ・廃棄対象


# Only cards waiting in the office take part (a card out at the counter is being handed over).
WAITING_STATUSES = frozenset({CardStatus.RECEIVED, CardStatus.IN_SAFE})


# -- calendar arithmetic ----------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day number `months` later; the month's last day when that month is shorter."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def period_end(start: date, *, days: int = 0, months: int = 0) -> date:
    """The last day of a period of `days` or `months` counted from the day after `start` (民法140・143条)."""
    if days and months:
        raise ValueError("a period is counted in days or in months, not both")
    if days:
        return start + timedelta(days=days)
    first = start + timedelta(days=1)  # 起算日
    index = first.year * 12 + (first.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    if first.day > last:
        return date(year, month0 + 1, last)  # no corresponding day: the month's last day
    return date(year, month0 + 1, first.day) - timedelta(days=1)


def first_day_after(start: date, *, days: int = 0, months: int = 0) -> date:
    """The first day on which a period counted from `start` has passed."""
    return period_end(start, days=days, months=months) + timedelta(days=1)


# -- holds ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HoldSpan:
    """One hold (保留): on hold from `start` up to, not including, `end` (None: still in force)."""

    start: date
    end: date | None = None
    reason: str = ""

    def held_days(self, after: date, through: date) -> int:
        """Days on hold in (after, through]."""
        lo = max(self.start, after + timedelta(days=1))
        hi = through + timedelta(days=1) if self.end is None else min(self.end, through + timedelta(days=1))
        return max(0, (hi - lo).days)


def stop_the_clock(anchor: date, first_due: date, holds: Sequence[HoldSpan]) -> tuple[date, int]:
    """Push `first_due` (a period that started the day after `anchor`) by the days on hold inside it.

    Returns (new first due day, days added). Repeats until stable, because the pushed period can reach
    into a later hold.
    """
    # A hold still in force has no end yet: the card is listed as held instead (see `assess`).
    closed = [h for h in holds if h.end is not None]
    added = 0
    while True:
        through = first_due + timedelta(days=added - 1)
        total = sum(h.held_days(anchor, through) for h in closed)
        if total == added:
            return first_due + timedelta(days=added), added
        added = total


# -- the policy -------------------------------------------------------------------------------


class RetentionSection(Protocol):
    """What `RetentionPolicy.from_settings` reads (the [retention] settings section)."""

    @property
    def preset(self) -> str: ...
    @property
    def reminder_after_days(self) -> int: ...
    @property
    def disposal_after_reminder_days(self) -> int: ...
    @property
    def disposal_after_reminder_months(self) -> int: ...
    @property
    def disposal_after_notice_months(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Assessment:
    """One card under the policy: its stage, the day the next step is (or was) due, days on hold."""

    stage: Stage
    reminder_due_on: date | None = None
    eligible_on: date | None = None
    days_on_hold: int = 0
    hold_since: date | None = None

    @property
    def due_on(self) -> date | None:
        """The day the current stage's action became (or becomes) due."""
        if self.stage in (Stage.REMINDER_DUE, Stage.AWAITING_APPLICANT):
            return self.reminder_due_on
        if self.stage in (Stage.ELIGIBLE, Stage.AWAITING_AFTER_REMINDER):
            return self.eligible_on
        return None


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """A municipality's retention rule (保管期間の方針). Every period is configuration.

    - `notice-2017`: reminder due `reminder_after_days` after the notice; eligible
      `disposal_after_reminder_days` (90) days after the reminder.
    - `reminder-plus-3-months`: eligible `disposal_after_reminder_months` calendar months after the reminder.
    - `later-of-reminder-3m-or-notice-12m`: eligible after the later of reminder + 3 months and
      notice + `disposal_after_notice_months` (12) months.
    - `no-disposal`: reminders as above; never eligible.
    """

    preset: Preset = Preset.NOTICE_2017
    reminder_after_days: int = 30
    disposal_after_reminder_days: int = 90
    disposal_after_reminder_months: int = 3
    disposal_after_notice_months: int = 12

    def __post_init__(self) -> None:
        for name in (
            "reminder_after_days",
            "disposal_after_reminder_days",
            "disposal_after_reminder_months",
            "disposal_after_notice_months",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")

    @classmethod
    def from_preset(cls, name: str, **periods: int) -> RetentionPolicy:
        """A policy from a preset name and (optionally) its periods."""
        try:
            preset = Preset(name)
        except ValueError:
            allowed = ", ".join(p.value for p in Preset)
            raise ValueError(f"unknown retention preset {name!r}; allowed: {allowed}") from None
        return cls(preset, **periods)

    @classmethod
    def from_settings(cls, section: RetentionSection) -> RetentionPolicy:
        """The configured policy ([retention] in the settings)."""
        return cls.from_preset(
            section.preset,
            reminder_after_days=section.reminder_after_days,
            disposal_after_reminder_days=section.disposal_after_reminder_days,
            disposal_after_reminder_months=section.disposal_after_reminder_months,
            disposal_after_notice_months=section.disposal_after_notice_months,
        )

    @property
    def disposes(self) -> bool:
        return self.preset is not Preset.NO_DISPOSAL

    def describe(self) -> str:
        """One line for reports and the UI."""
        reminder = f"reminder {self.reminder_after_days} days after the notice"
        if self.preset is Preset.NOTICE_2017:
            return f"{reminder}; eligible {self.disposal_after_reminder_days} days after the reminder"
        if self.preset is Preset.REMINDER_PLUS_3_MONTHS:
            return f"{reminder}; eligible {self.disposal_after_reminder_months} months after the reminder"
        if self.preset is Preset.LATER_OF_REMINDER_3M_OR_NOTICE_12M:
            return (
                f"{reminder}; eligible after the later of reminder + {self.disposal_after_reminder_months}"
                f" months and notice + {self.disposal_after_notice_months} months"
            )
        return f"{reminder}; never disposed"

    def reminder_due_on(self, notice_sent_on: date, holds: Sequence[HoldSpan] = ()) -> tuple[date, int]:
        """(first day the reminder is due, days added for holds)."""
        base = first_day_after(notice_sent_on, days=self.reminder_after_days)
        return stop_the_clock(notice_sent_on, base, holds)

    def eligible_on(
        self, notice_sent_on: date, reminder_sent_on: date, holds: Sequence[HoldSpan] = ()
    ) -> tuple[date | None, int]:
        """(first day the card is eligible for cancellation and disposal, days added for holds)."""
        if self.preset is Preset.NO_DISPOSAL:
            return None, 0
        if self.preset is Preset.NOTICE_2017:
            base = first_day_after(reminder_sent_on, days=self.disposal_after_reminder_days)
            return stop_the_clock(reminder_sent_on, base, holds)
        after_reminder = stop_the_clock(
            reminder_sent_on,
            first_day_after(reminder_sent_on, months=self.disposal_after_reminder_months),
            holds,
        )
        if self.preset is Preset.REMINDER_PLUS_3_MONTHS:
            return after_reminder
        after_notice = stop_the_clock(
            notice_sent_on, first_day_after(notice_sent_on, months=self.disposal_after_notice_months), holds
        )
        return max(after_reminder, after_notice)

    def assess(self, card: CardState, holds: Sequence[HoldSpan], today: date) -> Assessment:
        """Where `card` stands on `today`. `holds` are the card's hold spans, oldest first."""
        if card.status not in WAITING_STATUSES:
            return Assessment(Stage.NOT_APPLICABLE)
        if card.hold_reason is not None:
            since = next((h.start for h in reversed(holds) if h.end is None), None)
            return Assessment(Stage.HELD, hold_since=since)
        if card.notice_sent_on is None:
            return Assessment(Stage.NOTICE_UNKNOWN)
        reminder_due, held = self.reminder_due_on(card.notice_sent_on, holds)
        if card.reminder_sent_on is None:
            stage = Stage.REMINDER_DUE if today >= reminder_due else Stage.AWAITING_APPLICANT
            return Assessment(stage, reminder_due_on=reminder_due, days_on_hold=held)
        eligible, held = self.eligible_on(card.notice_sent_on, card.reminder_sent_on, holds)
        stage = (
            Stage.ELIGIBLE if eligible is not None and today >= eligible else Stage.AWAITING_AFTER_REMINDER
        )
        return Assessment(stage, reminder_due_on=reminder_due, eligible_on=eligible, days_on_hold=held)


# Why a card may not be cancelled and disposed today (stable codes; the UI translates them).
INELIGIBLE_REASONS = {
    Stage.NOT_APPLICABLE: "wrong_status",
    Stage.HELD: "on_hold",
    Stage.NOTICE_UNKNOWN: "notice_unknown",
    Stage.AWAITING_APPLICANT: "reminder_not_sent",
    Stage.REMINDER_DUE: "reminder_not_sent",
    Stage.AWAITING_AFTER_REMINDER: "period_running",
}


def ineligibility(policy: RetentionPolicy, assessment: Assessment) -> tuple[str, str] | None:
    """None when the card may be cancelled and disposed; else (reason code, message)."""
    if assessment.stage is Stage.ELIGIBLE:
        return None
    code = INELIGIBLE_REASONS[assessment.stage]
    if code == "period_running" and not policy.disposes:
        return "policy_never_disposes", "the retention policy (no-disposal) never makes a card eligible"
    messages = {
        "wrong_status": "the card is not waiting in the safe",
        "on_hold": "the card is on hold (保留)",
        "notice_unknown": "the date the issuance notice was sent is not recorded",
        "reminder_not_sent": "no reminder (督促) has been recorded",
        "period_running": f"the retention period runs until {assessment.eligible_on} (eligible from then)",
    }
    return code, messages[code]


# -- work lists -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueCard:
    """One line of a work list."""

    management_id: str
    kind: str
    status: CardStatus
    location: str | None
    notice_sent_on: date | None
    reminder_sent_on: date | None
    stage: Stage
    due_on: date | None
    days_on_hold: int = 0
    hold_reason: str | None = None
    hold_since: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "management_id": self.management_id,
            "kind": self.kind,
            "status": self.status.value,
            "location": self.location,
            "notice_sent_on": _iso(self.notice_sent_on),
            "reminder_sent_on": _iso(self.reminder_sent_on),
            "stage": self.stage.value,
            "due_on": _iso(self.due_on),
            "days_on_hold": self.days_on_hold,
            "hold_reason": self.hold_reason,
            "hold_since": _iso(self.hold_since),
        }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass(frozen=True, slots=True)
class DueLists:
    """The retention work lists for one day (督促対象・交付取りやめ対象・保留中・通知日未登録)."""

    today: date
    policy: RetentionPolicy
    reminders_due: tuple[DueCard, ...] = ()
    eligible: tuple[DueCard, ...] = ()
    held: tuple[DueCard, ...] = ()
    notice_unknown: tuple[DueCard, ...] = ()
    waiting: int = field(default=0)  # cards whose periods are still running (not listed one by one)

    def to_json(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "policy": self.policy.preset.value,
            "reminders_due": [c.to_json() for c in self.reminders_due],
            "eligible": [c.to_json() for c in self.eligible],
            "held": [c.to_json() for c in self.held],
            "notice_unknown": [c.to_json() for c in self.notice_unknown],
            "waiting": self.waiting,
        }


def due_card(policy: RetentionPolicy, card: CardState, holds: Sequence[HoldSpan], today: date) -> DueCard:
    """One card's line of the work lists on `today` (its stage says which list)."""
    a = policy.assess(card, holds, today)
    return DueCard(
        management_id=card.management_id,
        kind=card.kind,
        status=card.status,
        location=card.location,
        notice_sent_on=card.notice_sent_on,
        reminder_sent_on=card.reminder_sent_on,
        stage=a.stage,
        due_on=a.due_on,
        days_on_hold=a.days_on_hold,
        hold_reason=card.hold_reason,
        hold_since=a.hold_since,
    )


def list_order(card: DueCard) -> tuple[date, str]:
    """A work list's order: oldest due first (the held list: longest on hold first)."""
    first = card.hold_since if card.stage is Stage.HELD else card.due_on
    return first or date.min, card.management_id


# Stages whose cards are counted together, not listed one by one (the periods are still running).
WAITING_STAGES = frozenset({Stage.AWAITING_APPLICANT, Stage.AWAITING_AFTER_REMINDER})


def build_due_lists(
    policy: RetentionPolicy,
    cards: Iterable[CardState],
    holds: dict[str, list[HoldSpan]],
    today: date,
) -> DueLists:
    """Sort every waiting card into its work list (oldest due first)."""
    lists: dict[Stage, list[DueCard]] = {s: [] for s in Stage}
    for card in cards:
        line = due_card(policy, card, holds.get(card.management_id, []), today)
        lists[line.stage].append(line)

    def ordered(stage: Stage) -> tuple[DueCard, ...]:
        return tuple(sorted(lists[stage], key=list_order))

    return DueLists(
        today=today,
        policy=policy,
        reminders_due=ordered(Stage.REMINDER_DUE),
        eligible=ordered(Stage.ELIGIBLE),
        held=ordered(Stage.HELD),
        notice_unknown=ordered(Stage.NOTICE_UNKNOWN),
        waiting=sum(len(lists[stage]) for stage in WAITING_STAGES),
    )


# -- input: "these cards, sent on this day" ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatedId:
    """One line of a notice/reminder list: a card and the day the letter was sent."""

    line: int
    management_id: ManagementId
    sent_on: date


class DatedListRejected(ValueError):
    """A notice/reminder list with problems; nothing is recorded. `problems` name line and reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was recorded")


_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")


def parse_sent_date(text: str) -> date:
    """A date as YYYY-MM-DD or YYYY/MM/DD (as Japanese Excel writes it). The text is never echoed."""
    m = _DATE.match(text.strip())
    if not m:
        raise ValueError("not a date (YYYY-MM-DD)")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError("not a calendar date") from None


def parse_dated_ids(lines: Iterable[str], *, default: date | None, today: date) -> list[DatedId]:
    """Parse `management_id,date` lines (or bare IDs when `default` is given); all good or rejected.

    A header line `management_id,...` is skipped; blank lines are ignored. Every bad line is reported
    by number and reason, never by its content (it may hold an individual number).
    """
    problems: list[str] = []
    found: list[DatedId] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(lines, start=1):
        text = raw.strip().lstrip("\ufeff")
        if not text:
            continue
        cells = [c.strip() for c in text.split(",")]
        if n == 1 and cells[0].lower() == "management_id":
            continue
        try:
            mid = ManagementId.parse(cells[0])
        except Refusal as exc:
            problems.append(f"line {n}: {exc}")
            continue
        if len(cells) > 2:
            problems.append(f"line {n}: expected management_id,date")
            continue
        if len(cells) == 2 and cells[1]:
            try:
                sent = parse_sent_date(cells[1])
            except ValueError as exc:
                problems.append(f"line {n}: {exc}")
                continue
        elif default is not None:
            sent = default
        else:
            problems.append(f"line {n}: no date (give management_id,date or --date)")
            continue
        if sent > today:
            problems.append(f"line {n}: the date is in the future")
            continue
        if mid.value in seen:
            problems.append(f"line {n}: {mid} is already on line {seen[mid.value]}")
            continue
        seen[mid.value] = n
        found.append(DatedId(n, mid, sent))
    if problems:
        raise DatedListRejected(problems)
    if not found:
        raise DatedListRejected(["no management IDs given"])
    return found
