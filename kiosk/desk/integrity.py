"""The ledger's integrity, orchestrated for `kiosk verify`, `anchor`, `backup`, `restore` and the daily close.

The CLI parses its options and prints; what is checked against what, and what is written afterwards
(the checkpoint, the anchor log, the backup), is decided here. Errors keep their one-line messages:
`AnchorError` (an anchor given or logged is unreadable), `BackupError` (a backup or restore that could
not be made), `IntegrityRefused` (the start-up check). The database's own failures during an anchor,
a backup or the daily close are `StorageError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.domain.staff import AuthError, Role, StaffMember
from kiosk.ledger.anchors import Anchor, AnchorError, IntegrityRefused
from kiosk.ledger.backup import BackupError, BackupResult, CloseOfDay, RestorePlan
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import VerifyReport

if TYPE_CHECKING:
    from kiosk.config import Settings

__all__ = [
    "Anchor",
    "AnchorError",
    "BackupError",
    "BackupResult",
    "CloseOfDay",
    "Confirm",
    "IntegrityRefused",
    "RestorePlan",
    "VerifyMarks",
    "VerifyReport",
    "anchor",
    "backup",
    "checkpoint",
    "close_of_day",
    "needs_two",
    "plan_in_place",
    "plan_restore",
    "restore",
    "restore_confirmation",
    "restore_in_place",
    "verify",
    "verify_marks",
]


@contextmanager
def _database_errors() -> Iterator[None]:
    """The database's own failures as `StorageError`; a file that cannot be written (a backup's
    destination, the anchor log) keeps its OSError, which is not the ledger's."""
    from sqlalchemy.exc import SQLAlchemyError

    from kiosk.desk.errors import storage_errors

    try:
        yield
    except SQLAlchemyError:
        with storage_errors():  # classified and logged as every other storage failure
            raise


# Who confirms a restore that drops events: authenticates the two people on the ledger it is given (the
# current ledger; the copy only when the current one cannot be read).
Confirm = Callable[[Ledger], tuple[StaffMember, StaffMember]]


@dataclass(frozen=True, slots=True)
class VerifyMarks:
    """What `kiosk verify` checks the chain against: the anchors given, and all of them with the log's."""

    ledger_id: str
    given: tuple[Anchor, ...]
    marks: tuple[Anchor, ...]


def verify_marks(
    ledger: Ledger, settings: Settings, texts: Sequence[str], anchor_file: Path | None
) -> VerifyMarks:
    """The anchors given (SEQ:HASH texts and a file), this ledger's anchors in the log, its checkpoint.

    Raises `AnchorError` for an anchor that cannot be read.
    """
    from kiosk.config import data_paths
    from kiosk.ledger.anchors import (
        AnchorLog,
        effective_anchors,
        parse_anchor,
        read_anchor_file,
        read_checkpoint,
        read_committed,
    )
    from kiosk.ledger.meta import ledger_id

    paths = data_paths(settings)
    given = [parse_anchor(t) for t in texts]
    if anchor_file is not None:
        given += read_anchor_file(anchor_file, ledger.pepper)
    me = ledger_id(ledger)
    logged = [a for a in AnchorLog(paths.anchor_log, ledger.pepper).read() if a.ledger_id == me]
    checkpoint = read_checkpoint(paths.checkpoint, ledger.pepper)
    marks = [*given, *effective_anchors(logged)]
    if checkpoint is not None and checkpoint.ledger_id == me:
        marks.append(checkpoint)
        committed = read_committed(paths.checkpoint, ledger.pepper)
        if committed is not None and committed.seq > checkpoint.seq:
            marks.append(committed)  # the newest head a kiosk committed (no window: issue 22)
    return VerifyMarks(me, tuple(given), tuple(marks))


def verify(ledger: Ledger, marks: VerifyMarks) -> VerifyReport:
    """Recompute the chain and every table, check every mark (then `checkpoint` a verified head)."""
    from kiosk.ledger.verify import verify as run_verify

    return run_verify(ledger, marks.marks)


def checkpoint(ledger: Ledger, settings: Settings, marks: VerifyMarks, report: VerifyReport) -> None:
    """Remember a verified head (the start-up check walks only what came after it)."""
    from kiosk.config import data_paths
    from kiosk.ledger.anchors import now_text, write_checkpoint

    mark = Anchor(report.head_seq, report.head_hash, now_text(), "", marks.ledger_id)
    write_checkpoint(data_paths(settings).checkpoint, ledger.pepper, mark)


def anchor(ledger: Ledger, settings: Settings) -> Anchor:
    """Verify the whole ledger, then append its head to the anchor log. Raises `BackupError`."""
    from kiosk.ledger.backup import anchor_verified

    with _database_errors():
        return anchor_verified(ledger, settings, "kiosk anchor")


def backup(ledger: Ledger, settings: Settings, dest: Path | None) -> BackupResult:
    """Back up the ledger (verified on SQLite) and anchor its head. Raises `BackupError`."""
    from kiosk.ledger.backup import backup as run_backup

    with _database_errors():
        return run_backup(ledger, settings, dest)


def close_of_day(ledger: Ledger, settings: Settings, day_head: tuple[int, str]) -> CloseOfDay:
    """The daily close's integrity steps: verify against every anchor, back up, anchor the day's head."""
    from kiosk.ledger.backup import close_of_day as run_close

    with _database_errors():
        return run_close(ledger, settings, day_head)


def plan_in_place(
    ledger: Ledger,
    settings: Settings,
    folders: Sequence[tuple[str, Path]] = (),
    lost: Sequence[str] = (),
) -> RestorePlan:
    """PostgreSQL: check the database the owner restored with pg_restore, against this PC's anchors
    folder and copies of the other kiosk PCs' (`folders`: name, folder). Raises `BackupError`."""
    from kiosk.ledger.backup import plan_in_place as plan

    return plan(ledger, settings, folders, lost)


def plan_restore(settings: Settings, source: Path) -> RestorePlan:
    """Check a copy before restoring it (with this kiosk's pepper). Raises `BackupError`, `AnchorError`,
    `IntegrityRefused` (no pepper)."""
    from kiosk.config import data_paths
    from kiosk.ledger.backup import plan_restore as plan
    from kiosk.ledger.service import load_pepper

    return plan(settings, source, load_pepper(data_paths(settings).pepper))


def needs_two(plan: RestorePlan) -> str:
    """Why a restore needs an officer and a supervisor (what it would drop), for the refusal."""
    from kiosk.ledger.backup import needs_two as why

    return why(plan)


def restore_in_place(
    ledger: Ledger, settings: Settings, plan: RestorePlan, *, confirm: Confirm | None
) -> Anchor:
    """Record a PostgreSQL restore on its chain, its anchor and the checkpoint. Raises `BackupError`."""
    from kiosk.ledger.backup import restore_in_place as record

    return record(ledger, settings, plan, confirm=confirm)


def restore(settings: Settings, plan: RestorePlan, *, confirm: Confirm | None) -> tuple[Path | None, Anchor]:
    """Put a checked copy in place of the ledger: (the replaced ledger's new name, the restore's anchor)."""
    from kiosk.config import data_paths
    from kiosk.ledger.backup import restore as put_back
    from kiosk.ledger.service import load_pepper

    return put_back(settings, plan, load_pepper(data_paths(settings).pepper), confirm=confirm)


def restore_confirmation(officer_badge: str, supervisor_badge: str, pins: Sequence[str]) -> Confirm:
    """A restore that drops events: a responsible officer and a supervisor, two different people,
    authenticated (badge + PIN) on the CURRENT ledger — the one being replaced — and checked by the
    authorisation table there (`Act.RESTORE`: active, not locked out, the right roles, two employees).
    Only when the current ledger is missing or unreadable are they authenticated on the copy (the
    restore event says where). Raises `BackupError` with the reason."""
    from kiosk.domain.authz import Act, NotAllowed, authorize
    from kiosk.ledger.service import utc_now

    def confirm(ledger: Ledger) -> tuple[StaffMember, StaffMember]:
        if len(pins) < 2:
            raise BackupError("give the two PINs on stdin, one line each (officer, then supervisor)")
        try:
            officer = ledger.authenticate(officer_badge, pins[0], device="restore")
            boss = ledger.authenticate(supervisor_badge, pins[1], device="restore")
        except AuthError as exc:
            raise BackupError(f"confirmation refused: {exc.reason}") from None
        if officer.role is not Role.OFFICER or boss.role is not Role.SUPERVISOR:
            raise BackupError("the confirmation needs a responsible officer and a supervisor")
        if officer.id == boss.id:
            raise BackupError("two different people confirm")
        try:
            authorize(Act.RESTORE, officer, boss, now=utc_now(), lockout_minutes=ledger.lockout_minutes)
        except NotAllowed as exc:
            raise BackupError(f"confirmation refused: {exc}") from None
        return officer, boss

    return confirm
