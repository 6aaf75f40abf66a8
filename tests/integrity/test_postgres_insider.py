"""Issue 22 on PostgreSQL, as an insider would try it: a restore while a kiosk on another PC holds the
ledger, and a `pg_restore` of an older dump that would bring back a deactivated supervisor or a reset
PIN. Every test here failed on the code before it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from kiosk.config import Settings, data_paths, load_settings
from kiosk.domain.events import EventKind
from kiosk.domain.staff import AuthError, Role
from kiosk.ledger import staff_ops
from kiosk.ledger.anchors import IntegrityRefused
from kiosk.ledger.service import Ledger, open_ledger
from kiosk.ledger.staff_journal import journal_file
from kiosk.ledger.watch import take
from tests.conftest import PG_URL
from tests.integrity import test_postgres as _pg
from tests.integrity.conftest import Kiosk
from tests.integrity.test_postgres import OWNER, Roles
from tests.ledger.helpers import ids, receive

# The PostgreSQL fixtures of test_postgres: a schema of the test's own, migrated by the owner role.
roles = _pg.roles
pg_kiosk = _pg.pg_kiosk

# A kiosk on another PC: it opens the shared ledger and holds it until its stdin closes.
_HOLDER = """
import sys
from kiosk.config import load_settings
from kiosk.ledger.service import Ledger, open_ledger
ledger = open_ledger(load_settings(sys.argv[1], db_url=sys.argv[2]), hold=True)
print("holding", flush=True)
sys.stdin.read()
"""


def _other_pc(pg_kiosk: Kiosk, tmp_path: Path) -> Kiosk:
    """A second kiosk PC: its own configuration and data directory (anchors, lock file), the first
    kiosk's pepper (as `kiosk join` writes it)."""
    pc = Kiosk(tmp_path / "pc2")
    pc.config.parent.mkdir(parents=True)
    pc.config.write_text('[kiosk]\nname = "kiosk-2"\n', encoding="utf-8")
    pepper = data_paths(pc.settings).pepper
    pepper.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pg_kiosk.paths.pepper, pepper)
    pepper.chmod(0o600)
    return pc


def test_restore_is_refused_while_a_kiosk_on_another_pc_holds_the_postgresql_ledger(
    pg_kiosk: Kiosk, roles: Roles, tmp_path: Path
) -> None:
    """Issue 22, item 4 across PCs: the file lock is this PC's only, so `restore --in-place` went
    through while a kiosk on another PC ran on the shared ledger. The advisory lock in the database
    is seen from every PC: the restore is refused until that kiosk stops, and while a restore holds
    it no kiosk on another PC starts."""
    pc2 = _other_pc(pg_kiosk, tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(pc2.config), roles.app_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=pc2.env(),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding", holder.stderr.read() if holder.stderr else ""
        refused = pg_kiosk.run("--db", roles.app_url, "restore", "--in-place")
        assert refused.returncode != 0
        assert "another PC" in refused.stderr
        assert "recorded the restore" not in refused.stdout
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
    # The kiosk on the other PC stopped: its lock went with its connection, and the restore goes on.
    done = pg_kiosk.run("--db", roles.app_url, "restore", "--in-place")
    assert done.returncode == 0, done.stderr
    assert "recorded the restore" in done.stdout

    # The other way round: while a restore holds the ledger, a kiosk on the other PC does not start.
    settings = load_settings(pg_kiosk.config, db_url=roles.app_url)
    ledger = open_ledger(settings, check=False)
    hold = take(settings, exclusive=True, engine=ledger.engine)
    try:
        with pytest.raises(IntegrityRefused, match="restore of this ledger is under way"):
            open_ledger(load_settings(pc2.config, db_url=roles.app_url), hold=True)
    finally:
        hold.release()
        ledger.engine.dispose()
    second = open_ledger(load_settings(pc2.config, db_url=roles.app_url), hold=True)
    assert second.hold is not None
    second.hold.release()
    second.engine.dispose()


_PEOPLE = (
    ("保管 正子", "O001", Role.OFFICER, 0, "1111"),
    ("保管 副子", "O002", Role.OFFICER, 1, "2222"),
    ("課長 三子", "S001", Role.SUPERVISOR, None, "5555"),
    ("課長 四子", "S002", Role.SUPERVISOR, None, "6666"),
)


def _office(
    pg_kiosk: Kiosk, roles: Roles, *more: tuple[str, str, Role, int | None, str]
) -> tuple[Settings, Ledger]:
    """The first kiosk's ledger (application role) with two officers, two supervisors and `more`."""
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump / pg_restore (postgresql-client) are not installed")
    settings = load_settings(pg_kiosk.config, db_url=roles.app_url)
    ledger = open_ledger(settings)
    for name, badge, role, rank, pin in (*_PEOPLE, *more):
        ledger.add_staff(name=name, badge=badge, employee_no=f"E-{badge}", role=role, rank=rank, pin=pin)
    return settings, ledger


def _nobody_came_back(ledger: Ledger) -> None:
    """After the restore: S001, deactivated after the dump, stays so; O001's PIN from before its reset
    stays wrong."""
    s001 = ledger.staff_by_badge("S001")
    assert s001 is not None
    assert not s001.active
    with pytest.raises(AuthError) as wrong:
        ledger.authenticate("O001", "1111")
    assert wrong.value.reason == "wrong_pin"


def _owner_restore(dump: Path) -> None:
    assert PG_URL is not None
    owner = make_url(PG_URL).set(username=OWNER).render_as_string(hide_password=False)
    done = subprocess.run(
        ["pg_restore", "--clean", "--if-exists", "--dbname", owner, str(dump)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_pg_restore_of_an_older_dump_keeps_the_staff_changes_made_after_it(
    pg_kiosk: Kiosk, roles: Roles
) -> None:
    """Issue 22, item 2 on PostgreSQL: after the owner's `pg_restore` of an older dump, the restore was
    approved by people as they were in the dump (a since-deactivated supervisor, a since-reset PIN),
    and the deactivation, the reset, a new member and a lockout were lost. The kiosk's staff journal
    carries them onto the restored chain, the two are authenticated on the result, a refused
    confirmation carries nothing twice, and a journal that was removed or cut short refuses the
    restore with nothing changed."""
    settings, ledger = _office(pg_kiosk, roles, ("窓口 二郎", "C002", Role.CLERK, None, "4444"))
    receive(ledger, ids(2))
    ledger.engine.dispose()
    made = pg_kiosk.run("--db", roles.app_url, "backup")
    assert made.returncode == 0, made.stderr
    dump = Path(made.stdout.split()[1])

    ledger = open_ledger(settings)  # after the dump: S001 leaves, O001's PIN is reset, C005 joins …
    with ledger.unit() as u:
        staff_ops.deactivate_staff(u, "S001", ledger.pepper)
    with ledger.unit() as u:
        staff_ops.reset_pin(u, ledger.pepper, "O001", "9090")
    late = ledger.add_staff(name="窓口 五郎", badge="C005", employee_no="E-C005", role=Role.CLERK, pin="5050")
    for _ in range(10):  # … and C002 is locked out by wrong PINs
        with pytest.raises(AuthError) as failed:
            ledger.authenticate("C002", "0000")
        if failed.value.reason == "locked":
            break
    receive(ledger, ids(2, start=70))
    ledger.engine.dispose()
    _owner_restore(dump)

    journal = journal_file(pg_kiosk.paths.checkpoint)
    kept = journal.read_bytes()
    lines = kept.splitlines(keepends=True)
    for damage in (b"", b"".join(lines[:-2])):  # removed, then cut short
        if damage:
            journal.write_bytes(damage)
        else:
            journal.unlink()
        refused = pg_kiosk.run(
            "--db", roles.app_url, "restore", "--in-place", "--operator", "O002", "--supervisor", "S002",
            stdin="2222\n6666\n",
        )  # fmt: skip
        assert refused.returncode == 2, refused.stdout
        assert "staff journal" in refused.stderr
        assert "put back the anchors folder" in refused.stderr.lower()
        journal.write_bytes(kept)

    # The dump's people: a since-deactivated supervisor, a since-reset PIN.
    gone = pg_kiosk.run(
        "--db", roles.app_url, "restore", "--in-place", "--operator", "O001", "--supervisor", "S001",
        stdin="1111\n5555\n",
    )  # fmt: skip
    assert gone.returncode == 2
    assert "confirmation refused" in gone.stderr
    old_pin = pg_kiosk.run(
        "--db", roles.app_url, "restore", "--in-place", "--operator", "O001", "--supervisor", "S002",
        stdin="1111\n6666\n",
    )  # fmt: skip
    assert old_pin.returncode == 2
    assert "confirmation refused: wrong_pin" in old_pin.stderr

    # The refused tries' carried events and sign-ins did not move the head file onto the restored chain:
    # it is still behind, and still needs the two people.
    alone = pg_kiosk.run("--db", roles.app_url, "restore", "--in-place")
    assert alone.returncode == 2
    assert "supervisor must confirm" in alone.stderr
    done = pg_kiosk.run(
        "--db", roles.app_url, "restore", "--in-place", "--operator", "O002", "--supervisor", "S002",
        stdin="2222\n6666\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert pg_kiosk.run("--db", roles.app_url, "verify").returncode == 0
    ledger = open_ledger(settings)
    try:
        (restored,) = [e for e in ledger.events() if e.kind == EventKind.LEDGER_RESTORED]
        assert restored.data["confirmed_on"] == "current ledger"
        assert restored.data["carried_staff_events"] > 0
        # Nobody came back to life: S001 stays deactivated, O001's old PIN stays wrong, C005 exists,
        # C002 stays locked out.
        _nobody_came_back(ledger)
        assert ledger.staff_by_badge("C005") == ledger.staff_by_id(late.id)
        with pytest.raises(AuthError) as locked:
            ledger.authenticate("C002", "4444")
        assert locked.value.reason == "locked"
        carried = [e for e in ledger.events() if (e.source or "").startswith("carried from seq")]
        kinds = [e.kind for e in carried]
        assert {EventKind.STAFF_DEACTIVATED, EventKind.STAFF_PIN_RESET, EventKind.STAFF_ADDED} <= set(kinds)
        assert len({e.source for e in carried}) == len(carried)  # the refused tries carried nothing twice
    finally:
        ledger.engine.dispose()
    # The replaced chain's journal is kept aside; the restored chain starts its own.
    assert list(journal.parent.glob(f"{journal.name}.replaced-*"))


def _two_pcs_and_a_dump(pg_kiosk: Kiosk, roles: Roles, tmp_path: Path) -> tuple[Kiosk, Path]:
    """Kiosk 1 adds the people; kiosk 2 (another PC) signs someone in, so the chain names its journal;
    then a dump. After the dump, kiosk 2 deactivates S001 and resets O001's PIN, kiosk 1 receives cards
    (so the restore drops events it committed), and the owner restores the dump."""
    settings, ledger = _office(pg_kiosk, roles)
    receive(ledger, ids(2))
    ledger.engine.dispose()
    pc2 = _other_pc(pg_kiosk, tmp_path)
    other = open_ledger(load_settings(pc2.config, db_url=roles.app_url))
    other.authenticate("O002", "2222")
    other.engine.dispose()
    made = pg_kiosk.run("--db", roles.app_url, "backup")
    assert made.returncode == 0, made.stderr
    dump = Path(made.stdout.split()[1])

    other = open_ledger(load_settings(pc2.config, db_url=roles.app_url))
    with other.unit() as u:
        staff_ops.deactivate_staff(u, "S001", other.pepper)
    with other.unit() as u:
        staff_ops.reset_pin(u, other.pepper, "O001", "9090")
    other.engine.dispose()
    ledger = open_ledger(settings)
    receive(ledger, ids(2, start=70))
    ledger.engine.dispose()
    _owner_restore(dump)
    return pc2, dump


def test_a_restore_on_one_pc_keeps_the_staff_changes_made_at_another(
    pg_kiosk: Kiosk, roles: Roles, tmp_path: Path
) -> None:
    """Issue 22, item 2 across PCs: the staff journal is kept per PC, so after `pg_restore` a restore
    at kiosk 1 carried only kiosk 1's journal, and a supervisor deactivated at kiosk 2 after the dump
    approved it (and came back to life). The chain names kiosk 2's journal (`journal_kept`): the
    restore is refused until a copy of kiosk 2's anchors folder is given, then carries kiosk 2's staff
    changes before authenticating, and kiosk 2 starts again on the restored chain."""
    pc2, _ = _two_pcs_and_a_dump(pg_kiosk, roles, tmp_path)
    as_before = (
        "--db", roles.app_url, "restore", "--in-place", "--operator", "O002", "--supervisor", "S001",
    )  # fmt: skip
    blind = pg_kiosk.run(*as_before, stdin="2222\n5555\n")
    assert blind.returncode == 2, blind.stdout
    assert "kiosk-2" in blind.stderr
    assert "--kiosk-folder" in blind.stderr
    assert "recorded the restore" not in blind.stdout

    usb = tmp_path / "usb" / "kiosk-2"
    shutil.copytree(pc2.paths.anchors, usb)
    folder = ("--kiosk-folder", f"kiosk-2={usb}")
    gone = pg_kiosk.run(*as_before, *folder, stdin="2222\n5555\n")
    assert gone.returncode == 2, gone.stdout
    assert "confirmation refused" in gone.stderr
    old_pin = pg_kiosk.run(
        "--db", roles.app_url, "restore", "--in-place", "--operator", "O001", "--supervisor", "S002",
        *folder, stdin="1111\n6666\n",
    )  # fmt: skip
    assert old_pin.returncode == 2
    assert "confirmation refused: wrong_pin" in old_pin.stderr

    # Kiosk 2 cannot be given as kiosk 1's own folder, nor under a name its journal contradicts.
    shutil.copytree(pg_kiosk.paths.anchors, tmp_path / "usb" / "kiosk-1")
    mislabelled = pg_kiosk.run(
        "--db", roles.app_url, "restore", "--in-place", "--operator", "O002", "--supervisor", "S002",
        "--kiosk-folder", f"kiosk-3={usb}", "--kiosk-folder", f"kiosk-2={tmp_path / 'usb' / 'kiosk-1'}",
        stdin="2222\n6666\n",
    )  # fmt: skip
    assert mislabelled.returncode == 2
    assert "not of kiosk-3" in mislabelled.stderr or "not of kiosk-2" in mislabelled.stderr

    done = pg_kiosk.run(
        "--db", roles.app_url, "restore", "--in-place", "--operator", "O002", "--supervisor", "S002",
        *folder, stdin="2222\n6666\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "read the anchors folder of kiosk-2" in done.stdout
    assert pg_kiosk.run("--db", roles.app_url, "verify").returncode == 0
    settings = load_settings(pg_kiosk.config, db_url=roles.app_url)
    ledger = open_ledger(settings)
    try:
        (restored,) = [e for e in ledger.events() if e.kind == EventKind.LEDGER_RESTORED]
        assert [k.rpartition("@")[0] for k in restored.data["kiosks_read"]] == ["kiosk-2"]
        assert restored.data["carried_staff_events"] >= 2
        _nobody_came_back(ledger)
    finally:
        ledger.engine.dispose()

    # Kiosk 2's heads were dropped by the restore, which read its folder: it starts on the restored
    # chain (its old journal kept aside) and records again.
    other = open_ledger(load_settings(pc2.config, db_url=roles.app_url))
    try:
        other.authenticate("O001", "9090")
        receive(other, ids(1, start=90))
    finally:
        other.engine.dispose()
    journal = journal_file(pc2.paths.checkpoint)
    assert list(journal.parent.glob(f"{journal.name}.replaced-*"))
    assert pg_kiosk.run("--db", roles.app_url, "verify").returncode == 0


def test_a_pc_named_lost_is_on_the_restore_and_does_not_start_on_it(
    pg_kiosk: Kiosk, roles: Roles, tmp_path: Path
) -> None:
    """The way out when a PC's anchors folder is gone (a dead disk): `--kiosk-lost NAME`. It is not
    quiet: the restore's event names the PC, and that PC's next start is refused (its heads were not
    read), not taken onto the restored chain."""
    pc2, _ = _two_pcs_and_a_dump(pg_kiosk, roles, tmp_path)
    done = pg_kiosk.run(
        "--db", roles.app_url, "restore", "--in-place", "--operator", "O002", "--supervisor", "S002",
        "--kiosk-lost", "kiosk-2", stdin="2222\n6666\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "the anchors folder of kiosk-2 is lost" in done.stdout
    ledger = open_ledger(load_settings(pg_kiosk.config, db_url=roles.app_url))
    try:
        (restored,) = [e for e in ledger.events() if e.kind == EventKind.LEDGER_RESTORED]
        assert restored.data["kiosks_lost"] == ["kiosk-2"]
        assert "kiosks_read" not in restored.data
    finally:
        ledger.engine.dispose()
    with pytest.raises(IntegrityRefused, match=r"behind|does not hold"):
        open_ledger(load_settings(pc2.config, db_url=roles.app_url))


def test_a_pc_whose_first_staff_event_came_after_the_dump_is_still_asked_for(
    pg_kiosk: Kiosk, roles: Roles, tmp_path: Path
) -> None:
    """Kiosk 2 was set up after the dump: its `journal_kept` is not on the restored chain. Kiosk 1 saw
    it at its next staff unit (a sign-in) and wrote it into its own journal, so the restore at kiosk 1
    still asks for kiosk 2's folder (on the code before, it went ahead and S001, deactivated at kiosk 2,
    approved it)."""
    settings, ledger = _office(pg_kiosk, roles)
    receive(ledger, ids(2))
    ledger.engine.dispose()
    made = pg_kiosk.run("--db", roles.app_url, "backup")
    assert made.returncode == 0, made.stderr
    dump = Path(made.stdout.split()[1])
    pc2 = _other_pc(pg_kiosk, tmp_path)
    other = open_ledger(load_settings(pc2.config, db_url=roles.app_url))
    with other.unit() as u:  # kiosk 2's first staff event, after the dump
        staff_ops.deactivate_staff(u, "S001", other.pepper)
    other.engine.dispose()
    ledger = open_ledger(settings)
    ledger.authenticate("O002", "2222")  # kiosk 1's next staff unit: it learns of kiosk 2
    receive(ledger, ids(2, start=70))
    ledger.engine.dispose()
    _owner_restore(dump)

    blind = pg_kiosk.run(
        "--db", roles.app_url, "restore", "--in-place", "--operator", "O002", "--supervisor", "S001",
        stdin="2222\n5555\n",
    )  # fmt: skip
    assert blind.returncode == 2, blind.stdout
    assert "kiosk-2" in blind.stderr
    assert "recorded the restore" not in blind.stdout
    usb = tmp_path / "usb" / "kiosk-2"
    shutil.copytree(pc2.paths.anchors, usb)
    gone = pg_kiosk.run(
        "--db", roles.app_url, "restore", "--in-place", "--operator", "O002", "--supervisor", "S001",
        "--kiosk-folder", f"kiosk-2={usb}", stdin="2222\n5555\n",
    )  # fmt: skip
    assert gone.returncode == 2
    assert "confirmation refused" in gone.stderr
    done = pg_kiosk.run(
        "--db", roles.app_url, "restore", "--in-place", "--operator", "O002", "--supervisor", "S002",
        "--kiosk-folder", f"kiosk-2={usb}", stdin="2222\n6666\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    ledger = open_ledger(settings)
    try:
        s001 = ledger.staff_by_badge("S001")
        assert s001 is not None
        assert not s001.active
    finally:
        ledger.engine.dispose()
