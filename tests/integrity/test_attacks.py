"""The issue's attacks, each with plain SQL on the ledger file: `kiosk verify` names table, key and field."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.domain.safe_session import ScanMode
from kiosk.domain.staff import AuthError, Role
from tests.integrity.conftest import PINS, Office
from tests.ledger_ops import add_to_pick_list, deactivate_staff, scan_in_session


def broken(office: Office) -> str:
    result = office.kiosk.run("verify")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "BROKEN" in result.stderr
    return result.stderr


def test_the_office_verifies_before_any_attack(office: Office) -> None:
    result = office.kiosk.run("verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


def test_a_clerk_promoted_to_officer_is_named(office: Office) -> None:
    office.kiosk.sql("UPDATE staff SET role = 'officer', rank = 1 WHERE badge = 'C001'")
    assert f"staff id {office.clerk.id}: role: is 'officer', the events say 'clerk'" in broken(office)


def test_a_ghost_officer_row_is_named(office: Office) -> None:
    office.kiosk.sql(
        "INSERT INTO staff (name, badge, employee_no, role, rank, pin_hash, pin_mac, active, "
        "failed_attempts, created_at) SELECT 'ghost', 'G001', 'E-GHOST', 'officer', 2, pin_hash, "
        "pin_mac, 1, 0, created_at FROM staff WHERE badge = 'C001'"
    )
    err = broken(office)
    assert "staff id 5: id: 'ghost' has no staff_added event" in err


def test_a_supervisors_pin_hash_replaced_with_a_clerks_is_named_and_does_not_sign_in(office: Office) -> None:
    office.kiosk.sql(
        "UPDATE staff SET pin_hash = (SELECT pin_hash FROM staff WHERE badge = 'C001') WHERE badge = 'S001'"
    )
    assert f"staff id {office.supervisor.id}: pin_hash: is not bound to this member" in broken(office)
    ledger = office.kiosk.open()
    with pytest.raises(AuthError) as refused:
        ledger.authenticate("S001", PINS["C001"])  # the clerk's PIN no longer opens the supervisor
    assert refused.value.reason == "integrity"  # the row no longer carries its MAC (issue 22)


def test_a_deactivated_officer_reactivated_by_sql_is_named(office: Office) -> None:
    ledger = office.kiosk.open()
    gone = ledger.add_staff(
        name="退職 者", badge="O009", employee_no="E-O009", role=Role.OFFICER, rank=2, pin="9999"
    )
    deactivate_staff(ledger, "O009")
    ledger.engine.dispose()
    office.kiosk.sql("UPDATE staff SET active = 1 WHERE badge = 'O009'")
    assert f"staff id {gone.id}: active: is 1, the events say 0" in broken(office)


def test_a_pick_list_row_inserted_without_an_event_is_named(office: Office) -> None:
    card = office.cards[2]
    office.kiosk.sql(
        f"INSERT INTO pick_list (day, management_id, added_seq) VALUES ('2026-04-01', '{card}', 3)"  # noqa: S608
    )
    assert f"pick_list day 2026-04-01 card {card}: (row): has no event that wrote it" in broken(office)


def test_a_closed_session_reopened_and_a_card_taken_out_in_it_is_named(office: Office) -> None:
    reopen = "UPDATE safe_sessions SET closed_at = NULL, closed_by_id = NULL, closed_witness_id = NULL"
    office.kiosk.sql(f"{reopen} WHERE id = {office.closed_session}")
    ledger = office.kiosk.open()  # the chain itself is intact: the start-up check lets it open
    add_to_pick_list(ledger, [office.cards[2]], office.clerk2)
    verdict = scan_in_session(ledger, office.closed_session, office.cards[2], ScanMode.TAKE_OUT, office.clerk)
    ledger.engine.dispose()
    assert verdict.ok  # the attack worked at the kiosk ...
    err = broken(office)  # ... and verify names it
    assert f"card {office.cards[2]} taken out in safe session {office.closed_session}, closed at event" in err


def test_a_reopened_session_alone_is_named(office: Office) -> None:
    office.kiosk.sql(f"UPDATE safe_sessions SET closed_at = NULL WHERE id = {office.closed_session}")  # noqa: S608
    assert f"safe_sessions id {office.closed_session}: closed_at: is None" in broken(office)


def test_a_card_deleted_from_a_stocktakes_frozen_expected_set_is_named(office: Office) -> None:
    card = office.cards[3]
    office.kiosk.sql(
        f"DELETE FROM stocktake_expected WHERE stocktake_id = {office.stocktake} AND management_id = '{card}'"  # noqa: S608
    )
    err = broken(office)
    assert f"stocktake_expected stocktake {office.stocktake}: management_id: card {card}" in err
    assert "missing from the frozen set" in err


def test_a_scan_row_edited_is_named(office: Office) -> None:
    office.kiosk.sql("UPDATE stocktake_scans SET location = 'shelf-9'")
    assert f"stocktake_scans stocktake {office.stocktake} card {office.cards[1]}: location" in broken(office)


def test_an_rfid_binding_moved_to_another_card_is_named(office: Office) -> None:
    office.kiosk.sql(f"UPDATE rfid_bindings SET management_id = '{office.cards[4]}'")  # noqa: S608
    assert "rfid_bindings tag E2000001: management_id" in broken(office)


def test_ledger_meta_emptied_is_refused_at_start(office: Office) -> None:
    office.kiosk.sql("DELETE FROM ledger_meta")
    result = office.kiosk.run("staff", "list")
    assert result.returncode == 3
    assert "identity (ledger_meta) was removed" in result.stderr


def test_insert_or_replace_from_a_sqlite3_shell_cannot_replace_an_event(office: Office) -> None:
    conn = sqlite3.connect(office.kiosk.db)  # a plain shell: no recursive_triggers, guards in place
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(
            "INSERT OR REPLACE INTO events (seq, at, kind, payload, prev_hash, hash) "
            "SELECT seq, at, 'note', '{}', prev_hash, hash FROM events WHERE seq = 2"
        )
    conn.close()
    assert office.kiosk.run("verify").returncode == 0
