"""A stocktake batch (a tray photo's codes, an RFID round's tags) is sorted by plain rules before any
lookup: IDs with how many labels carried each, location labels, refusals by reason; then its first
sightings are sorted by verdict. No database."""

from __future__ import annotations

from kiosk.domain.status import CardStatus
from kiosk.domain.stocktake import Sighting, read_batch, sort_sightings

A, B, C, D = "8000800003", "8000800016", "8000800027", "8000800034"


def test_a_photo_with_a_label_two_ids_and_noise() -> None:
    r = read_batch([A, "L:shelf-1", B, A, "hello", "12345"], tags=[" e2801 ", "E2801", "e2802", ""])
    assert dict(r.ids) == {A: 2, B: 1}  # one ID on two labels: both count
    assert r.labels == frozenset({"shelf-1"})
    assert sum(r.refused.values()) == 2
    assert "several_locations" not in r.refused
    assert r.tags == ("E2801", "E2802")
    assert r.names_location(None)
    assert r.location(None) == "shelf-1"
    assert r.location("shelf-9") == "shelf-9"  # an explicit location wins


def test_two_different_location_labels_are_refused_and_name_no_place() -> None:
    r = read_batch([A, "L:shelf-1", "L:shelf-2"])
    assert r.refused["several_locations"] == 1
    assert not r.names_location(None)
    assert r.location(None) is None


def test_the_whole_safe_label_names_the_whole_safe() -> None:
    r = read_batch([A, "L:-"])
    assert r.names_location(None)
    assert r.location(None) is None


def test_a_twelve_digit_value_is_refused_by_reason_only() -> None:
    twelve = "1" * 6 + "2" * 6
    r = read_batch([twelve, A])
    assert r.refused["mynumber_refused"] == 1
    assert twelve not in r.ids
    assert dict(r.ids) == {A: 1}


def test_first_sightings_sorted_by_verdict() -> None:
    groups = sort_sightings(
        [A, B, C, D],
        expected={A: "shelf-1", B: "shelf-2"},
        statuses={A: CardStatus.IN_SAFE, B: CardStatus.IN_SAFE, C: CardStatus.ISSUED},
        here="shelf-1",
    )
    assert groups == {
        Sighting.FOUND: [A],
        Sighting.MISPLACED: [B],
        Sighting.UNEXPECTED: [C],
        Sighting.UNKNOWN: [D],
    }
