"""A card's state as a fold over its events: one function for live updates and for `kiosk verify`.

The ledger service calls `apply` to compute the new projection row in the same transaction as the
event; verification replays every event through the same `apply` and compares with the stored rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.domain.status import Action, CardStatus, found_status, next_status

# Dates on the paper ledger and for retention periods are the office's calendar days.
OFFICE_TZ = ZoneInfo("Asia/Tokyo")

# Events that change a card without changing its status.
NOTICE_SENT = "card_notice_sent"
REMINDER_SENT = "card_reminder_sent"
HOLD_SET = "card_hold_set"
HOLD_RELEASED = "card_hold_released"
RFID_BOUND = "rfid_bound"
APPLICANT_SET = "card_applicant_set"

STATUS_EVENTS = {a.value: a for a in Action}
CARD_EVENTS = frozenset(STATUS_EVENTS) | {
    NOTICE_SENT,
    REMINDER_SENT,
    HOLD_SET,
    HOLD_RELEASED,
    RFID_BOUND,
    APPLICANT_SET,
}


def office_date(at: datetime) -> date:
    """The office's calendar date of a UTC time."""
    return at.astimezone(OFFICE_TZ).date()


@dataclass(frozen=True, slots=True)
class CardState:
    """The projection of one card (the same fields as the `cards` table)."""

    management_id: str
    kind: str
    status: CardStatus
    location: str | None = None
    batch: str | None = None
    rfid_tag: str | None = None
    applicant_ref: str | None = None
    received_on: date | None = None
    notice_sent_on: date | None = None
    reminder_sent_on: date | None = None
    closed_on: date | None = None
    hold_reason: str | None = None
    out_session_id: int | None = None
    last_seq: int = 0


def _date(payload: dict[str, Any], key: str, at: datetime) -> date:
    value = payload.get(key)
    return date.fromisoformat(value) if isinstance(value, str) else office_date(at)


def apply(
    state: CardState | None,
    *,
    kind: str,
    card_id: str,
    payload: dict[str, Any],
    at: datetime,
    seq: int,
    session_id: int | None,
) -> CardState:
    """The card's state after one event. Raises `TransitionRefused` for a forbidden status change."""
    if kind == Action.RECEIVE.value:
        next_status(state.status if state else None, Action.RECEIVE)
        return CardState(
            management_id=card_id,
            kind=str(payload["kind"]),
            status=CardStatus.RECEIVED,
            batch=payload.get("batch"),
            location=payload.get("location"),
            received_on=office_date(at),
            last_seq=seq,
        )
    if state is None:
        raise KeyError(f"event {kind} for a card that was never received")
    if kind in STATUS_EVENTS:
        action = STATUS_EVENTS[kind]
        status = next_status(state.status, action)
        if action is Action.FOUND:
            # Only a cancelled card has `closed_on` and can still be found: it goes back to waiting.
            status = found_status(state.closed_on is not None)
        changes: dict[str, Any] = {"status": status, "last_seq": seq}
        if action is Action.TAKE_OUT:
            changes["out_session_id"] = session_id
        elif action in (Action.PUT_BACK, Action.ISSUE, Action.MARK_MISSING):
            changes["out_session_id"] = None
        if "location" in payload:
            changes["location"] = payload["location"]
        if action in (Action.ISSUE, Action.CANCEL, Action.DISPOSE):
            changes["closed_on"] = office_date(at)
        return replace(state, **changes)
    if kind == NOTICE_SENT:
        return replace(state, notice_sent_on=_date(payload, "date", at), last_seq=seq)
    if kind == REMINDER_SENT:
        return replace(state, reminder_sent_on=_date(payload, "date", at), last_seq=seq)
    if kind == HOLD_SET:
        return replace(state, hold_reason=str(payload["reason"]), last_seq=seq)
    if kind == HOLD_RELEASED:
        return replace(state, hold_reason=None, last_seq=seq)
    if kind == RFID_BOUND:
        return replace(state, rfid_tag=str(payload["tag"]), last_seq=seq)
    if kind == APPLICANT_SET:
        return replace(state, applicant_ref=payload.get("ref"), last_seq=seq)
    raise KeyError(f"{kind} is not a card event")
