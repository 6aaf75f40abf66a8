"""The scan → verdict benchmark runs the clerk's path and measures its floor beside it."""

from __future__ import annotations

from bench.suite import scan_to_verdict


def test_scan_bench_gets_every_verdict_right_and_measures_the_floor_beside_it() -> None:
    result = scan_to_verdict(40, booked=10)
    # Take out, put back, take out, put back: every scan a real verdict from the ledger, none wrong.
    assert result["scan_to_verdict_scans"] == 40
    assert result["scan_warmup_scans"] == 20  # the port's first reads: measured, not counted
    assert result["scan_warmup_max_ms"] > 0
    assert result["scan_to_verdict_wrong"] == 0
    # One bare commit after each scan: the floor the target ratio divides by.
    assert 0 < result["beside_commit_p50_ms"] <= result["beside_commit_p99_ms"]
    assert result["scan_ledger_p50_ms"] > 0
