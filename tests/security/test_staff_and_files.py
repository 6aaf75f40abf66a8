"""Sign-in rules and file permissions: PIN lockout, deactivated staff, two distinct people, and a ledger
and logs other local users cannot read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kiosk.desk import Desk
from kiosk.domain.staff import MAX_FAILED_ATTEMPTS, AuthError, TwoPersonError
from kiosk.ledger.service import Ledger
from tests import ledger_ops as st
from tests import warm
from tests.conftest import PINS, Crew
from tests.ledger_ops import current_session, open_session
from tests.reliability.helpers import KIOSK, env, init, json_lines


def test_wrong_pins_lock_the_badge_and_then_even_the_right_pin_is_refused(
    ledger: Ledger, crew: Crew, desk: Desk
) -> None:
    for attempt in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(AuthError) as exc:
            ledger.authenticate("C001", "0000")
        assert exc.value.reason == ("locked" if attempt == MAX_FAILED_ATTEMPTS - 1 else "wrong_pin")
    with pytest.raises(AuthError, match="locked"):
        ledger.authenticate("C001", PINS["C001"])
    assert [e.data["reason"] for e in ledger.events() if e.kind == "auth_failed"][-1] == "locked"
    assert any(e.kind == "staff_locked" for e in ledger.events())
    assert all(PINS["C001"] not in e.payload and "0000" not in e.payload for e in ledger.events())
    desk.unlock(crew.admin, crew.officer, "C001")
    assert ledger.authenticate("C001", PINS["C001"]).id == crew.clerk.id


def test_a_deactivated_member_cannot_sign_in(ledger: Ledger, crew: Crew, desk: Desk) -> None:
    desk.deactivate(crew.admin, crew.officer, "C002")
    with pytest.raises(AuthError) as exc:
        ledger.authenticate("C002", PINS["C002"])
    assert exc.value.reason == "inactive"
    assert ledger.staff_by_badge("C002") is not None  # kept for the history, never deleted


def test_one_person_cannot_be_both_operator_and_witness(ledger: Ledger, crew: Crew) -> None:
    with pytest.raises(TwoPersonError):
        open_session(ledger, crew.officer, crew.officer, required=[], confirmed=[])
    assert current_session(ledger) is None
    with pytest.raises(TwoPersonError):
        st.start(ledger, crew.officer, crew.officer)
    assert st.open_stocktake(ledger) is None


def test_the_runner_refuses_the_same_person_twice(tmp_path: Path) -> None:
    path = tmp_path / "same.toml"
    path.write_text(
        'name = "same"\ncabinet = { size = 4, seed = 1 }\n'
        '[[steps]]\naction = "open_session"\noperator = "O001"\nwitness = "O001"\nverdict = "two_person"\n',
        encoding="utf-8",
    )
    init(tmp_path)
    run = warm.run(
        [*KIOSK, "sim", "run", str(path), "--json"],
        capture_output=True,
        text=True,
        env=env(tmp_path),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    verdicts, _ = json_lines(run.stdout)
    assert [v["code"] for v in verdicts] == ["two_person"]


def run_with_umask(tmp_path: Path, umask: int) -> Path:
    # Nothing may rely on the caller's umask to keep the ledger and the logs private.
    init(tmp_path, preexec_fn=lambda: os.umask(umask))
    run = warm.run(
        [*KIOSK, "sim", "run", "day-at-the-counter", "--quiet"],
        capture_output=True,
        text=True,
        env=env(tmp_path),
        cwd=tmp_path,
        timeout=120,
        check=False,
        preexec_fn=lambda: os.umask(umask),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return tmp_path / "var"


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_ledger_wal_and_logs_are_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    var = run_with_umask(tmp_path, 0)
    files = [var / "ledger.sqlite3", var / "log" / "kiosk.log"]
    files += [p for p in (var / "ledger.sqlite3-wal", var / "ledger.sqlite3-shm") if p.exists()]
    for path in files:
        assert private(path), f"{path.name} is {oct(path.stat().st_mode)}"
    assert private(var / "log")


def test_the_var_folder_the_kiosk_creates_is_private_too(tmp_path: Path) -> None:
    var = run_with_umask(tmp_path, 0)
    assert private(var), oct(var.stat().st_mode)
