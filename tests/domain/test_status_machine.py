from __future__ import annotations

import pytest

from kiosk.domain.status import Action, CardStatus, TransitionRefused, allowed_actions, next_status

ALLOWED = [
    (None, Action.RECEIVE, CardStatus.RECEIVED),
    (CardStatus.RECEIVED, Action.STORE, CardStatus.IN_SAFE),
    (CardStatus.IN_SAFE, Action.TAKE_OUT, CardStatus.OUT),
    (CardStatus.OUT, Action.PUT_BACK, CardStatus.IN_SAFE),
    (CardStatus.OUT, Action.ISSUE, CardStatus.ISSUED),
    (CardStatus.IN_SAFE, Action.CANCEL, CardStatus.CANCELLED),
    (CardStatus.CANCELLED, Action.DISPOSE, CardStatus.DISPOSED),
    (CardStatus.IN_SAFE, Action.MARK_MISSING, CardStatus.MISSING),
    (CardStatus.MISSING, Action.FOUND, CardStatus.IN_SAFE),
]


@pytest.mark.parametrize(("current", "action", "after"), ALLOWED)
def test_allowed_transitions(current: CardStatus | None, action: Action, after: CardStatus) -> None:
    assert next_status(current, action) is after


def test_terminal_states_allow_nothing() -> None:
    assert allowed_actions(CardStatus.ISSUED) == []
    assert allowed_actions(CardStatus.DISPOSED) == []


@pytest.mark.parametrize(
    ("current", "action", "reason"),
    [
        (CardStatus.OUT, Action.TAKE_OUT, "already_out"),
        (CardStatus.ISSUED, Action.TAKE_OUT, "wrong_status"),
        (CardStatus.IN_SAFE, Action.DISPOSE, "wrong_status"),  # disposal only after cancellation
        (CardStatus.IN_SAFE, Action.ISSUE, "wrong_status"),  # must be taken out first
        (CardStatus.DISPOSED, Action.FOUND, "wrong_status"),
    ],
)
def test_forbidden_transitions_are_refused(current: CardStatus, action: Action, reason: str) -> None:
    with pytest.raises(TransitionRefused) as info:
        next_status(current, action)
    assert info.value.reason == reason
    assert current.value in str(info.value)
