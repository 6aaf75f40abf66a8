"""Give the demo office's cards notice and reminder dates and a hold, so every work list has cards.

Dates are relative to the ledger's clock and fit the default policy (notice-2017, reminder after 30 days,
eligible 90 days after the reminder). The cards entered the ledger today, as when a safe moves from a
paper ledger to the kiosk: their letters went out long before.
"""

from __future__ import annotations

from datetime import timedelta

from kiosk.domain.management_id import ManagementId
from kiosk.domain.retention import DatedId
from kiosk.ledger.retention_ops import record_sent, set_hold
from kiosk.ledger.service import Ledger, today
from simulator.cabinet import Cabinet

# Slices of the cabinet (in ID order) and what happened to them. The first six are today's pick list.
AWAITING_APPLICANT = slice(0, 30)  # notice 10 days ago
REMINDER_DUE = slice(30, 45)  # notice 40 days ago, no reminder yet
AWAITING_AFTER_REMINDER = slice(45, 60)  # notice 70 days ago, reminder 35 days ago
ELIGIBLE = slice(60, 72)  # notice 140 days ago, reminder 100 days ago
HELD = slice(72, 75)  # like ELIGIBLE, but on hold (長期入院)
# The rest (75-119) have no notice date yet: the "notice unknown" list.

HOLD_REASON = "長期入院のため本人から連絡あり"


def seed_retention(ledger: Ledger, cabinet: Cabinet, officer_badge: str = "O001") -> None:
    """Record notice/reminder dates and holds on a freshly seeded demo ledger."""
    officer = ledger.staff_by_badge(officer_badge)
    actor = officer.id if officer else None
    ids = sorted(cabinet.cards)
    day0 = today(ledger.clock)

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
    reminders = [*dated(AWAITING_AFTER_REMINDER, 35), *dated(ELIGIBLE, 100), *dated(HELD, 100)]
    # The demo's history is seeded straight into the ledger (no sign-in): one unit of work.
    with ledger.unit() as u:
        record_sent(u, "notice", notices, actor_id=actor, source="demo")
        record_sent(u, "reminder", reminders, actor_id=actor, source="demo")
        if actor is not None:
            for mid in ids[HELD]:
                set_hold(u, mid, HOLD_REASON, actor_id=actor)
