"""A 12-digit value (the shape of an individual number) never reaches the database, logs or output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kiosk.domain.safe_session import ScanMode
from kiosk.domain.staff import Role
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger
from tests import warm
from tests.ledger_ops import open_session, scan_in_session

# Built at run time: no individual-number-shaped literal is stored in the code base.
VALUE = "".join(str((7 * i + 3) % 10) for i in range(12))
FULL_WIDTH = "".join(chr(ord(c) - ord("0") + ord("０")) for c in VALUE)
SPACED = f"{VALUE[:4]} {VALUE[4:8]} {VALUE[8:]}"


def traces(data: bytes) -> list[str]:
    """Every form in which the value could have leaked into bytes."""
    forms = {VALUE, FULL_WIDTH, SPACED, VALUE[:4] + "-" + VALUE[4:8] + "-" + VALUE[8:]}
    found = [f for f in forms if f.encode("utf-8") in data or f.encode("utf-16-le") in data]
    return found


def files_under(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file())


def kiosk(tmp: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "KIOSK_DB_URL": f"sqlite:///{tmp / 'var' / 'ledger.sqlite3'}",
        "KIOSK_PATHS__PEPPER": str(tmp / "var" / "pepper"),
        "KIOSK_PATHS__LOGS": str(tmp / "var" / "log"),
    }
    return warm.run(
        [sys.executable, "-m", "kiosk", "-v", *args],
        input=stdin.encode(),
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_inputs_refuse_the_value_and_leave_no_trace(tmp_path: Path) -> None:
    delivery = tmp_path / "delivery.csv"
    delivery.write_text(
        f"management_id,kind\n{VALUE},mynumber_card\n{FULL_WIDTH},mynumber_card\n", encoding="utf-8"
    )
    people = ("--operator", "O1", "--witness", "C1")
    setup = [
        kiosk(
            tmp_path,
            "init",
            "--admin-name",
            "管理",
            "--admin-badge",
            "A1",
            "--admin-employee-no",
            "E1",
            stdin="9999\n",
        ),
        kiosk(
            tmp_path,
            "staff",
            "add",
            "--name",
            "正",
            "--badge",
            "O1",
            "--employee-no",
            "E2",
            "--role",
            "officer",
            "--rank",
            "正",
            "--operator",
            "A1",
            stdin="9999\n1111\n",
        ),
        kiosk(
            tmp_path,
            "staff",
            "add",
            "--name",
            "窓口",
            "--badge",
            "C1",
            "--employee-no",
            "E3",
            "--role",
            "clerk",
            "--operator",
            "A1",
            "--witness",
            "O1",
            stdin="9999\n1111\n2222\n",
        ),
    ]
    runs = [
        kiosk(
            tmp_path,
            "cards",
            "receive",
            "--batch",
            "B1",
            "--expect",
            "2",
            *people,
            str(delivery),
            stdin="1111\n2222\n",
        ),
        kiosk(
            tmp_path,
            "cards",
            "receive",
            "--batch",
            VALUE,
            "--expect",
            "2",
            *people,
            str(delivery),
            stdin="1111\n2222\n",
        ),
        kiosk(tmp_path, "cards", "show", VALUE),
        kiosk(tmp_path, "cards", "show", SPACED),
        kiosk(
            tmp_path,
            "staff",
            "add",
            "--name",
            "X",
            "--badge",
            VALUE,
            "--employee-no",
            "E4",
            "--role",
            "clerk",
            "--operator",
            "A1",
            "--witness",
            "O1",
            stdin="9999\n1111\n1234\n",
        ),
    ]
    for run in setup:
        assert run.returncode == 0, run.stderr
    for run in runs:
        assert run.returncode != 0
        assert b"mynumber_refused" in run.stderr or b"individual number" in run.stderr
    output = b"".join(r.stdout + r.stderr for r in setup + runs)
    assert traces(output) == []
    stored = files_under(tmp_path / "var")
    assert b"mynumber_refused" in stored  # the refusal is on record (reason code only)
    assert traces(stored) == []


def test_a_scan_in_a_session_is_recorded_as_a_reason_code_only(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"p")
    officer = ledger.add_staff(
        name="正", badge="O1", employee_no="E-O1", role=Role.OFFICER, rank=0, pin="1111"
    )
    clerk = ledger.add_staff(name="窓口", badge="C1", employee_no="E-C1", role=Role.CLERK, pin="2222")
    session = open_session(ledger, officer, clerk, required=[], confirmed=[]).id
    for text in (VALUE, FULL_WIDTH, SPACED):
        verdict = scan_in_session(ledger, session, text, ScanMode.TAKE_OUT, clerk, device="scanner-1")
        assert (verdict.code, verdict.detail) == ("refused_input", "mynumber_refused")
        assert traces(verdict.message.encode()) == []
    engine.dispose()
    assert traces(files_under(tmp_path)) == []
    assert [e.data["reason"] for e in ledger.events() if e.kind == "refused"] == ["mynumber_refused"] * 3
