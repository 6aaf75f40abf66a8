"""Issue 22, item 5, at the command line exactly as reported: one administrator plus a clerk (even the
subject) granted supervisor and took over a supervisor's PIN. And the member's own `staff set-pin`."""

from __future__ import annotations

import json

from kiosk.domain.staff import Role
from tests.conftest import PINS
from tests.integrity.conftest import Office


def with_admin(office: Office) -> None:
    ledger = office.kiosk.open()
    ledger.add_staff(
        name="情報 管理子", badge="A001", employee_no="E-A001", role=Role.ADMIN, pin=PINS["A001"]
    )
    ledger.engine.dispose()


def test_an_admin_and_the_subject_cannot_raise_a_clerk_to_supervisor(office: Office) -> None:
    with_admin(office)
    pins = f"{PINS['A001']}\n{PINS['C001']}\n"
    raised = office.kiosk.run(
        "staff",
        "set-role",
        "C001",
        "--role",
        "supervisor",
        "--operator",
        "A001",
        "--witness",
        "C001",
        stdin=pins,
    )
    assert raised.returncode != 0
    assert "officer, supervisor or admin" in raised.stderr
    listed = office.kiosk.run("staff", "list", "--json")
    (c001,) = [json.loads(line) for line in listed.stdout.splitlines() if '"C001"' in line]
    assert c001["role"] == "clerk"


def test_an_admin_and_a_clerk_cannot_take_over_a_supervisors_pin(office: Office) -> None:
    with_admin(office)
    pins = f"{PINS['A001']}\n{PINS['C001']}\n7070\n"
    taken = office.kiosk.run(
        "staff", "reset-pin", "S001", "--operator", "A001", "--witness", "C001", stdin=pins
    )
    assert taken.returncode != 0
    ledger = office.kiosk.open()
    assert ledger.authenticate("S001", PINS["S001"]).badge == "S001"  # the PIN is still the supervisor's
    ledger.engine.dispose()


def test_a_one_time_pin_is_exchanged_with_set_pin_and_refused_before(office: Office) -> None:
    with_admin(office)
    reset = office.kiosk.run(
        "staff", "reset-pin", "C002", "--operator", "A001", "--witness", "O001",
        stdin=f"{PINS['A001']}\n{PINS['O001']}\n7070\n",
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    assert "one-time PIN" in reset.stdout
    # The one-time PIN authorises nothing, not even as a witness.
    used = office.kiosk.run(
        "staff", "unlock", "O001", "--operator", "A001", "--witness", "C002", stdin=f"{PINS['A001']}\n7070\n"
    )
    assert used.returncode != 0
    assert "set-pin C002" in used.stderr
    differ = office.kiosk.run("staff", "set-pin", "C002", stdin="7070\n8181\n8282\n")
    assert differ.returncode != 0
    done = office.kiosk.run("staff", "set-pin", "C002", stdin="7070\n8181\n8181\n")
    assert done.returncode == 0, done.stderr
    ledger = office.kiosk.open()
    member = ledger.authenticate("C002", "8181")
    assert not member.pin_change_due
    assert [e.kind for e in ledger.events()][-3:] == ["signed_in", "staff_pin_set", "signed_in"]
    ledger.engine.dispose()
