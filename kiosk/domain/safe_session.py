"""Rules of a safe session (保管庫利用): who may open it, when it may close, when it is overdue."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.domain.staff import Role, StaffMember, TwoPersonError, require_two_people


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
