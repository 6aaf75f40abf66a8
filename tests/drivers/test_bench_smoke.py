"""The throughput benchmark runs and loses nothing at a modest rate (the numbers are its business)."""

from __future__ import annotations

from bench.serial_throughput import run


def test_serial_throughput_benchmark_loses_no_scan() -> None:
    result = run(scans_per_s=200, count=60)
    assert result["lost"] == 0
    assert result["rejected"] == 0
    assert result["in_order"] is True
