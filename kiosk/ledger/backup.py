"""`kiosk backup` and `kiosk restore`.

Backup (SQLite): the online backup API copies the live ledger page by page into a private temporary
file beside the destination; the copy is verified in full, fsynced and only then renamed to its final
name, its head is appended to the anchor log, and the oldest backups beyond `[backup] keep` are
removed. A crash or SIGKILL at any point leaves the ledger and every earlier backup as they were (at
worst a `.partial` file). PostgreSQL: `pg_dump --format=custom` when it is installed (README: the
WAL-archiving recipe for point-in-time recovery).

Restore (issue 22): the copy must verify and be this ledger (same ledger id). It holds the ledger lock
exclusively (refused while a kiosk runs). A restore that drops any event — behind the newest of the
last anchor, the committed head (checkpoint and head file) and the head of the ledger being replaced —
needs a responsible officer and a supervisor authenticated on the CURRENT ledger; the staff events the
copy lacks are carried onto the restored chain, or the restore is refused. The current file is kept
aside (`*.replaced-<time>`), never deleted, and the restore is an event on the chain naming both
people and the dropped range, an alert until a supervisor acknowledges it (docs/integrity.md).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from kiosk.domain.events import EventKind
from kiosk.fs import check_output, fsync_dir, make_private_dir
from kiosk.ledger.anchors import (
    RESTORE,
    Anchor,
    AnchorError,
    AnchorLog,
    IntegrityRefused,
    file_stamp,
    now_text,
    record_anchor,
    write_checkpoint,
)

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.domain.staff import StaffMember
    from kiosk.ledger.kiosk_folders import KioskFolder
    from kiosk.ledger.service import Ledger, Unit
    from kiosk.ledger.verify import VerifyReport
    from kiosk.ledger.watch import Hold

BACKUP_PREFIX = "ledger-"
BACKUP_SUFFIX = ".sqlite3"
_PAGES_PER_STEP = 256


class BackupError(Exception):
    """A backup or restore that could not be made (one-line reason)."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    anchor: Anchor
    removed: tuple[Path, ...] = ()
    verified: bool = True  # a SQLite copy is verified in full; a pg_dump file cannot be read back here


def _sqlite_copy(
    source: Path, target: Path, progress: Callable[[int, int, int], object] | None = None
) -> None:
    """Copy a live SQLite database with the online backup API (readers and writers keep going)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=_PAGES_PER_STEP, progress=progress)
            dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
        finally:
            dst.close()
    finally:
        src.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_copy(path: Path, pepper: bytes, kiosk: str = "restore") -> Ledger:
    """A ledger on a backup file (no migration, no start-up check: it is only read and verified)."""
    from kiosk.ledger.engine import make_engine
    from kiosk.ledger.service import Ledger

    return Ledger(make_engine(f"sqlite:///{path}"), pepper=pepper, kiosk=kiosk)


def check_copy(path: Path, pepper: bytes) -> tuple[int, str, str]:
    """Verify a backup in full: (head seq, head hash, ledger id). Raises BackupError."""
    from kiosk.ledger.meta import check_identity, ledger_id
    from kiosk.ledger.verify import verify

    copy = open_copy(path, pepper)
    try:
        check_identity(copy, "this kiosk's pepper", adopt=False)
        report = verify(copy)
        if not report.ok:
            raise BackupError(f"{path} does not verify: seq {report.first_bad_seq}: {report.problem}")
        return report.head_seq, report.head_hash, ledger_id(copy)
    except IntegrityRefused as exc:
        raise BackupError(f"{path}: {exc}") from None
    finally:
        copy.engine.dispose()


def backup(
    ledger: Ledger,
    settings: Settings,
    dest: Path | None = None,
    *,
    progress: Callable[[int, int, int], object] | None = None,
    note_anchors: bool = True,
) -> BackupResult:
    """Back up the ledger to `dest` (a folder or a file; default the [paths] backups folder).

    `note_anchors`: the first anchor of this kiosk puts `anchors_kept` on the chain BEFORE the copy, so
    the newest backup holds it (restoring it drops nothing). `kiosk upgrade` passes False and records
    it only once the upgrade succeeded: a failed upgrade leaves the ledger as it was."""
    from kiosk.config import data_paths, sqlite_file
    from kiosk.ledger.anchors import note_kept

    paths = data_paths(settings)
    if note_anchors:
        note_kept(ledger, settings, AnchorLog(paths.anchor_log, ledger.pepper))
    database = sqlite_file(settings.ledger.url)
    folder = paths.backups if dest is None or dest.is_dir() else dest.parent
    if dest is not None and not dest.is_dir():
        target = dest
        check_output(target, paths.protected(settings.ledger.url))
    else:
        make_private_dir(folder)
        target = folder / f"{BACKUP_PREFIX}{file_stamp()}{BACKUP_SUFFIX if database else '.pgdump'}"
        extra = iter("bcdefghijklmnopqrstuvwxyz")
        while target.exists():  # two backups in one millisecond: a letter after the time keeps both
            target = target.with_name(f"{BACKUP_PREFIX}{file_stamp()}{next(extra)}{target.suffix}")
    if database is None:
        made = _pg_backup(ledger, settings, target, note_anchors)
        removed = prune(folder, settings.backup.keep) if dest is None or dest.is_dir() else ()
        return BackupResult(made.path, made.anchor, removed, verified=False)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o600)
        _sqlite_copy(database, tmp, progress)
        os.chmod(tmp, 0o600)
        seq, digest, _ = check_copy(tmp, ledger.pepper)
        _fsync(tmp)
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    anchor = _record(ledger, settings, Anchor(seq, digest), f"backup {target.name}", note_anchors)
    removed = prune(folder, settings.backup.keep) if dest is None or dest.is_dir() else ()
    return BackupResult(target, anchor, removed)


def _record(ledger: Ledger, settings: Settings, head: Anchor, reason: str, note: bool = True) -> Anchor:
    """Append a given head (the copy's, which may be behind the live head) to the anchor log."""
    from kiosk.config import data_paths
    from kiosk.ledger.anchors import note_kept
    from kiosk.ledger.meta import ledger_id

    anchor = Anchor(head.seq, head.hash, now_text(), reason, ledger_id(ledger))
    anchor_log = AnchorLog(data_paths(settings).anchor_log, ledger.pepper)
    if note:
        note_kept(ledger, settings, anchor_log)
    return anchor_log.append(anchor)


def prune(folder: Path, keep: int) -> tuple[Path, ...]:
    """Remove the oldest complete backups beyond the newest `keep` (names sort by time)."""
    backups = sorted(
        p for p in folder.glob(f"{BACKUP_PREFIX}*") if p.is_file() and not p.name.startswith(".")
    )
    old = backups[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
    return tuple(old)


def _pg_backup(ledger: Ledger, settings: Settings, target: Path, note: bool = True) -> BackupResult:
    tool = shutil.which("pg_dump")
    if tool is None:
        raise BackupError(
            "pg_dump is not installed: install postgresql-client, or back up the server with the "
            "README's pg_dump / WAL-archiving recipe"
        )
    head = ledger.head()  # the dump's snapshot holds at least this head
    url = ledger.engine.url.set(drivername="postgresql")
    tmp = target.with_name(f".{target.name}.partial")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    conninfo = url.set(password=None).render_as_string(hide_password=False)
    # A ledger in its own schema (`options=-csearch_path=NAME`): dump that schema only.
    options = str(url.query.get("options", ""))
    schema = (
        options.split("search_path=", 1)[1].split(",")[0].split(" ")[0] if "search_path=" in options else ""
    )
    only = ["--schema", schema] if schema else []
    result = subprocess.run(  # noqa: S603 (pg_dump from PATH, our own URL; no shell)
        [tool, "--format=custom", *only, "--file", str(tmp), conninfo],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        first = (result.stderr.strip().splitlines() or ["failed"])[0]
        raise BackupError(f"pg_dump: {first}")
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)
    fsync_dir(target.parent)
    anchor = _record(ledger, settings, Anchor(*head), f"backup {target.name}", note)
    return BackupResult(target, anchor)


# -- the daily close -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CloseOfDay:
    """What the daily close proved: the full verify, the backup it made, the anchor of the day's head."""

    verified_events: int
    backup: BackupResult
    anchor: Anchor


def verify_against_log(ledger: Ledger, settings: Settings) -> tuple[VerifyReport, list[Anchor]]:
    """A full `verify` against every anchor of this ledger in the anchor log (and those anchors)."""
    from kiosk.config import data_paths
    from kiosk.ledger.anchors import effective_anchors
    from kiosk.ledger.meta import ledger_id
    from kiosk.ledger.verify import verify

    me = ledger_id(ledger)
    logged = [
        a for a in AnchorLog(data_paths(settings).anchor_log, ledger.pepper).read() if a.ledger_id == me
    ]
    return verify(ledger, effective_anchors(logged)), logged


def anchor_verified(ledger: Ledger, settings: Settings, reason: str) -> Anchor:
    """`kiosk anchor`: the head goes into the log (and on paper) only when the whole ledger verifies.

    The head anchored is the one the verify ended at, so an event appended meanwhile by another kiosk
    is not vouched for unchecked. Raises BackupError naming the first problem.
    """
    from kiosk.config import data_paths
    from kiosk.ledger.anchors import note_kept, record_head

    # This kiosk's first anchor puts `anchors_kept` on the chain first: the head verified and anchored
    # then holds it.
    note_kept(ledger, settings, AnchorLog(data_paths(settings).anchor_log, ledger.pepper))
    report, _ = verify_against_log(ledger, settings)
    if not report.ok:
        raise BackupError(
            f"not anchored: the ledger does not verify (seq {report.first_bad_seq}): {report.problem}"
        )
    return record_head(ledger, settings, report.head_seq, report.head_hash, reason)


def close_of_day(ledger: Ledger, settings: Settings, day_head: tuple[int, str]) -> CloseOfDay:
    """The daily close's integrity steps (for the core's daily close): a full `verify` against every
    anchor in the log, a backup (anchored), and the day's printed head appended to the anchor log.
    Raises BackupError naming the first problem when the ledger does not verify."""
    from kiosk.ledger.anchors import record_head

    # (This kiosk's first anchor: the backup below puts `anchors_kept` on the chain before its copy.)
    report, logged = verify_against_log(ledger, settings)
    # The result goes on the chain either way: the supervisor's view shows the last check.
    with ledger.unit() as u:
        u.append(
            EventKind.LEDGER_VERIFIED,
            device=ledger.kiosk,
            payload={"ok": report.ok, "events": report.events, "anchors": len(logged)},
        )
    if not report.ok:
        raise BackupError(f"the ledger does not verify (seq {report.first_bad_seq}): {report.problem}")
    made = backup(ledger, settings)
    anchor = record_head(ledger, settings, day_head[0], day_head[1], "daily close")
    return CloseOfDay(report.events, made, anchor)


# -- restore -------------------------------------------------------------------------------------


def last_anchor(settings: Settings, pepper: bytes) -> Anchor | None:
    from kiosk.config import data_paths

    anchors = AnchorLog(data_paths(settings).anchor_log, pepper).read()
    return anchors[-1] if anchors else None


def shown(path: object) -> str:
    """A path in a message or on the chain: runs of 12+ digits masked (`kiosk.domain.text.shown_path`)."""
    from kiosk.domain.text import shown_path

    return shown_path(path)


def _shown_name(path: Path) -> str:
    """The copy's file name for the chain, with any run of 12 digits masked (the My Number guard)."""
    return shown(path.name)


@dataclass(frozen=True, slots=True)
class RestorePlan:
    """What a restore would do: the copy's head, and the newest head known outside it.

    `replaced`: the newest of the last anchor, the checkpoint and the head of the ledger being replaced
    (its `reason` says which); `behind` is True when the restore would drop any event of it, and then a
    responsible officer and a supervisor must confirm, authenticated on the ledger being replaced.
    """

    source: Path
    head_seq: int
    head_hash: str
    ledger_id: str
    anchor: Anchor | None
    replaced: Anchor | None = None
    diverged: bool = False  # the ledger being replaced does not hold the copy's head
    # PostgreSQL: copies of the other kiosk PCs' anchors folders, and the PCs whose folder is lost
    # (kiosk.ledger.kiosk_folders).
    others: tuple[KioskFolder, ...] = ()
    lost: tuple[str, ...] = ()

    @property
    def behind(self) -> bool:
        return self.diverged or (self.replaced is not None and self.replaced.seq > self.head_seq)

    @property
    def behind_anchor(self) -> bool:
        return self.anchor is not None and self.head_seq < self.anchor.seq


def _open_current(settings: Settings, pepper: bytes, copy_id: str) -> Ledger | None:
    """The SQLite ledger a restore would replace, opened for reading and for the people's sign-in (no
    migration, no start-up check: it may be damaged); None when it is missing, cannot be read, or is
    not the copy's ledger (its staff are not this ledger's people)."""
    from sqlalchemy.exc import SQLAlchemyError

    from kiosk.config import sqlite_file
    from kiosk.ledger.meta import ledger_id

    database = sqlite_file(settings.ledger.url)
    if database is None or not database.is_file() or database.stat().st_size == 0:
        return None
    ledger = open_copy(database, pepper, settings.kiosk.name)
    try:
        ledger.head()
        same = ledger_id(ledger) == copy_id
    except (SQLAlchemyError, OSError, IntegrityRefused):
        same = False
    if not same:
        ledger.engine.dispose()
        return None
    return ledger


def _replaced_mark(
    settings: Settings, pepper: bytes, copy_seq: int, copy_hash: str, current: Ledger | None
) -> tuple[Anchor | None, bool]:
    """The newest head known outside the copy (last anchor, checkpoint, current ledger's head), and
    whether the current ledger does not hold the copy's head."""
    from kiosk.config import data_paths
    from kiosk.ledger.anchors import read_committed
    from kiosk.ledger.verify import stored_hashes

    marks: list[Anchor] = []
    anchor = last_anchor(settings, pepper)
    if anchor is not None:
        marks.append(replace(anchor, reason="the last anchor"))
    checkpoint = read_committed(data_paths(settings).checkpoint, pepper)
    if checkpoint is not None:
        marks.append(replace(checkpoint, reason="the checkpoint"))
    diverged = False
    if current is not None:
        seq, digest = current.head()
        marks.append(Anchor(seq, digest, reason="the ledger being replaced"))
        if 0 < copy_seq <= seq:
            diverged = stored_hashes(current, [copy_seq]).get(copy_seq) != copy_hash
    newest = max(marks, key=lambda m: m.seq) if marks else None
    return newest, diverged


def plan_restore(settings: Settings, source: Path, pepper: bytes) -> RestorePlan:
    """Check a copy before restoring it. Raises BackupError."""
    from kiosk.ledger.verify import stored_hashes

    if not source.is_file():
        raise BackupError(f"{shown(source)} is not a file")
    from kiosk.config import data_paths
    from kiosk.ledger.anchors import read_checkpoint

    seq, digest, copy_id = check_copy(source, pepper)
    anchor = last_anchor(settings, pepper)
    checkpoint = read_checkpoint(data_paths(settings).checkpoint, pepper)
    for mark, what in ((anchor, "the anchor log holds the heads of"), (checkpoint, "the checkpoint is of")):
        if mark is not None and mark.ledger_id != copy_id:
            raise BackupError(f"{shown(source)} is ledger {copy_id}, but {what} ledger {mark.ledger_id}")
    if anchor is not None and anchor.seq <= seq:
        copy = open_copy(source, pepper)
        try:
            held = stored_hashes(copy, [anchor.seq]).get(anchor.seq) if anchor.seq else anchor.hash
        finally:
            copy.engine.dispose()
        if held != anchor.hash:
            raise BackupError(f"{shown(source)} does not hold the last anchor {anchor.cite()}")
    current = _open_current(settings, pepper, copy_id)
    try:
        replaced, diverged = _replaced_mark(settings, pepper, seq, digest, current)
    finally:
        if current is not None:
            current.engine.dispose()
    return RestorePlan(source, seq, digest, copy_id, anchor, replaced, diverged)


def plan_in_place(
    ledger: Ledger,
    settings: Settings,
    folders: Sequence[tuple[str, Path]] = (),
    lost: Sequence[str] = (),
) -> RestorePlan:
    """PostgreSQL: the database the owner restored with pg_restore (README), checked as `plan_restore`
    checks a copy: it verifies in full, it is this ledger, and it holds the last anchor if it reaches it.
    What it dropped is judged against the checkpoint and the last anchor, and the newest heads of the
    other kiosk PCs whose anchors folders are given (`folders`: (kiosk name, copy of its folder)).
    `lost`: PCs whose folder is lost (named on the restore's event). Raises BackupError."""
    from kiosk.config import data_paths
    from kiosk.ledger.anchors import read_checkpoint
    from kiosk.ledger.kiosk_folders import FolderError, read_folder
    from kiosk.ledger.meta import ledger_id
    from kiosk.ledger.verify import stored_hashes, verify

    if ledger.engine.dialect.name != "postgresql":
        raise BackupError(
            "--in-place is for a PostgreSQL ledger restored with pg_restore: give the backup file"
        )
    report = verify(ledger)
    if not report.ok:
        raise BackupError(
            f"the restored database does not verify: seq {report.first_bad_seq}: {report.problem}"
        )
    me = ledger_id(ledger)
    anchor = last_anchor(settings, ledger.pepper)
    checkpoint = read_checkpoint(data_paths(settings).checkpoint, ledger.pepper)
    for mark, what in ((anchor, "the anchor log holds the heads of"), (checkpoint, "the checkpoint is of")):
        if mark is not None and mark.ledger_id != me:
            raise BackupError(f"the restored database is ledger {me}, but {what} ledger {mark.ledger_id}")
    if anchor is not None and 0 < anchor.seq <= report.head_seq:
        stored = stored_hashes(ledger, [anchor.seq]).get(anchor.seq)
        if stored != anchor.hash:
            raise BackupError(f"the restored database does not hold the last anchor {anchor.cite()}")
    names = [name for name, _ in folders]
    for name in {*names, *lost}:
        if name == settings.kiosk.name:
            raise BackupError(
                f"{name} is this kiosk: its own anchors folder is read from {data_paths(settings).anchors}"
            )
        if names.count(name) > 1 or (name in names and name in lost):
            raise BackupError(f"{name} is named more than once (--kiosk-folder, --kiosk-lost)")
    try:
        others = tuple(read_folder(n, Path(f), pepper=ledger.pepper, ledger_id=me) for n, f in folders)
    except FolderError as exc:
        raise BackupError(f"restore refused: {exc}. Nothing was changed") from None
    replaced, _ = _replaced_mark(settings, ledger.pepper, report.head_seq, report.head_hash, None)
    marks = [replaced] if replaced is not None else []
    for other in others:
        for mark, what in ((other.committed, "head"), (other.last_anchor, "last anchor")):
            if mark is not None:
                marks.append(replace(mark, reason=f"{other.kiosk}'s {what}"))
    # A committed head the restored chain reaches but does not hold: the chain went elsewhere from
    # there (an earlier try's carried events and sign-ins grew it past the replaced head). Still behind.
    reached = [m for m in marks if 0 < m.seq <= report.head_seq]
    held = stored_hashes(ledger, [m.seq for m in reached])
    diverged = any(held.get(m.seq) != m.hash for m in reached)
    newest = max(marks, key=lambda m: m.seq) if marks else None
    return RestorePlan(
        Path("the restored database"),
        report.head_seq,
        report.head_hash,
        me,
        anchor,
        newest,
        diverged,
        others,
        tuple(lost),
    )


def _exclusive(settings: Settings, ledger: Ledger | None = None) -> Hold:
    """The ledger lock, exclusively: on PostgreSQL also the advisory lock every PC's kiosk holds."""
    from kiosk.ledger.watch import LedgerBusy, take

    try:
        return take(settings, exclusive=True, engine=ledger.engine if ledger is not None else None)
    except LedgerBusy as exc:
        raise BackupError(f"restore refused: {exc}") from None


def restore_in_place(
    ledger: Ledger,
    settings: Settings,
    plan: RestorePlan,
    *,
    confirm: Callable[[Ledger], tuple[StaffMember, StaffMember]] | None = None,
) -> Anchor:
    """Record a PostgreSQL restore on its chain (`ledger_restored`), its anchor and the checkpoint, so the
    kiosk starts again. When it dropped events (behind the checkpoint or the last anchor) an officer and
    a supervisor must confirm. pg_restore overwrote the ledger they would be checked on, so first the
    staff events this kiosk journalled after the dump are carried onto the restored chain
    (`carry_journal`; refused when the journal cannot be trusted), and the two are authenticated on the
    result: the current staff, not the dump's. The journal of the replaced chain is then kept aside and
    a new one starts with the restored chain."""
    from kiosk.config import data_paths
    from kiosk.ledger.staff_journal import journal_file, set_aside

    hold = _exclusive(settings, ledger)
    watch = ledger.watch
    try:
        if plan.behind and confirm is None:
            raise BackupError(needs_two(plan))
        if plan.behind:
            _every_journal(ledger, settings, plan)
        if watch is not None:
            watch.paused = True  # the head file and the journal keep the replaced chain's until recorded
        carried = carry_journal(ledger, settings, plan) if plan.behind else 0
        people = confirm(ledger) if confirm is not None else None
        with ledger.unit() as u:
            _record_restore(
                u,
                settings,
                plan,
                people,
                "pg_restore",
                confirmed_on="copy" if carried is None else "current ledger",
                carried=carried or 0,
            )
        head = ledger.head()
        paths = data_paths(settings)
        anchor = Anchor(head[0], head[1], now_text(), f"{RESTORE} {plan.head_seq}", plan.ledger_id)
        anchor = AnchorLog(paths.anchor_log, ledger.pepper).append(anchor)
        set_aside(journal_file(paths.checkpoint), file_stamp())
        write_checkpoint(paths.checkpoint, ledger.pepper, anchor, journal=0)
        if watch is not None:
            watch.known_seq = head[0]
            watch.journal_count = 0
        return anchor
    finally:
        if watch is not None:
            watch.paused = False
        hold.release()


def _every_journal(ledger: Ledger, settings: Settings, plan: RestorePlan) -> None:
    """A restore that drops events reads the staff journal of every kiosk PC the chain names
    (`journal_kept`), or is told the PC's folder is lost; else the staff changes made at that PC after
    the dump (a deactivated supervisor) would be lost and could approve this very restore. A PC whose
    first staff event came after the dump is not on the restored chain, but the journals (this PC's,
    and each folder given) name the PCs the chain named at their last staff unit."""
    from kiosk.config import data_paths
    from kiosk.ledger.anchors import head_file, read_head_journal
    from kiosk.ledger.kiosk_folders import journal_kiosks
    from kiosk.ledger.staff_journal import JournalError, journal_file, read

    named = journal_kiosks(ledger)
    checkpoint = data_paths(settings).checkpoint
    try:
        written = read_head_journal(head_file(checkpoint), ledger.pepper)
        own = read(journal_file(checkpoint), ledger.pepper, plan.ledger_id, written=written)
    except (JournalError, OSError, ValueError, KeyError, TypeError):
        own = []  # a journal that cannot be trusted refuses the restore in carry_journal, with why
    for entry in [*own, *(e for other in plan.others for e in other.entries)]:
        named.update(entry.kiosks)
    given = {o.kiosk for o in plan.others} | set(plan.lost) | {settings.kiosk.name}
    missing = sorted(named - given)
    if missing:
        raise BackupError(
            f"restore refused: the restore would drop events, and the chain says {', '.join(missing)} "
            "keep(s) a staff journal of this ledger on another PC: the staff changes made there since the "
            "dump must be carried before anyone confirms. Nothing was changed. Stop every kiosk, copy "
            "each such PC's anchors folder (README: Integrity) and give it as --kiosk-folder NAME=DIR; "
            "if a PC's anchors folder is lost, name it with --kiosk-lost NAME (recorded on the chain)"
        )


def needs_two(plan: RestorePlan) -> str:
    mark = plan.replaced
    if mark is not None and mark.seq > plan.head_seq:
        what = (
            f"behind {mark.reason} at seq {mark.seq} (hash {mark.hash[:8]}…): the restore would drop "
            f"seq {plan.head_seq + 1} to {mark.seq}"
        )
    else:
        what = "which the ledger being replaced does not hold: the two diverged"
    return (
        f"{shown(plan.source)} ends at seq {plan.head_seq}, {what}. A responsible officer and a "
        "supervisor must confirm, signed in on the current ledger (--operator BADGE --supervisor BADGE, "
        "PINs on stdin)"
    )


def _record_restore(
    u: Unit,
    settings: Settings,
    plan: RestorePlan,
    people: tuple[StaffMember, StaffMember] | None,
    source: str,
    *,
    confirmed_on: str,
    carried: int,
    replaced: Anchor | None = None,
) -> None:
    from kiosk.domain.events import LedgerRestored
    from kiosk.ledger.meta import EV_RESTORED

    mark = replaced if replaced is not None else plan.replaced
    dropped = mark is not None and (mark.seq > plan.head_seq or plan.diverged)
    u.append(
        EV_RESTORED,
        actor_id=people[0].id if people else None,
        witness_id=people[1].id if people else None,
        device=settings.kiosk.name,
        payload=LedgerRestored(
            restored_head_seq=plan.head_seq,
            restored_head_hash=plan.head_hash,
            source=source,
            behind_anchor_seq=plan.anchor.seq if plan.behind_anchor and plan.anchor else None,
            behind_anchor_hash=plan.anchor.hash if plan.behind_anchor and plan.anchor else None,
            dropped_first_seq=plan.head_seq + 1 if dropped else None,
            dropped_last_seq=mark.seq if dropped and mark is not None else None,
            replaced_head_seq=mark.seq if mark is not None else None,
            replaced_head_hash=mark.hash if mark is not None else None,
            carried_staff_events=carried,
            confirmed_on=confirmed_on if people else None,
            kiosks_read=tuple(other.cite() for other in plan.others),
            kiosks_lost=plan.lost,
        ),
    )


_LOCK_KINDS = frozenset(
    {
        EventKind.STAFF_LOCKED,
        EventKind.STAFF_UNLOCKED,
        EventKind.STAFF_PIN_RESET,
        EventKind.STAFF_LOCK_EXPIRED,
    }
)


def is_staff_kind(kind: str) -> bool:
    """Events the staff table folds: staff changes, lockouts, and the sign-ins that count tries."""
    from kiosk.ledger.staff_journal import is_staff_kind as staff_kind

    return staff_kind(kind)


def carry_staff(current: Ledger, staged: Ledger, after: int) -> int:
    """Put the staff events the current ledger recorded after seq `after` on the staged copy's chain (in
    order, each `source` "carried from seq N"), and its staff rows of those members as they are now
    (PIN hash and its MAC, role, active, lock state), so that a deactivation, a PIN reset, a role
    change or a lockout made after the copy is not undone by the restore. The staged chain's fold of
    those events gives the same rows (checked by verify). Raises BackupError when the two ledgers
    disagree about a member (they diverged)."""
    from sqlalchemy import Table, select

    from kiosk.ledger import models
    from kiosk.ledger.service import to_record

    with current.read() as s:
        rows = s.scalars(select(models.Event).where(models.Event.seq > after).order_by(models.Event.seq))
        events = [to_record(r) for r in rows if is_staff_kind(r.kind)]
    if not events:
        return 0
    members, _ = _members(events)
    table = cast(Table, models.Staff.__table__)
    with current.engine.connect() as conn:
        live = {
            int(r["id"]): dict(r)
            for r in conn.execute(select(table).where(table.c.id.in_(sorted(members)))).mappings()
        }
    return _carry(staged, events, live)


class _Carried(Protocol):
    """A staff event to carry: from the ledger being replaced, or from the staff journal."""

    @property
    def seq(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def witness_id(self) -> int | None: ...
    @property
    def device(self) -> str | None: ...


def _members(events: Sequence[_Carried]) -> tuple[set[int], set[int]]:
    """The members `events` touch, and those of them they add."""
    members: set[int] = set()
    added: set[int] = set()
    for ev in events:
        target = ev.data.get("staff") if not ev.kind.startswith(("auth_", "signed_")) else ev.actor_id
        if isinstance(target, int):
            members.add(target)
            if ev.kind == EventKind.STAFF_ADDED:
                added.add(target)
    return members, added


def _carry(staged: Ledger, events: Sequence[_Carried], live: dict[int, dict[str, Any]]) -> int:
    """Append `events` to `staged`'s chain (`source` "carried from seq N") and set the rows of their
    members to `live` (as they were where the events came from). Raises BackupError when the two
    disagree about a member (added on one side only): they diverged."""
    from sqlalchemy import Table, inspect, select

    from kiosk.ledger import models

    members, added = _members(events)
    table = cast(Table, models.Staff.__table__)
    with staged.unit() as u:
        names = {c["name"] for c in inspect(u.conn).get_columns("staff")}
        have = set(u.conn.scalars(select(table.c.id).where(table.c.id.in_(sorted(members)))))
        for sid in sorted(members):
            if (sid in added) == (sid in have) or sid not in live:
                raise BackupError(
                    f"the copy and the current ledger disagree about staff member {sid}: they diverged; "
                    "restore refused (restore a newer backup, or investigate with `kiosk verify`)"
                )
        for ev in events:
            u.append(
                ev.kind,
                payload=ev.data,
                actor_id=ev.actor_id,
                witness_id=ev.witness_id,
                device=ev.device,
                source=f"carried from seq {ev.seq}",
            )
        locked_now = {
            sid
            for sid in members
            if [ev.kind for ev in events if ev.kind in _LOCK_KINDS and ev.data.get("staff") == sid][-1:]
            == [EventKind.STAFF_LOCKED]
        }
        for sid in sorted(members):
            values = {k: v for k, v in live[sid].items() if k in names}
            if sid in locked_now and "locked_at" in values:
                # The fold dates a lock by its event, and the carried event is dated now: the lock
                # runs from the restore (never shorter than it was). The row's MAC covers the lock, so
                # a sealed row is sealed again (same pepper: the copy is of this very ledger).
                values["locked_at"] = u.at
                if values.get("row_mac") is not None:
                    from kiosk.domain.staff import values_mac

                    values["row_mac"] = values_mac(staged.pepper, values)
            if sid in have:
                u.conn.execute(table.update().where(table.c.id == sid).values(**values))
            else:
                u.conn.execute(table.insert().values(**values))
    return len(events)


def carry_journal(ledger: Ledger, settings: Settings, plan: RestorePlan) -> int | None:
    """PostgreSQL after `pg_restore`: carry onto the restored chain every staff event of this kiosk's
    staff journal that the chain lacks (newer than its head), with the staff rows as the journal last
    saw them, so the restore keeps the deactivations, PIN resets, role changes and lockouts made after
    the dump. Run again after a refused confirmation, it carries nothing twice (an event carried since
    the last restore names its seq in `source`). Returns how many are carried (by this try or an
    earlier one), or None when there is
    no journal and none was ever written (nothing to carry). Raises BackupError when the journal is
    missing, cut short, of another ledger or not genuine, or disagrees with the restored chain."""
    from sqlalchemy import select

    from kiosk.config import data_paths
    from kiosk.ledger import models
    from kiosk.ledger.anchors import head_file, read_head_journal
    from kiosk.ledger.staff_journal import JournalError, journal_file, read
    from kiosk.ledger.verify import stored_hashes

    paths = data_paths(settings)
    path = journal_file(paths.checkpoint)
    written = read_head_journal(head_file(paths.checkpoint), ledger.pepper)
    mark = plan.replaced
    dropped = f"seq {plan.head_seq + 1} to {mark.seq}" if mark is not None else "events"
    try:
        entries = read(path, ledger.pepper, plan.ledger_id, written=written)
    except (JournalError, OSError, ValueError, KeyError, TypeError) as exc:
        reason = exc if isinstance(exc, JournalError) else f"the staff journal cannot be read ({exc})"
        raise BackupError(
            f"restore refused: the restore would drop {dropped}, and {reason}: the staff changes made "
            "since the dump (deactivations, PIN resets, role changes, lockouts) cannot be carried. Nothing "
            f"was changed. Put back the anchors folder ({shown(path.parent)}) from its copy on the backup "
            "volume (README: Integrity), then run the restore again"
        ) from None
    if not entries and not path.exists() and not plan.others:
        return None
    # The other PCs' journals (read and checked by the plan): every entry in the order it was committed.
    entries = sorted(
        [*entries, *(e for other in plan.others for e in other.entries)],
        key=lambda entry: max((e.seq for e in entry.events), default=0),
    )
    ev = models.Event
    with ledger.read() as s:
        last_restore = s.scalar(
            select(ev.seq).where(ev.kind == EventKind.LEDGER_RESTORED).order_by(ev.seq.desc()).limit(1)
        )
        done = {
            int(source.rsplit(" ", 1)[1])
            for source in s.scalars(
                select(ev.source).where(ev.seq > (last_restore or 0), ev.source.like("carried from seq %"))
            )
            if source is not None and source.rsplit(" ", 1)[1].isdigit()
        }
    events = [e for entry in entries for e in entry.events]
    held = stored_hashes(ledger, [e.seq for e in events if e.seq <= plan.head_seq])
    todo = []
    for e in events:
        if e.seq in done or (e.seq <= plan.head_seq and held.get(e.seq) == e.hash):
            continue
        if e.seq <= plan.head_seq:
            raise BackupError(
                f"restore refused: the staff journal's event seq {e.seq} ({e.kind}) is not on the restored "
                "chain: the dump and this kiosk's ledger diverged. Nothing was changed; restore a newer "
                "dump, or investigate with `kiosk verify`"
            )
        todo.append(e)
    # Carried by an earlier try whose confirmation was refused: they count for the restore all the same.
    earlier = sum(1 for e in events if e.seq in done)
    if not todo:
        return earlier
    members, _ = _members(todo)
    live: dict[int, dict[str, Any]] = {}
    for entry in entries:
        live.update({sid: row for sid, row in entry.rows.items() if sid in members})
    return earlier + _carry(ledger, todo, live)


def restore(
    settings: Settings,
    plan: RestorePlan,
    pepper: bytes,
    *,
    confirm: Callable[[Ledger], tuple[StaffMember, StaffMember]] | None = None,
) -> tuple[Path | None, Anchor]:
    """Put the copy in place of the configured SQLite ledger and record the restore on its chain.

    Holds the ledger lock exclusively (refused while a kiosk runs). When the restore drops any event
    (of the current ledger, or behind the checkpoint or the last anchor), `confirm` authenticates the
    officer and the supervisor on the current ledger (on the copy only when the current ledger is
    missing or unreadable), and the staff events the copy lacks are carried over. Returns (where the
    replaced file was kept, the new anchor).
    """
    from kiosk.config import data_paths, sqlite_file

    database = sqlite_file(settings.ledger.url)
    if database is None:
        raise BackupError(
            "restore of a PostgreSQL ledger: pg_restore as the owner role (README), then "
            "kiosk restore --in-place"
        )
    hold = _exclusive(settings)
    current = None
    try:
        current = _open_current(settings, pepper, plan.ledger_id)
        try:
            replaced, diverged = _replaced_mark(settings, pepper, plan.head_seq, plan.head_hash, current)
        except (IntegrityRefused, AnchorError) as exc:
            # The anchors folder was damaged since the plan: nothing is replaced (put it back first).
            raise BackupError(f"restore refused: {exc}") from None
        plan = replace(plan, replaced=replaced, diverged=diverged)  # as it is now, under the lock
        if plan.behind and confirm is None:
            raise BackupError(needs_two(plan))
        folder = database.parent
        make_private_dir(folder)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{database.name}.", suffix=".restoring", dir=folder)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            os.chmod(tmp, 0o600)
            _sqlite_copy(plan.source, tmp)
            staged = open_copy(tmp, pepper, settings.kiosk.name)
            try:
                people = None
                if confirm is not None:
                    people = confirm(current if current is not None else staged)
                carried = 0
                if current is not None:
                    # The people's sign-ins just now moved the current head: the range as it is now.
                    seq, digest = current.head()
                    if replaced is None or seq >= replaced.seq:
                        replaced = Anchor(seq, digest, reason="the ledger being replaced")
                    if seq > plan.head_seq or plan.diverged:
                        carried = carry_staff(current, staged, plan.head_seq)
                with staged.unit() as u:
                    _record_restore(
                        u,
                        settings,
                        plan,
                        people,
                        _shown_name(plan.source),
                        confirmed_on="current ledger" if current is not None else "copy",
                        carried=carried,
                        replaced=replaced,
                    )
                head = staged.head()
            finally:
                staged.engine.dispose()
            if current is not None:
                current.engine.dispose()
            _fsync(tmp)
            kept: Path | None = None
            if database.exists():
                kept = database.with_name(f"{database.name}.replaced-{file_stamp()}")
                os.replace(database, kept)
                for suffix in ("-wal", "-shm"):
                    side = Path(f"{database}{suffix}")
                    if side.exists():
                        os.replace(side, Path(f"{kept}{suffix}"))
            os.replace(tmp, database)
            fsync_dir(folder)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        paths = data_paths(settings)
        anchor = Anchor(head[0], head[1], now_text(), f"{RESTORE} {plan.head_seq}", plan.ledger_id)
        anchor = AnchorLog(paths.anchor_log, pepper).append(anchor)
        # The staff journal follows one chain: the replaced chain's is kept aside, the restored starts anew.
        from kiosk.ledger.staff_journal import journal_file, set_aside

        set_aside(journal_file(paths.checkpoint), file_stamp())
        write_checkpoint(paths.checkpoint, pepper, anchor, journal=0)
        return kept, anchor
    finally:
        if current is not None:
            current.engine.dispose()
        hold.release()


__all__ = [
    "BackupError",
    "BackupResult",
    "backup",
    "plan_in_place",
    "plan_restore",
    "prune",
    "record_anchor",
    "restore",
    "restore_in_place",
]
