"""The door-latency benchmark runs and misses no change (the numbers themselves are its business)."""

from __future__ import annotations

import pytest

from bench.safe_io_bench import run


@pytest.mark.parametrize("transport", ["tcp", "rtu"])
def test_safe_io_benchmark_sees_every_door_change(transport: str) -> None:
    result = run(transport, changes=6)
    assert result["missed"] == 0
    assert result["latency_ms_p50"] is not None


def test_the_door_alarm_benchmark_measures_every_forced_door() -> None:
    from bench.door_alarm_bench import run as door_alarm

    result = door_alarm(changes=3)
    assert result["door_alarm_changes"] == 3
    assert result["door_alarm_p99_ms"] >= result["door_alarm_p50_ms"] > 0
