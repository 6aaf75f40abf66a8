"""Give the demo office's cards notice and reminder dates and a hold, so every work list has cards.

Dates are relative to the ledger's clock and fit the default policy (notice-2017, reminder after 30 days,
eligible 90 days after the reminder). The cards entered the ledger today, as when a safe moves from a
paper ledger to the kiosk: their letters went out long before.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from kiosk.domain.management_id import ManagementId
from kiosk.domain.retention import DatedId
from simulator.cabinet import Cabinet

if TYPE_CHECKING:
    from kiosk.desk import Desk

# Slices of the cabinet (in ID order) and what happened to them. The first six are today's pick list.
AWAITING_APPLICANT = slice(0, 30)  # notice 10 days ago
REMINDER_DUE = slice(30, 45)  # notice 40 days ago, no reminder yet
AWAITING_AFTER_REMINDER = slice(45, 60)  # notice 70 days ago, reminder 35 days ago
ELIGIBLE = slice(60, 72)  # notice 140 days ago, reminder 100 days ago
HELD = slice(72, 75)  # like ELIGIBLE, but on hold (長期入院)
# The rest (75-119) have no notice date yet: the "notice unknown" list.

HOLD_REASON = "長期入院のため本人から連絡あり"


def seed_retention(desk: Desk, cabinet: Cabinet, officer_badge: str = "O001") -> None:
    """Record notice/reminder dates and holds on a freshly seeded demo ledger, as its officer."""
    officer = desk.person_by_badge(officer_badge)
    if officer is None:
        return
    ids = sorted(cabinet.cards)
    day0 = desk.today()

    def dated(part: slice, days_ago: int) -> list[DatedId]:
        sent = day0 - timedelta(days=days_ago)
        return [DatedId(n, ManagementId(mid), sent) for n, mid in enumerate(ids[part], start=1)]

    notices = [
        *dated(AWAITING_APPLICANT, 10),
        *dated(REMINDER_DUE, 40),
        *dated(AWAITING_AFTER_REMINDER, 70),
        *dated(ELIGIBLE, 140),
        *dated(HELD, 140),
    ]
    desk.record_sent("notice", notices, officer, source="demo")
    reminders = [*dated(AWAITING_AFTER_REMINDER, 35), *dated(ELIGIBLE, 100), *dated(HELD, 100)]
    desk.record_sent("reminder", reminders, officer, source="demo")
    for mid in ids[HELD]:
        desk.hold(mid, HOLD_REASON, officer)
