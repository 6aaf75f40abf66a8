"""`kiosk bench` is honest: it times `verify` only on a ledger that verifies, its peak memory is the
verify process's own, and the suite ships in the wheel beside the kiosk (no timing asserted)."""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bench import integrity_bench, ledger_bench
from bench.ledger_bench import LedgerDoesNotVerify

ROOT = Path(__file__).resolve().parents[2]
# Small but the real thing: deliveries, then take-out/put-back rounds, as at 1M events.
EVENTS, CARDS = 3_000, 500


def tamper(db: Path) -> None:
    """Edit the newest event behind the kiosk's back (its append-only triggers dropped first)."""
    con = sqlite3.connect(db)
    triggers = con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")
    for (name,) in triggers.fetchall():
        con.execute(f'DROP TRIGGER "{name}"')
    con.execute("UPDATE events SET payload = payload || ' ' WHERE seq = (SELECT max(seq) FROM events)")
    con.commit()
    con.close()


@pytest.fixture
def bench_ledger(tmp_path: Path) -> Path:
    db = tmp_path / "ledger.sqlite3"
    integrity_bench.prepare(db, EVENTS, CARDS)
    return db


def test_ledger_bench_times_a_ledger_that_verifies_and_refuses_one_that_does_not(bench_ledger: Path) -> None:
    out = ledger_bench.run(EVENTS, bench_ledger, cards=CARDS)
    # The 200 timed appends are real take-outs and put-backs: the ledger still verifies after them.
    assert out["verify_ok"] is True
    assert out["events"] >= EVENTS + 200
    tamper(bench_ledger)
    with pytest.raises(LedgerDoesNotVerify, match="does not verify at event") as refused:
        ledger_bench.run(EVENTS, bench_ledger, cards=CARDS)
    assert str(bench_ledger) in str(refused.value)
    assert "edited" in refused.value.problem


def test_integrity_bench_refuses_a_ledger_that_does_not_verify(bench_ledger: Path) -> None:
    tamper(bench_ledger)
    with pytest.raises(LedgerDoesNotVerify, match="does not verify"):
        integrity_bench.run(bench_ledger, EVENTS, CARDS)


def test_verify_peak_memory_is_the_fresh_process_own_not_its_parents(
    bench_ledger: Path, tmp_path: Path
) -> None:
    # This process grows well past what verify needs; a child that reported ru_maxrss (which Linux
    # carries over fork and exec) would report at least this.
    ballast = b"\x01" * (700 << 20)
    parent_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert parent_peak_mb > 700
    measured = integrity_bench.in_fresh_process("verify", bench_ledger, tmp_path / "data")
    assert measured["ok"] is True
    assert 0 < measured["base_rss_mb"] <= measured["rss_mb"] < 400
    del ballast


def test_the_wheel_carries_the_bench_suite_and_it_imports_from_there(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(tmp_path / "whl")],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "whl").glob("card_safe_kiosk-*.whl")
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        whl.extractall(tmp_path / "site")
    for module in ("suite", "ledger_bench", "integrity_bench", "ui_bench", "supervise_bench"):
        assert f"bench/{module}.py" in names
    assert "kiosk/cli/bench_cmds.py" in names
    # From the unpacked wheel, away from the repository: what `kiosk bench` imports is there.
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import bench.suite, bench.ledger_bench, bench.integrity_bench, kiosk.cli.bench_cmds\n"
            "print(bench.suite.__file__); print(kiosk.cli.bench_cmds.__file__)",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        check=False,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr[-2000:]
    site = str(tmp_path / "site")
    assert all(line.startswith(site) for line in probe.stdout.splitlines()), probe.stdout


def test_the_floor_bench_scans_for_real_on_both_sides(tmp_path: Path) -> None:
    """The floor comparison's kiosk side gets a verdict for every scan (none wrong), and the floor's
    side really commits: its ratios are of two durable scans, not of a scan against nothing."""
    from bench.floor_bench import MinimalScan, floor_ratio

    result = floor_ratio(rounds=2, per_round=20, booked=10)
    assert result["floor_wrong_verdicts"] == 0
    assert result["scan_p50_over_floor"] > 0
    assert result["scan_p99_over_floor"] > 0
    floor = MinimalScan(tmp_path / "f.sqlite3", ["8000000015"])
    floor.scan("8000000015", out=True)
    floor.close()
    con = sqlite3.connect(tmp_path / "f.sqlite3")
    try:
        assert con.execute("SELECT status FROM cards").fetchone() == ("out",)
        assert con.execute("SELECT count(*) FROM events").fetchone() == (2,)
    finally:
        con.close()


def test_the_postgresql_floor_bench_scans_for_real_on_both_sides() -> None:
    """1 and 3 kiosk processes: every kiosk scan is green, and the floor wrote every one of its events."""
    from bench.floor_bench import PG_KIOSKS, pg_floor_ratio
    from tests.conftest import PG_SKIP_REASON, PG_URL

    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    result = pg_floor_ratio(rounds=1, per_round=6, cards_per_kiosk=4)
    assert result["pg_floor_wrong_verdicts"] == 0
    assert result["pg_floor_events_written"] == (1 + PG_KIOSKS) * 6
    assert result["pg_1kiosk_throughput_over_floor"] > 0
    assert result["pg_3kiosk_throughput_over_floor"] > 0


def test_the_verify_benches_time_only_a_ledger_that_verifies(tmp_path: Path) -> None:
    """`bench.verify_bench`: the large verify and the ratio to one read-and-hash pass, on a ledger it builds
    (as for 10M events, here small); a ledger edited behind the kiosk's back gets no time from either."""
    from bench import verify_bench

    out = verify_bench.large(EVENTS, folder=tmp_path, cards=CARDS)
    db = tmp_path / f"ledger-{EVENTS}.sqlite3"
    assert out["verify_large_ok"] is True
    assert out["verify_large_events"] >= EVENTS - 1
    assert not list(tmp_path.glob("*.building*"))  # only the whole ledger is left
    ratio = verify_bench.run(db, rounds=1)
    assert ratio["verify_floor_events"] == out["verify_large_events"]
    assert ratio["verify_over_hash_pass"] > 0
    tamper(db)
    with pytest.raises(LedgerDoesNotVerify, match="does not verify"):
        verify_bench.large(EVENTS, folder=tmp_path)
    with pytest.raises(LedgerDoesNotVerify, match="does not verify"):
        verify_bench.run(db, rounds=1)
