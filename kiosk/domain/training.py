"""Staff training (研修): who is due, from the training records and the configured interval.

The notice asks for training on arrival and repeatedly by experience: a member who has never been
trained is due at once (着任時研修), and a member whose last training is `every_days` old is due again
(定期研修). Only active members are listed; deactivated members keep their records.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from kiosk.domain.staff import StaffMember

ARRIVAL_KIND = "着任時研修"
PERIODIC_KIND = "定期研修"
DEFAULT_KINDS = (ARRIVAL_KIND, PERIODIC_KIND)


class TrainingDueReason(enum.StrEnum):
    ARRIVAL = "arrival"  # never trained since joining
    PERIODIC = "periodic"  # the last training is older than the interval


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """One member on the staff list: the member, the last training and when they joined."""

    member: StaffMember
    trained_on: date | None
    training_kind: str | None
    added_on: date | None


@dataclass(frozen=True, slots=True)
class TrainingRecord:
    """One training on the chain."""

    seq: int
    staff_id: int
    name: str
    on: date
    kind: str
    trainer: str


@dataclass(frozen=True, slots=True)
class TrainingDue:
    """A member due for training: why, and since when."""

    record: StaffRecord
    reason: TrainingDueReason
    due_on: date | None


def training_due(records: Iterable[StaffRecord], today: date, every_days: int) -> list[TrainingDue]:
    """The active members due for training on `today`, the longest overdue first."""
    due: list[TrainingDue] = []
    for record in records:
        if not record.member.active:
            continue
        if record.trained_on is None:
            due.append(TrainingDue(record, TrainingDueReason.ARRIVAL, record.added_on))
            continue
        next_on = record.trained_on + timedelta(days=every_days)
        if next_on <= today:
            due.append(TrainingDue(record, TrainingDueReason.PERIODIC, next_on))
    due.sort(key=lambda d: (d.due_on or date.min, d.record.member.id))
    return due
