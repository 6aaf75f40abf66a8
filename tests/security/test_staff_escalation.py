"""Issue 22, items 5-7, written as the attacks: an insider who keeps the staff accounts.

5. One administrator plus any clerk (even the subject) granted supervisor and took over PINs.
6. The first colleague, added alone, could be an administrator; a second account of one person passed.
7. A staff row edited in the database (plain `sqlite3`, or the PostgreSQL application role, which holds
   UPDATE on the projections) was obeyed until the next full verify.

Each runs on SQLite and, where configured, on PostgreSQL as the kiosk's application role.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from kiosk.config import Settings
from kiosk.desk import Desk, NotAllowed
from kiosk.domain.retention import RetentionPolicy
from kiosk.domain.staff import AuthError, Role
from kiosk.ledger.engine import make_engine
from kiosk.ledger.meta import initialise
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.conftest import PINS, Crew


def kiosk_init(ledger: Ledger, owner_url: str) -> None:
    """What `kiosk init` does, as the database owner: the ledger's identity (its staff rows sealed)."""
    owner = make_engine(owner_url)
    initialise(Ledger(owner, pepper=ledger.pepper, kiosk=ledger.kiosk, clock=ledger.clock))
    owner.dispose()


@pytest.fixture
def office(ledger: Ledger, owner_url: str, request: pytest.FixtureRequest) -> Crew:
    """A ledger made by `kiosk init` (its staff rows sealed from the start) and a small office."""
    kiosk_init(ledger, owner_url)
    crew: Crew = request.getfixturevalue("crew")
    return crew


def kinds(ledger: Ledger, kind: str) -> list[dict[str, object]]:
    return [e.data for e in ledger.events() if e.kind == kind]


def edit(ledger: Ledger, statement: str) -> None:
    """The attacker's edit: plain `sqlite3` on the file, or the kiosk's own role on PostgreSQL."""
    url = ledger.engine.url
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        con = sqlite3.connect(Path(url.database))
        with con:
            con.execute(statement)
        con.close()
        return
    with ledger.engine.begin() as conn:  # the application role's own connection (tests/conftest.py)
        app_role = os.environ.get("KIOSK_TEST_PG_APP_ROLE")
        if app_role:
            assert conn.execute(text("SELECT current_user")).scalar_one() == app_role
        conn.execute(text(statement))


# -- 5: the right second person ----------------------------------------------------------------------


def test_the_subject_or_a_clerk_cannot_witness_a_raise_to_supervisor(
    desk: Desk, office: Crew, ledger: Ledger
) -> None:
    admin, clerk, clerk2 = office.admin, office.clerk, office.clerk2
    with pytest.raises(NotAllowed) as own:
        desk.set_role(admin, clerk, "C001", Role.SUPERVISOR, None)  # `--witness C001` on C001
    assert own.value.reason == "need_staff_witness"
    with pytest.raises(NotAllowed) as by_clerk:
        desk.set_role(admin, clerk2, "C001", Role.SUPERVISOR, None)
    assert by_clerk.value.reason == "need_staff_witness"
    with pytest.raises(NotAllowed) as subject:
        desk.set_role(admin, office.officer, "O001", Role.SUPERVISOR, None)  # an officer on their own raise
    assert subject.value.reason == "witness_is_subject"
    with pytest.raises(NotAllowed) as by_officer:
        desk.set_role(admin, office.officer, "C001", Role.ADMIN, None)
    assert by_officer.value.reason == "need_high_second"
    assert ledger.staff_by_badge("C001").role is Role.CLERK  # type: ignore[union-attr]
    # The supervisor (a second person of rank) may confirm it.
    assert desk.set_role(admin, office.supervisor, "C001", Role.SUPERVISOR, None).role is Role.SUPERVISOR
    assert verify(ledger).ok


def test_an_administrator_cannot_take_over_a_supervisors_pin_with_a_clerk_or_an_officer(
    desk: Desk, office: Crew, ledger: Ledger
) -> None:
    admin = office.admin
    with pytest.raises(NotAllowed) as by_clerk:
        desk.reset_pin(admin, office.clerk, "S001", "7070")  # `reset-pin S001 --witness C001`
    assert by_clerk.value.reason == "need_staff_witness"
    with pytest.raises(NotAllowed) as by_officer:
        desk.reset_pin(admin, office.officer, "S001", "7070")
    assert by_officer.value.reason == "need_high_second"
    with pytest.raises(NotAllowed) as own:
        desk.reset_pin(admin, office.supervisor, "S001", "7070")
    assert own.value.reason == "witness_is_subject"
    assert desk.sign_in("S001", PINS["S001"]).id == office.supervisor.id  # the PIN is still its own


def test_a_reset_pin_is_one_time_and_authorises_nothing_but_choosing_a_new_one(
    desk: Desk, office: Crew, ledger: Ledger
) -> None:
    desk.reset_pin(office.admin, office.officer, "C002", "7070")
    member = desk.sign_in("C002", "7070")  # the administrator knows this PIN ...
    assert member.pin_change_due
    with pytest.raises(NotAllowed) as refused:
        desk.open_safe(office.officer, member, Settings().session.opening_checklist)  # ... it opens nothing
    assert refused.value.reason == "pin_change_due"
    with pytest.raises(ValueError, match="differ"):
        desk.change_pin("C002", "7070", "7070")
    with pytest.raises(AuthError):
        desk.change_pin("C002", "0000", "8181")  # the one-time PIN is needed to choose the new one
    chosen = desk.change_pin("C002", "7070", "8181")
    assert not chosen.pin_change_due
    with pytest.raises(AuthError):
        desk.sign_in("C002", "7070")  # the one-time PIN is spent
    session = desk.open_safe(
        office.officer, desk.sign_in("C002", "8181"), Settings().session.opening_checklist
    )
    assert session.id
    # The member and the new PIN hash's MAC (which hash is the newest), never the PIN or its hash.
    assert kinds(ledger, "staff_pin_set") == [
        {"staff": office.clerk2.id, "pin_mac": _row(ledger, "C002")["pin_mac"]}
    ]
    assert _row(ledger, "C002")["pin_hash"] not in str(kinds(ledger, "staff_pin_set"))
    assert verify(ledger).ok


# -- 6: the first colleague and a second account of one person ---------------------------------------


@pytest.fixture
def lone_admin(ledger: Ledger, owner_url: str) -> tuple[Desk, Ledger]:
    kiosk_init(ledger, owner_url)
    desk = Desk(ledger, Settings())
    desk.init_administrator(name="情報 管理子", badge="A001", employee_no="E9001", pin="9999")
    return desk, ledger


def test_the_first_colleague_added_alone_cannot_be_an_administrator(lone_admin: tuple[Desk, Ledger]) -> None:
    desk, _ledger = lone_admin
    admin = desk.sign_in("A001", "9999")
    for role in (Role.ADMIN, Role.SUPERVISOR):
        with pytest.raises(NotAllowed) as refused:
            desk.add_staff(
                admin,
                None,
                name="架空 次郎",
                badge="A002",
                employee_no="E7777",
                role=role,
                rank=None,
                pin="1212",
            )
        assert refused.value.reason == "first_not_high"
    assert desk.staff_count() == 1
    # An officer may be the first colleague (there is nobody else to witness yet).
    desk.add_staff(
        admin,
        None,
        name="保管 正子",
        badge="O001",
        employee_no="E1001",
        role=Role.OFFICER,
        rank=0,
        pin="1111",
    )
    assert desk.staff_count() == 2


def test_a_second_account_of_an_active_member_needs_a_second_administrator(
    desk: Desk, office: Crew, ledger: Ledger
) -> None:
    add: dict[str, object] = {"badge": "X001", "role": Role.OFFICER, "rank": 3, "pin": "1313"}
    # The same name, written without the space and in full-width: the officer's own second account.
    tries: list[tuple[str, str]] = [("保管正子", "Z-777"), ("ｿﾞｳ ｻﾝ", "E-S00001")]
    for name, number in tries:
        for second in (office.deputy, office.supervisor):
            with pytest.raises(NotAllowed) as refused:
                desk.add_staff(office.admin, second, name=name, employee_no=number, **add)  # type: ignore[arg-type]
            assert refused.value.reason == "similar_person"
    assert ledger.staff_by_badge("X001") is None
    second_admin = ledger.add_staff(
        name="情報 二郎", badge="A002", employee_no="Z-9002", role=Role.ADMIN, pin="9292"
    )
    member = desk.add_staff(office.admin, second_admin, name="保管正子", employee_no="Z-777", **add)  # type: ignore[arg-type]
    assert member.badge == "X001"


# -- 7: an authorising row edited in the database ----------------------------------------------------


def alerts(ledger: Ledger) -> list[dict[str, object]]:
    return kinds(ledger, "integrity_alert")


ATTACKS: dict[str, str] = {
    "role": "UPDATE staff SET role = 'officer', rank = 2 WHERE badge = 'C002'",
    "mac_removed": "UPDATE staff SET role = 'officer', rank = 2, row_mac = NULL WHERE badge = 'C002'",
    "pin_hash_copied": (
        "UPDATE staff SET pin_hash = (SELECT pin_hash FROM staff WHERE badge = 'C001'), "
        "pin_mac = (SELECT pin_mac FROM staff WHERE badge = 'C001') WHERE badge = 'C002'"
    ),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_staff_row_edited_in_the_database_is_refused_at_the_next_act_and_raises_an_alert(
    desk: Desk, office: Crew, ledger: Ledger, attack: str
) -> None:
    clerk, clerk2 = office.clerk, office.clerk2
    edit(ledger, ATTACKS[attack])
    with pytest.raises(NotAllowed) as refused:
        desk.stocktake_start(clerk, clerk2)  # two clerks: only with the forged officer
    assert refused.value.reason == "integrity"
    assert alerts(ledger) == [{"table": "staff", "row": clerk2.id, "check": "row_mac"}]
    with pytest.raises(AuthError) as signin:
        desk.sign_in("C002", PINS["C001"] if attack == "pin_hash_copied" else PINS["C002"])
    assert signin.value.reason == "integrity"
    assert len(alerts(ledger)) == 2
    # The supervisor's page raises both as alerts.
    overview = desk.supervision_overview(
        now=ledger.clock(), max_open_minutes=30, stocktake_every_days=30, policy=RetentionPolicy()
    )
    assert [(table, row) for _, _, table, row in overview.integrity.alerts] == [("staff", clerk2.id)] * 2
    assert not verify(ledger).ok


def test_a_lockout_cleared_in_the_database_stays_locked(desk: Desk, office: Crew, ledger: Ledger) -> None:
    for _ in range(5):
        with pytest.raises(AuthError):
            desk.sign_in("O001", "0000")
    edit(ledger, "UPDATE staff SET failed_attempts = 0, locked_at = NULL WHERE badge = 'O001'")
    with pytest.raises(AuthError) as signin:
        desk.sign_in("O001", PINS["O001"])
    assert signin.value.reason == "integrity"
    with pytest.raises(NotAllowed) as refused:
        desk.stocktake_start(office.officer, office.clerk)
    assert refused.value.reason == "integrity"


def test_an_edited_row_is_not_laundered_by_a_change_made_on_top_of_it(
    desk: Desk, office: Crew, ledger: Ledger
) -> None:
    """The edit, then an ordinary-looking change by an admin and an officer (which would re-seal the row)."""
    edit(ledger, "UPDATE staff SET role = 'officer', rank = 2 WHERE badge = 'C002'")
    with pytest.raises(NotAllowed) as refused:
        desk.reset_pin(office.admin, office.officer, "C002", "7070")
    assert refused.value.reason == "integrity"
    assert alerts(ledger) == [{"table": "staff", "row": office.clerk2.id, "check": "row_mac"}]
    with pytest.raises(NotAllowed):
        desk.stocktake_start(office.clerk, office.clerk2)  # still refused: nothing re-sealed the edit


SCAN_PATH_EDITS: dict[str, str] = {
    # The clerk made an officer, keeping the MAC of the row as it was.
    "role": "UPDATE staff SET role = 'officer', rank = 2 WHERE badge = 'C001'",
    # The same with the MAC taken away (an unsealed-looking row on a sealed ledger).
    "mac_removed": "UPDATE staff SET role = 'officer', rank = 2, row_mac = NULL WHERE badge = 'C001'",
    # A deactivated clerk brought back by hand, MAC untouched.
    "reactivated": "UPDATE staff SET active = NOT active WHERE badge = 'C001'",
}


@pytest.mark.parametrize("attack", list(SCAN_PATH_EDITS))
def test_a_row_edited_after_its_person_scanned_is_refused_at_the_next_scan(
    desk: Desk, office: Crew, ledger: Ledger, attack: str
) -> None:
    """The scan re-reads its people each time and checks a row's MAC once per version of the row: a row
    that passed before and was then edited is a new row, checked again, refused and alerted."""
    from kiosk.domain.management_id import ManagementId
    from kiosk.domain.safe_session import ScanMode
    from tests.ledger.helpers import ids, receive

    cards = ids(3)
    receive(ledger, cards)
    desk.book(cards, office.supervisor)
    sid = desk.open_safe(office.officer, office.clerk, desk.settings.session.opening_checklist).id
    first = desk.scan(sid, ManagementId.parse(cards[0]), ScanMode.TAKE_OUT, office.clerk)
    assert first.code == "taken_out"
    if attack == "reactivated":
        desk.deactivate(office.admin, office.supervisor, "C001")
        gone = desk.scan(sid, ManagementId.parse(cards[1]), ScanMode.TAKE_OUT, office.clerk)
        assert (gone.code, gone.detail) == ("not_allowed", "inactive")
        # The row the clerk scanned with first: active again by hand, with the MAC of the inactive row.
    edit(ledger, SCAN_PATH_EDITS[attack])
    again = desk.scan(sid, ManagementId.parse(cards[2]), ScanMode.TAKE_OUT, office.clerk)
    assert (again.ok, again.code, again.detail) == (False, "not_allowed", "integrity")
    assert alerts(ledger) == [{"table": "staff", "row": office.clerk.id, "check": "row_mac"}]
    assert [e.card_id for e in ledger.events() if e.kind == "card_taken_out"] == [cards[0]]


# -- an older version of a staff row put back (its MAC was valid then) --------------------------------------


def _row(ledger: Ledger, badge: str) -> dict[str, object]:
    """The staff row as stored, every column (what an insider copies before a change, to put back)."""
    with ledger.engine.connect() as conn:
        found = conn.execute(text("SELECT * FROM staff WHERE badge = :b"), {"b": badge}).mappings().one()
    return dict(found)


def _put_back(ledger: Ledger, row: dict[str, object]) -> None:
    """Write every authorising column of `row` back, as it was (the MAC with them)."""
    columns = (
        "role",
        "rank",
        "active",
        "failed_attempts",
        "locked_at",
        "pin_hash",
        "pin_mac",
        "pin_change_due",
    )
    columns += ("row_mac",)
    sets = ", ".join(f"{c} = :{c}" for c in columns)
    url = ledger.engine.url
    values = {c: row[c] for c in columns} | {"id": row["id"]}
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        con = sqlite3.connect(Path(url.database))
        with con:
            con.execute(f"UPDATE staff SET {sets} WHERE id = :id", values)  # noqa: S608 - our columns
        con.close()
        return
    with ledger.engine.begin() as conn:
        conn.execute(text(f"UPDATE staff SET {sets} WHERE id = :id"), values)  # noqa: S608


@pytest.mark.parametrize("change", ["deactivated", "demoted", "locked"])
def test_a_row_put_back_as_it_was_before_a_change_is_refused_and_alerted(
    desk: Desk, office: Crew, ledger: Ledger, change: str
) -> None:
    """The row MAC proves the core wrote a row, not that it is the newest: an insider who kept the row as it
    was (MAC and all) and writes it back after a deactivation, a demotion or a lockout gets nothing from
    it. Each act and each sign-in hold the row to what the chain's staff events made it."""
    from kiosk.domain.management_id import ManagementId
    from kiosk.domain.safe_session import ScanMode
    from tests.ledger.helpers import ids, receive

    cards = ids(2)
    receive(ledger, cards)
    desk.book(cards, office.supervisor)
    sid = desk.open_safe(office.officer, office.clerk, desk.settings.session.opening_checklist).id
    subject = {"deactivated": "C001", "demoted": "O001", "locked": "C001"}[change]
    before = _row(ledger, subject)
    if change == "deactivated":
        desk.deactivate(office.admin, office.supervisor, "C001")
    elif change == "demoted":
        desk.set_role(office.admin, office.supervisor, "O001", Role.CLERK, None)
    else:
        for _ in range(5):
            with pytest.raises(AuthError):
                desk.sign_in("C001", "0000")
    _put_back(ledger, before)
    actor = office.officer if change == "demoted" else office.clerk
    verdict = desk.scan(sid, ManagementId.parse(cards[0]), ScanMode.TAKE_OUT, actor)
    assert (verdict.ok, verdict.code, verdict.detail) == (False, "not_allowed", "integrity")
    staff_id = actor.id
    assert alerts(ledger)[-1] == {"table": "staff", "row": staff_id, "check": "staff_history"}
    with pytest.raises(AuthError) as signin:
        desk.sign_in(subject, PINS[subject])
    assert signin.value.reason == "integrity"
    assert not [e for e in ledger.events() if e.kind == "card_taken_out"]
    assert not verify(ledger).ok  # and verify names the row too


def test_the_fold_follows_changes_made_by_another_process(desk: Desk, office: Crew, ledger: Ledger) -> None:
    """A deactivation and a reactivation made elsewhere (another kiosk, the CLI: another Ledger on the same
    database) are on the chain: this process's next act folds them and is not taken for an edit."""
    from kiosk.domain.management_id import ManagementId
    from kiosk.domain.safe_session import ScanMode
    from tests.ledger.helpers import ids, receive

    cards = ids(2)
    receive(ledger, cards)
    desk.book(cards, office.supervisor)
    sid = desk.open_safe(office.officer, office.clerk, desk.settings.session.opening_checklist).id
    assert desk.scan(sid, ManagementId.parse(cards[0]), ScanMode.TAKE_OUT, office.clerk).code == "taken_out"
    other = Ledger(
        make_engine(str(ledger.engine.url.render_as_string(hide_password=False))), pepper=ledger.pepper
    )
    elsewhere = Desk(other, Settings())
    elsewhere.deactivate(office.admin, office.supervisor, "C001")
    gone = desk.scan(sid, ManagementId.parse(cards[1]), ScanMode.TAKE_OUT, office.clerk)
    assert (gone.code, gone.detail) == ("not_allowed", "inactive")
    elsewhere.reactivate(office.admin, office.supervisor, "C001")
    other.engine.dispose()
    back = desk.scan(sid, ManagementId.parse(cards[1]), ScanMode.TAKE_OUT, office.clerk)
    assert back.code == "taken_out"
    assert alerts(ledger) == []


@pytest.mark.parametrize("change", ["reset_then_set", "set_by_owner"])
def test_an_old_pin_put_back_with_its_row_is_refused_at_sign_in_and_named_by_verify(
    desk: Desk, office: Crew, ledger: Ledger, change: str
) -> None:
    """A PIN that leaked is changed; an insider who kept the row as it was (PIN hash, its MAC and the row
    MAC, all valid then) writes it back to sign in with the old PIN. The PIN events name the newest PIN
    hash by its MAC (`PinChanged`), so the sign-in, a PIN change with the old PIN, this process and
    another one all refuse it, and verify names the row."""
    before = _row(ledger, "C001")
    old_pin = PINS["C001"]
    if change == "reset_then_set":
        desk.reset_pin(office.admin, office.supervisor, "C001", "7070")
        desk.change_pin("C001", "7070", "8181")
    else:
        desk.change_pin("C001", old_pin, "8181")
    assert desk.sign_in("C001", "8181").id == office.clerk.id  # the new PIN works, no alarm
    assert alerts(ledger) == []
    _put_back(ledger, before)
    put_back_at = ledger.head()[0]
    assert _row(ledger, "C001")["pin_hash"] == before["pin_hash"]
    with pytest.raises(AuthError) as signin:
        desk.sign_in("C001", old_pin)
    assert signin.value.reason == "integrity"
    assert alerts(ledger)[-1] == {"table": "staff", "row": office.clerk.id, "check": "staff_history"}
    with pytest.raises(AuthError) as changing:
        desk.change_pin("C001", old_pin, "9292")  # nor can the old PIN choose a new one
    assert changing.value.reason == "integrity"  # the screen's and the CLI's words for it
    assert len(alerts(ledger)) == 2
    # Another process (another kiosk, the CLI) folds the chain anew and refuses it as well.
    other = Ledger(
        make_engine(str(ledger.engine.url.render_as_string(hide_password=False))), pepper=ledger.pepper
    )
    try:
        with pytest.raises(AuthError) as elsewhere:
            Desk(other, Settings()).sign_in("C001", old_pin)
        assert elsewhere.value.reason == "integrity"
    finally:
        other.engine.dispose()
    assert not [e for e in ledger.events() if e.kind == "signed_in" and e.seq > put_back_at]
    report = verify(ledger)
    assert not report.ok
    assert report.disagreement is not None
    assert (report.disagreement.table, report.disagreement.field) == ("staff", "pin_mac")


def test_pin_changes_made_by_another_process_are_followed(desk: Desk, office: Crew, ledger: Ledger) -> None:
    """A PIN reset and set at another kiosk are on the chain: this process signs the member in with the
    new PIN and takes nothing for an edit; the old PIN is simply wrong."""
    desk.sign_in("C001", PINS["C001"])  # this process's fold is built
    other = Ledger(
        make_engine(str(ledger.engine.url.render_as_string(hide_password=False))), pepper=ledger.pepper
    )
    try:
        elsewhere = Desk(other, Settings())
        elsewhere.reset_pin(office.admin, office.supervisor, "C001", "7070")
        elsewhere.change_pin("C001", "7070", "8181")
    finally:
        other.engine.dispose()
    assert desk.sign_in("C001", "8181").id == office.clerk.id
    with pytest.raises(AuthError) as wrong:
        desk.sign_in("C001", PINS["C001"])
    assert wrong.value.reason == "wrong_pin"
    assert alerts(ledger) == []
    assert verify(ledger).ok
