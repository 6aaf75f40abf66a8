"""Notices and reminders (交付通知書・督促状) and the applicant reference (申請者参照): pure rules.

`sent_refusal` says whether the date a letter went out can be recorded for a card (the core's writer
and the screens share it, so a screen's check before the two-person step is the same rule); the
applicant reference is an opaque office reference (a file number, never the individual number), with
its own length and character rule on top of the My Number guard.
"""

from __future__ import annotations

import enum
import unicodedata
from datetime import date

from kiosk.domain.card_state import CardState
from kiosk.domain.guard import guard_text
from kiosk.domain.status import CardStatus

# Statuses for which a notice/reminder date, a hold or an applicant reference can still be recorded.
OPEN_STATUSES = frozenset({CardStatus.RECEIVED, CardStatus.IN_SAFE, CardStatus.OUT, CardStatus.MISSING})

APPLICANT_REF_MAX = 32
# Letters, digits and the separators a file number uses; no spaces (a reference is joined on by a mail
# merge) and nothing a spreadsheet would read as a formula.
_REF_PUNCTUATION = frozenset("-_/.#")


class Letter(enum.StrEnum):
    """Which letter went out."""

    NOTICE = "notice"  # 交付通知書
    REMINDER = "reminder"  # 督促状


class SentProblem(enum.StrEnum):
    """Why a letter's date cannot be recorded for a card (stable codes; the screens word them)."""

    UNKNOWN = "unknown"  # not in the ledger
    CLOSED = "closed"  # issued, cancelled or disposed
    NO_NOTICE = "no_notice"  # a reminder before the notice date is recorded
    BEFORE_NOTICE = "before_notice"  # the reminder's date is before the notice's
    FUTURE = "future"  # a letter cannot have gone out after today


def sent_problem(
    card: CardState | None, which: Letter, sent_on: date, *, today: date | None = None
) -> SentProblem | None:
    """None when `which` sent on `sent_on` can be recorded for `card`, else the reason."""
    if card is None:
        return SentProblem.UNKNOWN
    if card.status not in OPEN_STATUSES:
        return SentProblem.CLOSED
    if today is not None and sent_on > today:
        return SentProblem.FUTURE
    if which is Letter.REMINDER:
        if card.notice_sent_on is None:
            return SentProblem.NO_NOTICE
        if sent_on < card.notice_sent_on:
            return SentProblem.BEFORE_NOTICE
    return None


class ApplicantRefError(ValueError):
    """An applicant reference that does not fit the rule. `reason`: empty, too_long, charset."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


def normalize_applicant_ref(text: str) -> str:
    """The stored form of an applicant reference: NFKC, stripped, 1–32 ASCII letters, digits or `-_/.#`.

    The My Number guard runs first (`Refusal(mynumber_refused)`: a run of 12+ digits, separators
    ignored), so a reference never carries an individual number in any spelling.
    """
    value = guard_text(text, "applicant reference")
    value = unicodedata.normalize("NFKC", value).strip()
    if not value:
        raise ApplicantRefError("empty", "an applicant reference is required")
    if len(value) > APPLICANT_REF_MAX:
        raise ApplicantRefError(
            "too_long", f"an applicant reference has at most {APPLICANT_REF_MAX} characters"
        )
    if not all(c.isascii() and (c.isalnum() or c in _REF_PUNCTUATION) for c in value):
        raise ApplicantRefError("charset", "an applicant reference is ASCII letters, digits and - _ / . #")
    if not value[0].isalnum():
        raise ApplicantRefError("charset", "an applicant reference starts with a letter or a digit")
    return value


class NoticeError(ValueError):
    """A notices-and-reminders command refused for the card's state. `reason` is a stable code:
    unknown, closed, needs_reason (a reference is already set: a correction names why),
    nothing_to_correct (a correction reason without a reference to correct), unchanged."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


def applicant_problem(card: CardState | None, ref: str, correction_reason: str | None) -> NoticeError | None:
    """None when `ref` may be recorded for `card` (a correction when one is set already), else why not."""
    if card is None:
        return NoticeError("unknown", "the card is not in the ledger")
    if card.status not in OPEN_STATUSES:
        return NoticeError("closed", f"the card is {card.status.value}")
    if card.applicant_ref is None:
        if correction_reason is not None:
            return NoticeError("nothing_to_correct", "the card has no applicant reference to correct")
        return None
    if card.applicant_ref == ref:
        return NoticeError("unchanged", "the card already has this applicant reference")
    if correction_reason is None:
        return NoticeError("needs_reason", "the card has an applicant reference: a correction needs a reason")
    return None
