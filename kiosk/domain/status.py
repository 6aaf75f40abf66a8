"""The card status machine: the one place that says which transitions are allowed.

received → in_safe ⇄ out → issued
in_safe → cancelled → disposed
in_safe → missing → in_safe
out → missing            (a session closed with a card neither back nor issued, by two people)
cancelled → missing → cancelled   (a cancelled card waits in the safe for disposal; it can be lost too,
                                   and when found it goes back to waiting: the fold keeps `closed_on`)
"""

from __future__ import annotations

import enum

from kiosk.domain.events import EventKind


class CardStatus(enum.StrEnum):
    """Where a card stands in its life (the ledger's projection keeps the current one)."""

    RECEIVED = "received"  # 受領 (delivered by J-LIS, not yet in the safe)
    IN_SAFE = "in_safe"  # 保管中
    OUT = "out"  # 持出中 (taken out in an open safe session)
    ISSUED = "issued"  # 交付済 (terminal)
    CANCELLED = "cancelled"  # 交付取りやめ
    DISPOSED = "disposed"  # 廃棄済 (terminal)
    MISSING = "missing"  # 所在不明


class CardKind(enum.StrEnum):
    """The two kinds of card the safe holds."""

    MYNUMBER_CARD = "mynumber_card"  # 個人番号カード
    NOTIFICATION_CARD = "notification_card"  # 通知カード (returned)


class Action(enum.StrEnum):
    """What can happen to a card; each is an event kind in the ledger."""

    RECEIVE = EventKind.CARD_RECEIVED
    STORE = EventKind.CARD_STORED
    TAKE_OUT = EventKind.CARD_TAKEN_OUT
    PUT_BACK = EventKind.CARD_PUT_BACK
    ISSUE = EventKind.CARD_ISSUED
    CANCEL = EventKind.CARD_CANCELLED
    DISPOSE = EventKind.CARD_DISPOSED
    MARK_MISSING = EventKind.CARD_MISSING
    FOUND = EventKind.CARD_FOUND


TERMINAL = frozenset({CardStatus.ISSUED, CardStatus.DISPOSED})

# (from, action) -> to. RECEIVE starts from no status at all.
TRANSITIONS: dict[tuple[CardStatus | None, Action], CardStatus] = {
    (None, Action.RECEIVE): CardStatus.RECEIVED,
    (CardStatus.RECEIVED, Action.STORE): CardStatus.IN_SAFE,
    (CardStatus.IN_SAFE, Action.TAKE_OUT): CardStatus.OUT,
    (CardStatus.OUT, Action.PUT_BACK): CardStatus.IN_SAFE,
    (CardStatus.OUT, Action.ISSUE): CardStatus.ISSUED,
    (CardStatus.IN_SAFE, Action.CANCEL): CardStatus.CANCELLED,
    (CardStatus.CANCELLED, Action.DISPOSE): CardStatus.DISPOSED,
    (CardStatus.IN_SAFE, Action.MARK_MISSING): CardStatus.MISSING,
    (CardStatus.OUT, Action.MARK_MISSING): CardStatus.MISSING,
    (CardStatus.CANCELLED, Action.MARK_MISSING): CardStatus.MISSING,
    (CardStatus.MISSING, Action.FOUND): CardStatus.IN_SAFE,
}


class TransitionRefused(ValueError):
    """A transition the status machine forbids. `reason` is a stable code for the UI and the ledger."""

    def __init__(self, current: CardStatus | None, action: Action) -> None:
        self.current = current
        self.action = action
        self.reason = (
            "already_out" if (current, action) == (CardStatus.OUT, Action.TAKE_OUT) else ("wrong_status")
        )
        was = current.value if current else "unknown"
        super().__init__(f"cannot {action.value.removeprefix('card_')} a card that is {was}")


def next_status(current: CardStatus | None, action: Action) -> CardStatus:
    """The status after `action`, or `TransitionRefused`."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise TransitionRefused(current, action) from None


def found_status(was_cancelled: bool) -> CardStatus:
    """Where a found card goes: back to waiting for disposal if it had been cancelled, else the safe."""
    return CardStatus.CANCELLED if was_cancelled else CardStatus.IN_SAFE


# Cards physically in the safe: what every stocktake expects to see.
IN_THE_SAFE = frozenset({CardStatus.IN_SAFE, CardStatus.CANCELLED})


def allowed_actions(current: CardStatus | None) -> list[Action]:
    """The actions the machine allows from `current` (for help texts and tests)."""
    return [action for (state, action) in TRANSITIONS if state == current]
