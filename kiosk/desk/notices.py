"""Notices and reminders (通知・督促): the applicant reference, and the checks a list is made against.

The dates themselves are `CardsDesk.record_sent` (all lines good or nothing), holds `CardsDesk.hold` /
`release`; this mixin adds the applicant reference (申請者参照: set, or corrected with a reason on the
record) and the one rule a screen asks before it offers a list for recording (`sent_problems`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from kiosk.desk.base import DeskBase
from kiosk.domain.authz import Act
from kiosk.domain.card_state import CardState, office_date
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.notices import Letter, SentProblem, normalize_applicant_ref, sent_problem
from kiosk.domain.staff import StaffMember
from kiosk.ledger import notice_ops


class NoticesDesk(DeskBase):
    """Commands and checks of the 通知・督促 work."""

    def set_applicant(
        self,
        management_id: str,
        ref: str,
        actor: StaffMember,
        *,
        correction_reason: str | None = None,
    ) -> CardState:
        """Set a card's applicant reference, or correct it (`correction_reason` is then required).

        The reference is opaque and guarded: the My Number guard (recorded as a refusal by reason code,
        never the value), then 1–32 ASCII letters, digits or `-_/.#` (`ApplicantRefError`). A state that
        does not allow it is `NoticeError` (reason code); a correction names the event it corrects.
        """
        attempted = Act.APPLICANT_SET.value
        try:
            mid = ManagementId.parse(management_id).value
        except Refusal as exc:
            self.record_refusal(exc.reason, attempted=attempted, actor=actor)
            raise
        try:
            ref = normalize_applicant_ref(ref)
        except Refusal as exc:
            self.record_refusal(exc.reason, attempted=f"{attempted}.applicant reference", actor=actor)
            raise
        reason = None
        if correction_reason is not None:
            reason = self.text(correction_reason, "reason", attempted=attempted, actor=actor)
        with self.act(Act.APPLICANT_SET, actor, card_id=mid) as u:
            return notice_ops.set_applicant(u, mid, ref, correction_reason=reason, actor_id=actor.id)

    def sent_problems(
        self, which: Letter, management_ids: Sequence[str], sent_on: date
    ) -> dict[str, SentProblem]:
        """The cards of a list whose `which` date `sent_on` cannot be recorded, with why (read only)."""
        today = office_date(self.ledger.clock())

        def read() -> dict[str, SentProblem]:
            out: dict[str, SentProblem] = {}
            for mid in management_ids:
                problem = sent_problem(self.ledger.card(mid), which, sent_on, today=today)
                if problem is not None:
                    out[mid] = problem
            return out

        return self.read(read)
