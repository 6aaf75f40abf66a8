"""The de-duplicator, sans-IO."""

from __future__ import annotations

from datetime import UTC, datetime

from drivers.scan import Deduplicator, Scan, Symbology

AT = datetime(2026, 4, 1, tzinfo=UTC)


def scan(code: str, source: str = "s1") -> Scan:
    return Scan(code, Symbology.CODE128, source, AT)


def test_same_code_within_the_window_counts_once() -> None:
    d = Deduplicator(1.5)
    assert d.accept(scan("8000000015"), 0.0)
    assert not d.accept(scan("8000000015"), 1.0)


def test_deliberate_rescan_after_the_window_counts_again() -> None:
    d = Deduplicator(1.5)
    assert d.accept(scan("8000000015"), 0.0)
    assert d.accept(scan("8000000015"), 1.6)


def test_window_slides_while_a_label_stays_under_the_scanner() -> None:
    d = Deduplicator(1.5)
    results = [d.accept(scan("8000000015"), t * 0.5) for t in range(10)]  # re-read every 0.5 s
    assert results == [True] + [False] * 9


def test_other_code_or_other_device_is_not_a_repeat() -> None:
    d = Deduplicator(1.5)
    assert d.accept(scan("8000000015"), 0.0)
    assert d.accept(scan("8000000028"), 0.1)
    assert d.accept(scan("8000000015", source="s2"), 0.2)


def test_window_zero_disables_and_forget_clears() -> None:
    assert all(Deduplicator(0).accept(scan("8000000015"), 0.0) for _ in range(3))
    d = Deduplicator(1.5)
    d.accept(scan("8000000015"), 0.0)
    d.forget()
    assert d.accept(scan("8000000015"), 0.1)


def test_many_codes_expire() -> None:
    d = Deduplicator(1.0)
    for i in range(200):
        assert d.accept(scan(f"80000{i:05d}"), i * 0.1)
    assert len(d._last_seen) < 100
