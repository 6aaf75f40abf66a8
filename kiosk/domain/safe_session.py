"""Rules of a safe session (保管庫利用): who may open it, when it may close, when it is overdue."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.domain.card_state import CardState
from kiosk.domain.events import AtLocation, EventKind, HandedOverSeen, Issued, Payload, TakenOut
from kiosk.domain.staff import Role, StaffMember, TwoPersonError, require_two_people
from kiosk.domain.status import Action, CardStatus, TransitionRefused, next_status
from kiosk.domain.verdicts import NextStep, VerdictCode


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


# The override reason that says nothing by itself: it needs the free text.
OTHER_REASON = "その他"


@dataclass(frozen=True, slots=True)
class Override:
    """A supervisor's approval to take out a card not on today's pick list, with the reason.

    `reason` is one of the configured override reasons (予約外来庁, 郵送 …); `note` free text beside it
    (required with その他).
    """

    supervisor: StaffMember
    reason: str
    note: str = ""


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


class OverrideReasonRefused(ValueError):
    """The override's reason is missing, not one of the configured reasons, or その他 without a note."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


def check_override(override: Override, operator_id: int, reasons: Sequence[str] = ()) -> None:
    """An override comes from an active supervisor other than the clerk, with a reason.

    With configured `reasons`, the reason is one of them, and その他 (or an empty reason) needs a note.
    """
    if override.supervisor.role is not Role.SUPERVISOR or not override.supervisor.active:
        raise TwoPersonError("need_supervisor", "an override needs an active supervisor (責任者)")
    if override.supervisor.id == operator_id:
        raise TwoPersonError("same_person", "the supervisor approving must not be the clerk")
    reason, note = override.reason.strip(), override.note.strip()
    if not reason:
        raise OverrideReasonRefused("no_reason", "an override needs a reason")
    if reasons and reason not in reasons:
        raise OverrideReasonRefused("reason_not_listed", "the reason is not one of the configured reasons")
    if reason == OTHER_REASON and not note:
        raise OverrideReasonRefused("no_note", "the reason その他 needs a note")


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
    next_step: NextStep = NextStep.NONE


@dataclass(frozen=True, slots=True)
class Alarm:
    """Record this alarm event for the card (not a refused attempt) and answer with `code`."""

    kind: EventKind
    payload: Payload
    code: VerdictCode
    message: str
    next_step: NextStep


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
    reasons: Sequence[str] = (),
) -> Move | Refuse | Alarm:
    """What one scan of a known management ID means in an open session, from the facts alone.

    `card` is the card as the ledger holds it (None: not a card of ours); `booking` its booking for
    handing over today (None: not booked). Taking out needs the card in the safe and booked today by
    someone other than the taker, or `override` (a supervisor other than the taker, with one of the
    configured `reasons`): one person deciding and doing alone is what the pick list's booker rule
    prevents. Putting back and handing over follow the status machine. A card already handed over
    (交付済) that turns up at the safe is an alarm, in any mode. Every refusal names the next step. Who
    may act at all was decided by the authorisation table before the facts were loaded.
    """
    if card is None:
        return Refuse(
            VerdictCode.UNKNOWN_ID,
            "unknown_id",
            "not in the ledger",
            mode.value,
            next_step=NextStep.CHECK_LABEL,
        )
    if card.status is CardStatus.ISSUED:
        return Alarm(
            EventKind.HANDED_OVER_CARD_SEEN,
            HandedOverSeen(mode.value),
            VerdictCode.HANDED_OVER_SEEN,
            "this card was handed over: it must not be at the safe",
            NextStep.REPORT_SUPERVISOR,
        )
    if mode is ScanMode.TAKE_OUT:
        return _take_out(card, taker_id, booking, override, reasons)
    action = _MODE_ACTION[mode]
    try:
        next_status(card.status, action)
    except TransitionRefused as exc:
        # Recorded under the card event's name, as the ledger always has for these two.
        return Refuse(
            VerdictCode.WRONG_STATUS,
            exc.reason,
            str(exc),
            action.value,
            next_step=_next_step(mode, card.status),
        )
    if mode is ScanMode.PUT_BACK:
        return Move(EventKind.CARD_PUT_BACK, AtLocation("safe"), VerdictCode.PUT_BACK, "put back")
    return Move(EventKind.CARD_ISSUED, Issued(), VerdictCode.ISSUED, "issued")


def _next_step(mode: ScanMode, status: CardStatus) -> NextStep:
    """The way forward after the status machine refused `mode` for a card in `status`."""
    if status is CardStatus.IN_SAFE:
        return NextStep.TAKE_OUT_FIRST if mode is ScanMode.HAND_OVER else NextStep.ALREADY_IN_SAFE
    if status is CardStatus.OUT:
        return NextStep.HAND_OVER_OR_PUT_BACK
    return NextStep.ASK_OFFICER


def can_hand_over(card: CardState | None) -> Refuse | None:
    """Could this card be handed over now? None when yes; else the refusal a scan would get.

    The counter asks this before a witness is called, so nobody confirms an act that cannot succeed.
    """
    decision = decide_scan(ScanMode.HAND_OVER, card, taker_id=0, booking=None, override=None)
    if isinstance(decision, Refuse):
        return decision
    if isinstance(decision, Alarm):
        return Refuse(
            decision.code, "issued", decision.message, ScanMode.HAND_OVER.value, next_step=decision.next_step
        )
    return None


def _take_out(
    card: CardState,
    taker_id: int,
    booking: Booking | None,
    override: Override | None,
    reasons: Sequence[str],
) -> Move | Refuse:
    attempted = ScanMode.TAKE_OUT.value
    if card.status is CardStatus.OUT:
        return Refuse(
            VerdictCode.ALREADY_OUT,
            "already_out",
            "this card is already out",
            attempted,
            next_step=NextStep.HAND_OVER_OR_PUT_BACK,
        )
    if card.status is not CardStatus.IN_SAFE:
        return Refuse(
            VerdictCode.WRONG_STATUS,
            "wrong_status",
            f"this card is {card.status.value}",
            attempted,
            next_step=NextStep.ASK_OFFICER,
        )
    booked_by_taker = booking is not None and booking.booked_by == taker_id
    if booking is not None and not booked_by_taker:
        return Move(EventKind.CARD_TAKEN_OUT, TakenOut(), VerdictCode.TAKEN_OUT, "taken out")
    if override is None:
        reason = "booked_by_taker" if booked_by_taker else "not_on_pick_list"
        message = "booked by the same person" if booked_by_taker else "not on today's pick list"
        return Refuse(
            VerdictCode.NOT_ON_PICK_LIST,
            reason,
            message,
            attempted,
            detail=reason,
            next_step=NextStep.NEED_OVERRIDE,
        )
    try:
        check_override(override, taker_id, reasons)
    except ValueError as exc:
        # A refused override is on the record too (who tried to approve, and why it was refused).
        why = getattr(exc, "reason", "no_reason")
        return Refuse(
            VerdictCode.OVERRIDE_REFUSED,
            f"override_{why}",
            str(exc),
            attempted,
            detail=why,
            next_step=NextStep.NEED_OVERRIDE,
        )
    payload = TakenOut(
        override_by=override.supervisor.id,
        reason=override.reason.strip(),
        note=override.note.strip() or None,
    )
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
