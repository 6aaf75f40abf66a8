"""Issue 22, items 1-4, 11, 12: a record an insider cannot quietly undo by a restore or a file copy.

Each test is the attack, done as the issue did it: `kiosk backup` then take-outs then `kiosk restore`
of that backup; a restore approved by people as they were in the old copy; a copy of the ledger file
put back after a kiosk committed more; the anchor log emptied, truncated or shortened; the anchors
folder deleted; a restore while a kiosk holds the ledger; backup names and messages with long digit
runs; a log file on a full disk.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import DEFAULT_CLOSING_CHECKLIST, DEFAULT_OPENING_CHECKLIST
from kiosk.desk import Desk, StorageError
from kiosk.domain.authz import NotAllowed
from kiosk.domain.events import EventKind
from kiosk.domain.safe_session import ScanMode
from kiosk.domain.staff import AuthError, Role
from kiosk.ledger import staff_ops
from kiosk.ledger.service import Ledger, open_ledger
from tests.integrity.conftest import PINS, Kiosk, Office
from tests.ledger_ops import add_to_pick_list, open_session, scan_in_session

CONFIRM = ("--operator", "O001", "--supervisor", "S001")
BOTH_PINS = f"{PINS['O001']}\n{PINS['S001']}\n"


def take_out_two(office: Office, ledger: Ledger) -> list[str]:
    """Two cards out in an open session (the theft the restore would erase); the session stays open."""
    cards = office.cards[2:4]
    add_to_pick_list(ledger, cards, office.clerk2)
    session = open_session(
        ledger,
        office.officer,
        office.clerk,
        required=DEFAULT_OPENING_CHECKLIST,
        confirmed=DEFAULT_OPENING_CHECKLIST,
    )
    for mid in cards:
        assert scan_in_session(ledger, session.id, mid, ScanMode.TAKE_OUT, office.clerk).ok
    return cards


def last_restore(k: Kiosk) -> tuple[Ledger, dict[str, object], int | None, int | None]:
    ledger = k.open()
    restored = [e for e in ledger.events() if e.kind == EventKind.LEDGER_RESTORED]
    assert restored
    event = restored[-1]
    return ledger, event.data, event.actor_id, event.witness_id


# -- 1. the newest backup, then take-outs, then restore --------------------------------------------


def test_restoring_the_newest_backup_after_take_outs_needs_two_people_and_is_an_alert(
    office: Office, tmp_path: Path
) -> None:
    from kiosk.domain.card_state import office_date
    from kiosk.reports.daily import daily_close, write_daily_csv, write_daily_pdf

    k = office.kiosk
    made = k.run("backup")
    assert made.returncode == 0, made.stderr
    backup = next(p for p in k.paths.backups.iterdir() if not p.name.startswith("."))
    ledger = k.open()
    cards = take_out_two(office, ledger)
    stolen_head = ledger.head()
    ledger.engine.dispose()

    refused = k.run("restore", str(backup))
    assert refused.returncode == 2
    assert "would drop" in refused.stderr
    assert "officer and a" in refused.stderr
    assert "supervisor must confirm" in refused.stderr
    ledger = k.open()
    assert all(ledger.card(mid).status.value == "out" for mid in cards)  # type: ignore[union-attr]
    ledger.engine.dispose()

    done = k.run("restore", str(backup), *CONFIRM, stdin=BOTH_PINS)
    assert done.returncode == 0, done.stderr
    assert k.run("verify").returncode == 0
    ledger, data, actor, witness = last_restore(k)
    assert actor == office.officer.id
    assert witness == office.supervisor.id
    assert data["dropped_first_seq"] == data["restored_head_seq"] + 1  # type: ignore[operator]
    # The range runs to the replaced ledger's head, which the two sign-ins moved past the theft.
    assert data["dropped_last_seq"] >= stolen_head[0]  # type: ignore[operator]
    assert data["replaced_head_seq"] == data["dropped_last_seq"]
    assert data["confirmed_on"] == "current ledger"

    desk = Desk(ledger, k.settings)
    alerts = desk.unacknowledged_restores()
    assert [a.seq for a in alerts][-1:] == [ledger.events(limit=1)[0].seq]
    alert = alerts[-1]
    assert alert.officer == office.officer.name
    assert alert.supervisor == office.supervisor.name
    assert alert.dropped >= stolen_head[0] - alert.restored_head_seq
    with pytest.raises(NotAllowed):
        desk.acknowledge_restore(office.clerk, alert.seq)  # only a supervisor ends the alert
    assert desk.unacknowledged_restores()[-1].seq == alert.seq
    # The daily close's paper shows it until acknowledged.
    paper = tmp_path / "daily.csv"
    report = daily_close(desk, office_date(desk.now()))
    write_daily_csv(report, paper)
    if shutil.which("pdftotext"):
        pdf = tmp_path / "daily.pdf"
        write_daily_pdf(report, pdf)
        printed = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "【警告】管理簿の復元（責任者の確認待ち）" in printed
        assert office.officer.name in printed
    text = paper.read_text(encoding="utf-8-sig")
    assert "管理簿の復元（責任者の確認まで警告）" in text
    assert f"{alert.seq}," in text
    assert office.supervisor.name in text
    desk.acknowledge_restore(office.supervisor, alert.seq)
    assert alert.seq not in [a.seq for a in desk.unacknowledged_restores()]
    assert alert.seq not in [r.seq for r in daily_close(desk, office_date(desk.now())).restores]
    ledger.engine.dispose()
    assert k.run("verify").returncode == 0


# -- 2. people as they are on the CURRENT ledger; staff changes carried -----------------------------


def test_a_restore_is_approved_by_people_as_they_are_now_and_keeps_their_changes(
    office: Office, tmp_path: Path
) -> None:
    k = office.kiosk
    ledger = k.open()
    officer2 = ledger.add_staff(
        name="保管 副子", badge="O002", employee_no="E-O002", role=Role.OFFICER, rank=1, pin="2222"
    )
    boss2 = ledger.add_staff(
        name="課長 四子", badge="S002", employee_no="E-S002", role=Role.SUPERVISOR, pin="6666"
    )
    ledger.engine.dispose()
    copy = tmp_path / "old.sqlite3"
    assert k.run("backup", str(copy)).returncode == 0
    ledger = k.open()
    with ledger.unit() as u:  # after the copy: S001 leaves, O001's PIN is reset, a clerk is added
        staff_ops.deactivate_staff(u, "S001", ledger.pepper)
    with ledger.unit() as u:
        staff_ops.reset_pin(u, ledger.pepper, "O001", "9090")
    late = ledger.add_staff(name="窓口 五郎", badge="C005", employee_no="E-C005", role=Role.CLERK, pin="5050")
    for _ in range(10):  # C002 is locked out by wrong PINs after the copy
        with pytest.raises(AuthError) as failed:
            ledger.authenticate("C002", "0000")
        if failed.value.reason == "locked":
            break
    ledger.engine.dispose()

    # The old copy's people: a since-deactivated supervisor, a since-reset PIN.
    old = k.run("restore", str(copy), *CONFIRM, stdin=BOTH_PINS)
    assert old.returncode == 2
    assert "confirmation refused" in old.stderr
    old_pin = k.run(
        "restore", str(copy), "--operator", "O001", "--supervisor", "S002", stdin=f"{PINS['O001']}\n6666\n"
    )
    assert old_pin.returncode == 2
    assert "confirmation refused: wrong_pin" in old_pin.stderr
    assert not list(k.db.parent.glob(f"{k.db.name}.replaced-*"))

    done = k.run("restore", str(copy), "--operator", "O002", "--supervisor", "S002", stdin="2222\n6666\n")
    assert done.returncode == 0, done.stderr
    assert k.run("verify").returncode == 0
    ledger, data, actor, witness = last_restore(k)
    assert (actor, witness) == (officer2.id, boss2.id)
    assert data["carried_staff_events"]
    # Nobody came back to life: S001 stays deactivated, O001's old PIN stays wrong, C005 exists.
    s001 = ledger.staff_by_badge("S001")
    assert s001 is not None
    assert not s001.active
    with pytest.raises(AuthError) as wrong:
        ledger.authenticate("O001", PINS["O001"])
    assert wrong.value.reason == "wrong_pin"
    assert ledger.staff_by_badge("C005") == ledger.staff_by_id(late.id)
    with pytest.raises(AuthError) as locked:
        ledger.authenticate("C002", PINS["C002"])
    assert locked.value.reason == "locked"
    carried = [e for e in ledger.events() if (e.source or "").startswith("carried from seq")]
    assert {EventKind.STAFF_DEACTIVATED, EventKind.STAFF_PIN_RESET, EventKind.STAFF_ADDED} <= {
        e.kind for e in carried
    }
    ledger.engine.dispose()


# -- 3. no window: a file copy put back after the kiosk committed more ------------------------------


def copy_file(db: Path, to: Path) -> None:
    """The attacker's copy at 09:00: the file as it is (a sqlite3 `.backup`, WAL included)."""
    src = sqlite3.connect(db)
    dst = sqlite3.connect(to)
    src.backup(dst)
    src.close()
    dst.close()


def put_back(copy: Path, db: Path) -> None:
    for side in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        side.unlink(missing_ok=True)
    shutil.copyfile(copy, db)


def test_a_copy_of_the_file_put_back_after_the_kiosk_committed_more_is_refused(
    office: Office, tmp_path: Path
) -> None:
    k = office.kiosk
    ledger = k.open()  # the kiosk starts at 08:30
    copy = tmp_path / "nine.sqlite3"
    copy_file(k.db, copy)  # 09:00
    take_out_two(office, ledger)  # through the running kiosk: no restart, no daily close
    ledger.engine.dispose()
    put_back(copy, k.db)
    start = k.run("staff", "list")
    assert start.returncode == 3
    assert "behind the last head a kiosk committed" in start.stderr
    verify = k.run("verify")
    assert verify.returncode == 1
    assert "an older copy" in verify.stderr


def test_a_running_kiosk_stops_when_its_ledger_file_is_replaced(office: Office, tmp_path: Path) -> None:
    k = office.kiosk
    ledger = k.open()
    desk = Desk(ledger, k.settings)
    copy = tmp_path / "older.sqlite3"
    copy_file(k.db, copy)
    desk.record_refusal("unknown_id", attempted="before")
    before = ledger.head()
    # Replaced under the running kiosk (another inode): `cp` to a new file and rename over the ledger.
    swap = k.db.with_name("swap.sqlite3")
    shutil.copyfile(copy, swap)
    for side in (Path(f"{k.db}-wal"), Path(f"{k.db}-shm")):
        side.unlink(missing_ok=True)
    swap.replace(k.db)
    with pytest.raises(StorageError) as stopped:
        desk.open_safe(office.officer, office.clerk, DEFAULT_OPENING_CHECKLIST)
    assert stopped.value.code == "replaced"
    with pytest.raises(StorageError) as again:  # and stays stopped
        desk.open_safe(office.officer, office.clerk, DEFAULT_OPENING_CHECKLIST)
    assert again.value.code == "replaced"
    plain = sqlite3.connect(k.db)
    (seq,) = plain.execute("SELECT seq FROM ledger_head").fetchone()
    plain.close()
    assert seq < before[0]  # nothing of the stopped kiosk landed in the file now in place
    ledger.engine.dispose()


def test_a_head_that_went_back_in_the_same_file_stops_the_kiosk(office: Office, tmp_path: Path) -> None:
    k = office.kiosk
    ledger = k.open()
    copy = tmp_path / "older.sqlite3"
    copy_file(k.db, copy)
    ledger.record_refusal("unknown_id", attempted="after the copy")
    # Copied over the ledger in place (same inode): the content is the older one.
    src = sqlite3.connect(copy)
    dst = sqlite3.connect(k.db)
    src.backup(dst)
    src.close()
    dst.close()
    with pytest.raises(Exception, match="went back"):
        ledger.record_refusal("unknown_id", attempted="into the older copy")
    ledger.engine.dispose()


# -- the anchor log: numbered lines and a count outside it -----------------------------------------


@pytest.mark.parametrize("attack", ["emptied", "last_line_removed", "truncated", "middle_line_removed"])
def test_a_shortened_anchor_log_is_refused(office: Office, attack: str) -> None:
    k = office.kiosk
    for _ in range(3):
        assert k.run("anchor").returncode == 0
    log = k.paths.anchor_log
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) == 3
    if attack == "emptied":
        log.write_text("", encoding="utf-8")
    elif attack == "last_line_removed":
        log.write_text("".join(lines[:-1]), encoding="utf-8")
    elif attack == "truncated":
        log.write_text("".join(lines[:1]), encoding="utf-8")
    else:
        log.write_text(lines[0] + lines[2], encoding="utf-8")
    result = k.run("staff", "list")
    assert result.returncode == 3, result.stdout
    assert "anchor" in result.stderr
    assert ("were written" in result.stderr) or ("lines were removed" in result.stderr)


def test_a_deleted_anchors_folder_is_refused_when_the_chain_says_anchors_were_written(
    office: Office, tmp_path: Path
) -> None:
    k = office.kiosk
    copy = tmp_path / "copy.sqlite3"
    assert k.run("backup", str(copy)).returncode == 0
    assert k.run("restore", str(copy)).returncode == 0  # nothing dropped: no people needed; anchored
    shutil.rmtree(k.paths.anchors)
    result = k.run("staff", "list")
    assert result.returncode == 3
    assert "anchors of this ledger were written" in result.stderr
    assert "put back the anchors folder" in result.stderr


def test_init_does_not_start_a_new_ledger_over_the_backups_of_an_old_one(office: Office) -> None:
    k = office.kiosk
    assert k.run("backup").returncode == 0
    for side in (k.db, Path(f"{k.db}-wal"), Path(f"{k.db}-shm"), k.paths.pepper):
        side.unlink(missing_ok=True)
    shutil.rmtree(k.paths.anchors)
    result = k.run("init")
    assert result.returncode == 3
    assert "holds a copy of one" in result.stderr
    plain = sqlite3.connect(k.db)
    tables = plain.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    plain.close()
    assert tables == []  # no new ledger was started
    assert not k.paths.pepper.exists()


# -- 4. restore while a kiosk holds the ledger ------------------------------------------------------


def test_restore_refuses_while_a_kiosk_holds_the_ledger(office: Office, tmp_path: Path) -> None:
    k = office.kiosk
    copy = tmp_path / "copy.sqlite3"
    assert k.run("backup", str(copy)).returncode == 0
    running = open_ledger(k.settings, hold=True)  # a kiosk (`kiosk run`) on this ledger
    try:
        result = k.run("restore", str(copy))
        assert result.returncode == 2
        assert "a kiosk is running on this ledger" in result.stderr
        assert not list(k.db.parent.glob(f"{k.db.name}.replaced-*"))
        seq = running.record_refusal("unknown_id", attempted="still the live ledger").seq
        assert running.head()[0] == seq
    finally:
        assert running.hold is not None
        running.hold.release()
        running.engine.dispose()
    assert k.run("restore", str(copy), *CONFIRM, stdin=BOTH_PINS).returncode == 0


# -- 11, 12. names and messages ---------------------------------------------------------------------


def test_backup_names_hold_no_long_digit_run_and_messages_name_paths_without_refusal(
    office: Office, tmp_path: Path
) -> None:
    from drivers.text import holds_individual_number

    k = office.kiosk
    assert k.run("backup").returncode == 0
    (made,) = [p for p in k.paths.backups.iterdir() if not p.name.startswith(".")]
    assert not holds_individual_number(made.name), made.name
    # A folder whose name holds 12 digits: the message keeps its real reason, the digits masked.
    folder = tmp_path / "d-1234-5678-9012"
    folder.mkdir()
    copy = folder / "copy.sqlite3"
    assert k.run("backup", str(copy)).returncode == 0
    ledger = k.open()
    ledger.record_refusal("unknown_id", attempted="after the copy")
    ledger.engine.dispose()
    refused = k.run("restore", str(copy))
    assert refused.returncode == 2
    assert "supervisor must confirm" in refused.stderr
    assert "12 or more digits" not in refused.stderr
    assert not holds_individual_number(refused.stderr)
    done = k.run("restore", str(copy), *CONFIRM, stdin=BOTH_PINS)
    assert done.returncode == 0, done.stderr
    assert "d-####-####-####/copy.sqlite3 (head" in done.stdout  # the path, its digits masked
    assert "1234-5678-9012" not in done.stdout + done.stderr


def test_a_log_file_on_a_full_disk_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    logs = tmp_path / "log"
    logs.mkdir()
    (logs / "kiosk.log").symlink_to("/dev/full")  # every write fails with ENOSPC
    script = (
        "import logging, sys\n"
        "from pathlib import Path\n"
        "from kiosk.logs import setup_file_logging\n"
        f"setup_file_logging(Path({str(logs)!r}))\n"
        "for i in range(5):\n"
        "    logging.getLogger('kiosk.test').error('record %d', i)\n"
        "print('still running')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert result.stdout.strip() == "still running"
    assert "Logging error" not in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "No space left on device" in result.stderr


def test_the_session_close_anchors_the_head(office: Office) -> None:
    k = office.kiosk
    ledger = k.open()
    desk = Desk(ledger, k.settings)
    view = desk.open_safe(office.officer, office.clerk, DEFAULT_OPENING_CHECKLIST)
    desk.close_safe(view.id, office.officer, office.clerk, DEFAULT_CLOSING_CHECKLIST)
    head = ledger.head()
    last = ledger.events(limit=1)[0]
    ledger.engine.dispose()
    log = k.paths.anchor_log.read_text(encoding="utf-8")
    assert f"safe session {view.id} closed" in log
    assert f'"seq":{head[0]}' in log
    # This kiosk's first anchor line: the chain says so just before it, and the line vouches for it.
    assert last.kind == EventKind.ANCHORS_KEPT


def test_a_removed_head_file_is_refused(office: Office, tmp_path: Path) -> None:
    k = office.kiosk
    ledger = k.open()
    copy = tmp_path / "nine.sqlite3"
    copy_file(k.db, copy)
    ledger.record_refusal("unknown_id", attempted="after the copy")
    ledger.engine.dispose()
    put_back(copy, k.db)
    (k.paths.anchors / "head").unlink()  # the newest committed head goes with it
    result = k.run("staff", "list")
    assert result.returncode == 3
    assert "head file" in result.stderr


def test_a_supervisor_acknowledges_a_restore_from_the_cli(office: Office, tmp_path: Path) -> None:
    k = office.kiosk
    copy = tmp_path / "copy.sqlite3"
    assert k.run("backup", str(copy)).returncode == 0
    ledger = k.open()
    ledger.record_refusal("unknown_id", attempted="after the copy")
    ledger.engine.dispose()
    assert k.run("restore", str(copy), *CONFIRM, stdin=BOTH_PINS).returncode == 0
    listed = k.run("restores")
    assert listed.returncode == 0, listed.stderr
    assert "dropped seq" in listed.stdout
    assert office.supervisor.name in listed.stdout
    seq = int(listed.stdout.split()[0])
    clerk = k.run("restores", "--acknowledge", str(seq), "--supervisor", "C001", stdin=f"{PINS['C001']}\n")
    assert clerk.returncode == 2
    done = k.run("restores", "--acknowledge", str(seq), "--supervisor", "S001", stdin=f"{PINS['S001']}\n")
    assert done.returncode == 0, done.stderr
    assert "no restore awaits" in k.run("restores").stdout


def test_a_kiosk_does_not_start_while_a_restore_holds_the_ledger(kiosk: Kiosk) -> None:
    from kiosk.ledger.anchors import IntegrityRefused
    from kiosk.ledger.watch import take

    restoring = take(kiosk.settings, exclusive=True)  # what `kiosk restore` holds while it runs
    try:
        with pytest.raises(IntegrityRefused, match="a restore of this ledger is under way"):
            open_ledger(kiosk.settings, hold=True)
    finally:
        restoring.release()
    started = open_ledger(kiosk.settings, hold=True)
    assert started.hold is not None
    started.hold.release()
    started.engine.dispose()
