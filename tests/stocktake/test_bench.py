"""The reconciliation benchmark runs and its bulk-seeded ledger passes `kiosk verify` (no timing asserted)."""

from __future__ import annotations

from bench.reconcile_bench import run


def test_benchmark_shape_and_verifiable_seed() -> None:
    out = run(cards=2_000, repeat=1, verify=True)
    assert out["verify_ok"] is True
    # The 20 cancelled cards wait for disposal in the safe: expected, and found like the others.
    assert (out["expected"], out["missing"], out["unexpected"]) == (2_000, 20, 0)
    assert out["reads"] == 2_000
    assert out["misplaced"] == 4
    assert out["reconcile_ms"] >= 0
