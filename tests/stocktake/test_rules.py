"""The pure stocktake rules: location labels, sightings, decisions on missing cards, the due rule."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.domain.status import CardStatus
from kiosk.domain.stocktake import (
    Decision,
    DecisionError,
    DueReason,
    LocationError,
    MissingDecision,
    Sighting,
    classify,
    due_status,
    is_location_label,
    location_label,
    location_matches,
    parse_location_label,
    plan_decisions,
)


def twelve_digits() -> str:
    return "".join(str(i % 10) for i in range(3, 15))


def test_location_labels_parse_and_never_look_like_a_card() -> None:
    assert parse_location_label("L:shelf-1") == "shelf-1"
    assert parse_location_label("Ｌ：shelf-1/slot-3") == "shelf-1/slot-3"  # full-width from an IME
    assert parse_location_label("L:-") is None
    assert location_label("shelf-2") == "L:shelf-2"
    assert is_location_label("L:shelf-1")
    assert not is_location_label("8000000015")
    for bad in ("L:", "L:棚1", "L:shelf 1", "L:/x", "L:" + "x" * 65):
        with pytest.raises(LocationError):
            parse_location_label(bad)
    with pytest.raises(LocationError) as exc:
        parse_location_label("L:shelf-" + twelve_digits())
    assert exc.value.reason == "mynumber_refused"
    assert twelve_digits() not in str(exc.value)


@pytest.mark.parametrize(
    ("expected", "seen", "ok"),
    [
        (None, "shelf-1", True),
        ("shelf-1", None, True),
        ("safe", "shelf-3", True),
        ("shelf-1", "shelf-1", True),
        ("shelf-1/slot-2", "shelf-1", True),
        ("shelf-1", "shelf-1/slot-2", True),
        ("shelf-1", "shelf-2", False),
        ("shelf-1", "shelf-10", False),
        ("shelf-1/slot-2", "shelf-1/slot-3", False),
    ],
)
def test_location_matches(expected: str | None, seen: str | None, ok: bool) -> None:
    assert location_matches(expected, seen) is ok


def _sight(expected: bool, status: CardStatus | None, seen: str = "shelf-1", again: bool = False) -> Sighting:
    return classify(
        expected=expected,
        expected_location="shelf-1" if expected else None,
        seen_location=seen,
        ledger_status=status,
        already_counted=again,
    )


def test_classify_each_kind_of_sighting() -> None:
    assert _sight(True, CardStatus.IN_SAFE) is Sighting.FOUND
    assert _sight(True, CardStatus.IN_SAFE, seen="shelf-2") is Sighting.MISPLACED
    assert _sight(False, CardStatus.ISSUED) is Sighting.UNEXPECTED
    assert _sight(False, None) is Sighting.UNKNOWN
    assert _sight(True, CardStatus.IN_SAFE, again=True) is Sighting.DUPLICATE


def test_every_missing_card_needs_a_decision_and_a_note() -> None:
    missing = ["a", "b", "c"]
    with pytest.raises(DecisionError) as exc:
        plan_decisions(missing, {"a": MissingDecision(Decision.RECORD_MISSING, "not in the safe")})
    assert exc.value.reason == "undecided"
    assert exc.value.cards == ("b", "c")
    with pytest.raises(DecisionError) as exc:
        plan_decisions(["a"], {"a": MissingDecision(Decision.RECORD_MISSING, "  ")})
    assert exc.value.reason == "note_required"
    with pytest.raises(DecisionError) as exc:
        plan_decisions(["a"], {"a": MissingDecision(Decision.FOUND_ELSEWHERE, "ref " + twelve_digits())})
    assert exc.value.reason == "mynumber_refused"
    plan = plan_decisions(
        missing,
        {
            "a": MissingDecision(Decision.SEARCH_AGAIN),
            "b": MissingDecision(Decision.RECORD_MISSING, "gone"),
            "c": MissingDecision(Decision.FOUND_ELSEWHERE, "on the desk"),
            "z": MissingDecision(Decision.RECORD_MISSING, "not missing at all"),
        },
    )
    assert plan.search_again == ("a",)
    assert plan.record_missing == (("b", "gone"),)
    assert plan.found_elsewhere == (("c", "on the desk"),)
    assert not plan.can_finish


def test_due_rule() -> None:
    today = date(2026, 5, 1)
    assert due_status(today, every_days=30, last_finished_on=None, handover_since_last_on=None).reason is (
        DueReason.NEVER
    )
    recent = due_status(today, every_days=30, last_finished_on=date(2026, 4, 10), handover_since_last_on=None)
    assert recent.reason is DueReason.NOT_DUE
    assert not recent.due
    assert recent.next_due_on == date(2026, 5, 10)
    old = due_status(today, every_days=30, last_finished_on=date(2026, 4, 1), handover_since_last_on=None)
    assert old.reason is DueReason.INTERVAL
    assert old.due
    handover = due_status(
        today, every_days=30, last_finished_on=date(2026, 4, 30), handover_since_last_on=date(2026, 5, 1)
    )
    assert handover.reason is DueReason.HANDOVER
    busy = due_status(
        today, every_days=30, last_finished_on=None, handover_since_last_on=None, open_stocktake=True
    )
    assert busy.reason is DueReason.IN_PROGRESS
