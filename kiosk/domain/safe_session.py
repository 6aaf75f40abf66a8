"""Rules of a safe session (保管庫利用): who may open it, when it may close, when it is overdue."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.domain.card_state import CardState
from kiosk.domain.events import AtLocation, EventKind, Issued, Payload, TakenOut
from kiosk.domain.staff import Role, StaffMember, TwoPersonError, require_two_people
from kiosk.domain.status import Action, CardStatus, TransitionRefused, next_status
from kiosk.domain.verdicts import VerdictCode


class ScanMode(enum.StrEnum):
    """What a scan means inside an open session."""

    TAKE_OUT = "take_out"  # 持出
    PUT_BACK = "put_back"  # 返却 (back into the safe)
    HAND_OVER = "hand_over"  # 交付 (given to the holder)


class ChecklistIncomplete(ValueError):
    """Not every checklist item was confirmed by both people."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = list(missing)
        super().__init__(f"{len(self.missing)} checklist item(s) not confirmed")


class SessionNotClear(ValueError):
    """A session cannot close while cards taken out in it are neither back nor issued."""

    def __init__(self, outstanding: Sequence[str]) -> None:
        self.outstanding = list(outstanding)
        super().__init__(f"{len(self.outstanding)} card(s) taken out are neither back nor issued")


@dataclass(frozen=True, slots=True)
class Override:
    """A supervisor's approval to take out a card not on today's pick list, with the reason."""

    supervisor: StaffMember
    reason: str


def check_checklist(required: Sequence[str], confirmed: Sequence[str]) -> None:
    """Every required item must be among the confirmed ones."""
    missing = [item for item in required if item not in set(confirmed)]
    if missing:
        raise ChecklistIncomplete(missing)


def check_open(
    operator: StaffMember, witness: StaffMember, required: Sequence[str], confirmed: Sequence[str]
) -> None:
    """Two distinct, active people, at least one a responsible officer, and the checklist confirmed."""
    require_two_people(operator, witness, need_officer=True)
    check_checklist(required, confirmed)


def check_close(
    operator: StaffMember,
    witness: StaffMember,
    outstanding: Sequence[str],
    required: Sequence[str],
    confirmed: Sequence[str],
) -> None:
    """Closing needs two people (one an officer), no outstanding card, and the closing checklist."""
    require_two_people(operator, witness, need_officer=True)
    if outstanding:
        raise SessionNotClear(outstanding)
    check_checklist(required, confirmed)


def check_override(override: Override, operator_id: int) -> None:
    """An override comes from an active supervisor other than the clerk, with a reason."""
    if override.supervisor.role is not Role.SUPERVISOR or not override.supervisor.active:
        raise TwoPersonError("need_supervisor", "an override needs an active supervisor (責任者)")
    if override.supervisor.id == operator_id:
        raise TwoPersonError("same_person", "the supervisor approving must not be the clerk")
    if not override.reason.strip():
        raise ValueError("an override needs a reason")


# -- a scan in the session: the decision -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Booking:
    """A card booked for handing over today (交付予定), and who booked it (None on old bookings)."""

    booked_by: int | None


@dataclass(frozen=True, slots=True)
class Move:
    """Record this card event: the scan is accepted."""

    kind: EventKind
    payload: Payload
    code: VerdictCode
    message: str


@dataclass(frozen=True, slots=True)
class Refuse:
    """Record a refused attempt (`reason` is the recorded code) and answer with `code`."""

    code: VerdictCode
    reason: str
    message: str
    attempted: str
    detail: str = ""


_MODE_ACTION = {
    ScanMode.TAKE_OUT: Action.TAKE_OUT,
    ScanMode.PUT_BACK: Action.PUT_BACK,
    ScanMode.HAND_OVER: Action.ISSUE,
}


def decide_scan(
    mode: ScanMode,
    card: CardState | None,
    *,
    taker_id: int,
    booking: Booking | None,
    override: Override | None,
) -> Move | Refuse:
    """What one scan of a known management ID means in an open session, from the facts alone.

    `card` is the card as the ledger holds it (None: not a card of ours); `booking` its booking for
    handing over today (None: not booked). Taking out needs the card in the safe and booked today by
    someone other than the taker, or `override` (a supervisor other than the taker, with a reason): one
    person deciding and doing alone is what the pick list's booker rule prevents. Putting back and
    handing over follow the status machine. Who may act at all was decided by the authorisation table
    before the facts were loaded.
    """
    if card is None:
        return Refuse(VerdictCode.UNKNOWN_ID, "unknown_id", "not in the ledger", mode.value)
    if mode is ScanMode.TAKE_OUT:
        return _take_out(card, taker_id, booking, override)
    action = _MODE_ACTION[mode]
    try:
        next_status(card.status, action)
    except TransitionRefused as exc:
        # Recorded under the card event's name, as the ledger always has for these two.
        return Refuse(VerdictCode.WRONG_STATUS, exc.reason, str(exc), action.value)
    if mode is ScanMode.PUT_BACK:
        return Move(EventKind.CARD_PUT_BACK, AtLocation("safe"), VerdictCode.PUT_BACK, "put back")
    return Move(EventKind.CARD_ISSUED, Issued(), VerdictCode.ISSUED, "issued")


def _take_out(
    card: CardState, taker_id: int, booking: Booking | None, override: Override | None
) -> Move | Refuse:
    attempted = ScanMode.TAKE_OUT.value
    if card.status is CardStatus.OUT:
        return Refuse(VerdictCode.ALREADY_OUT, "already_out", "this card is already out", attempted)
    if card.status is not CardStatus.IN_SAFE:
        return Refuse(
            VerdictCode.WRONG_STATUS, "wrong_status", f"this card is {card.status.value}", attempted
        )
    booked_by_taker = booking is not None and booking.booked_by == taker_id
    if booking is not None and not booked_by_taker:
        return Move(EventKind.CARD_TAKEN_OUT, TakenOut(), VerdictCode.TAKEN_OUT, "taken out")
    if override is None:
        reason = "booked_by_taker" if booked_by_taker else "not_on_pick_list"
        message = "booked by the same person" if booked_by_taker else "not on today's pick list"
        return Refuse(VerdictCode.NOT_ON_PICK_LIST, reason, message, attempted, detail=reason)
    try:
        check_override(override, taker_id)
    except ValueError as exc:
        # A refused override is on the record too (who tried to approve, and why it was refused).
        why = getattr(exc, "reason", "no_reason")
        return Refuse(VerdictCode.OVERRIDE_REFUSED, f"override_{why}", str(exc), attempted, detail=why)
    payload = TakenOut(override_by=override.supervisor.id, reason=override.reason.strip())
    return Move(EventKind.CARD_TAKEN_OUT, payload, VerdictCode.TAKEN_OUT, "taken out")


def is_overdue(opened_at: datetime, now: datetime, max_open_minutes: int) -> bool:
    """True when a session has been open longer than the configured limit."""
    return now - opened_at > timedelta(minutes=max_open_minutes)


# The same card in the same mode again within this many seconds is a double scan, not a second act.
DUPLICATE_WINDOW_S = 10.0


class RepeatFilter:
    """Tells a double read of the same label (same card, same mode, within the window) from a new act.

    Time is passed in (monotonic seconds), so the screens, the headless runner and tests share it.
    """

    def __init__(self, window_s: float = DUPLICATE_WINDOW_S) -> None:
        self.window_s = window_s
        self._last: dict[tuple[str, ScanMode], float] = {}

    def is_repeat(self, management_id: str, mode: ScanMode, now: float) -> bool:
        last = self._last.get((management_id, mode))
        return last is not None and now - last < self.window_s

    def accepted(self, management_id: str, mode: ScanMode, now: float) -> None:
        self._last[(management_id, mode)] = now

    def clear(self) -> None:
        """A new mode or a new person is a new act."""
        self._last.clear()
