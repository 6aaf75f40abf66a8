"""The decoder benchmark runs, and its acceptance criteria hold on a small sample (no timing asserted)."""

from __future__ import annotations

import pytest

from bench.decode_bench import DECODERS, format_table, run


@pytest.mark.slow
def test_decode_bench_quick_sample_meets_the_success_criteria() -> None:
    result = run(quick=True, frames_per_condition=6, trays=(100,))
    for condition, row in result["conditions"].items():
        best_single = max(row["zxing"]["success"], row["pyzbar"]["success"])
        assert row["cascade"]["success"] >= best_single, condition
    assert result["overall"]["cascade"]["success"] >= 0.99
    tray = result["trays"]["100"]
    assert tray["cascade"]["found"] >= 99
    assert tray["cascade"]["wrong"] == 0
    table = format_table(result)
    assert all(d in table for d in DECODERS)
    assert "100 labels" in table
