"""A card's state as a fold over its events: one function for live updates and for `kiosk verify`.

The ledger service calls `apply` to compute the new projection row in the same transaction as the
event; verification replays every event through the same `apply` and compares with the stored rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.domain.events import EventKind
from kiosk.domain.status import Action, CardStatus, found_status, next_status

# Dates on the paper ledger and for retention periods are the office's calendar days.
OFFICE_TZ = ZoneInfo("Asia/Tokyo")

# Events that change a card without changing its status.
NOTICE_SENT = EventKind.CARD_NOTICE_SENT
REMINDER_SENT = EventKind.CARD_REMINDER_SENT
HOLD_SET = EventKind.CARD_HOLD_SET
HOLD_RELEASED = EventKind.CARD_HOLD_RELEASED
RFID_BOUND = EventKind.RFID_BOUND
APPLICANT_SET = EventKind.CARD_APPLICANT_SET

STATUS_EVENTS: dict[str, Action] = {a.value: a for a in Action}
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


# A card's state as a plain tuple in CardState's field order: `kiosk verify` folds a million events with
# `apply_row` (a frozen dataclass per event would cost more than the hashing); `apply` is the same fold.
Row = tuple[Any, ...]
_FIELDS = tuple(f.name for f in fields(CardState))
_LOCATION, _STATUS, _CLOSED_ON, _HOLD, _OUT, _LAST = 3, 2, 10, 11, 12, 13
_CLEARS_OUT = frozenset({Action.PUT_BACK, Action.ISSUE, Action.MARK_MISSING})
CLEARS_OUT = _CLEARS_OUT  # the actions that end a card's time out of the safe (verify's fast fold reads it)
_CLOSES = frozenset({Action.ISSUE, Action.CANCEL, Action.DISPOSE})
_SET_FIELD: dict[str, int] = {NOTICE_SENT: 8, REMINDER_SENT: 9, RFID_BOUND: 5, APPLICANT_SET: 6}
# Plain constants: an enum member's `.value` is a property call, and `kiosk verify` folds a million events.
_RECEIVE = Action.RECEIVE.value
_RECEIVE_ACTION, _FOUND, _TAKE_OUT = Action.RECEIVE, Action.FOUND, Action.TAKE_OUT
_RECEIVED = CardStatus.RECEIVED


# The only events whose fold reads the event's time (`apply_row` never looks at `at` for the others).
USES_TIME = frozenset(
    {
        Action.RECEIVE.value,
        Action.ISSUE.value,
        Action.CANCEL.value,
        Action.DISPOSE.value,
        NOTICE_SENT,
        REMINDER_SENT,
    }
)


# One C call for the whole tuple (a generator of getattr was 14 calls a card, twice a scan).
_ROW = attrgetter(*_FIELDS)


def row_state(row: Row, *, last_seq: int) -> CardState:
    """The `CardState` of an `apply_row` result, with its `last_seq` (known once the event is chained)."""
    whole: Row = (*row[:_LAST], last_seq)
    return CardState(*whole)


def as_row(state: CardState) -> Row:
    """`state` as a tuple in field order (what `apply_row` takes and returns)."""
    row: Row = _ROW(state)
    return row


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
    row = apply_row(as_row(state) if state is not None else None, kind, card_id, payload, at, seq, session_id)
    return CardState(*row)


def apply_row(
    row: Sequence[Any] | None,
    kind: str,
    card_id: str,
    payload: dict[str, Any],
    at: datetime,
    seq: int,
    session_id: int | None,
    /,
) -> Row:
    """`apply` on tuples (see `Row`; positional arguments, for speed)."""
    if kind == _RECEIVE:
        next_status(row[_STATUS] if row else None, _RECEIVE_ACTION)
        return (
            card_id,
            str(payload["kind"]),
            _RECEIVED,
            payload.get("location"),
            payload.get("batch"),
            None,
            None,
            office_date(at),
            None,
            None,
            None,
            None,
            None,
            seq,
        )
    if row is None:
        raise KeyError(f"event {kind} for a card that was never received")
    action = STATUS_EVENTS.get(kind)
    if action is not None:
        status = next_status(row[_STATUS], action)
        if action is _FOUND:
            # Only a cancelled card has `closed_on` and can still be found: it goes back to waiting.
            status = found_status(row[_CLOSED_ON] is not None)
        # One tuple, built in field order (see Row): the status events are most of a ledger.
        return (
            row[0],
            row[1],
            status,
            payload["location"] if "location" in payload else row[_LOCATION],
            row[4],
            row[5],
            row[6],
            row[7],
            row[8],
            row[9],
            office_date(at) if action in _CLOSES else row[_CLOSED_ON],
            row[_HOLD],
            session_id if action is _TAKE_OUT else None if action in _CLEARS_OUT else row[_OUT],
            seq,
        )
    new = list(row)
    new[_LAST] = seq
    if kind in (NOTICE_SENT, REMINDER_SENT):
        new[_SET_FIELD[kind]] = _date(payload, "date", at)
    elif kind == HOLD_SET:
        new[_HOLD] = str(payload["reason"])
    elif kind == HOLD_RELEASED:
        new[_HOLD] = None
    elif kind == RFID_BOUND:
        new[_SET_FIELD[kind]] = str(payload["tag"])
    elif kind == APPLICANT_SET:
        new[_SET_FIELD[kind]] = payload.get("ref")
    else:
        raise KeyError(f"{kind} is not a card event")
    return tuple(new)
