"""The applicant reference (申請者参照) as the ledger records it: a first setting, or a correction that
names the event it corrects and why (the old value stays on the chain; nothing is overwritten)."""

from __future__ import annotations

from sqlalchemy import select

from kiosk.domain.card_state import CardState
from kiosk.domain.events import ApplicantSet, EventKind
from kiosk.domain.notices import applicant_problem
from kiosk.ledger import models
from kiosk.ledger.service import Unit


def set_applicant(
    u: Unit, management_id: str, ref: str, *, correction_reason: str | None, actor_id: int
) -> CardState:
    """Record `ref` for the card (stored forms, guarded by the core). Raises `NoticeError`."""
    card = u.card(management_id)
    problem = applicant_problem(card, ref, correction_reason)
    if problem is not None:
        raise problem
    corrects = None
    if correction_reason is not None:
        corrects = u.session.scalar(
            select(models.Event.seq)
            .where(models.Event.card_id == management_id, models.Event.kind == EventKind.CARD_APPLICANT_SET)
            .order_by(models.Event.seq.desc())
            .limit(1)
        )
    payload = ApplicantSet(ref, corrects=corrects, reason=correction_reason)
    _, state = u.card_event(EventKind.CARD_APPLICANT_SET, management_id, payload=payload, actor_id=actor_id)
    return state
