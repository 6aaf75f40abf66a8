"""Anchors: chain heads (seq + hash) kept outside the ledger database, and the start-up check.

An anchor is a head the chain must still hold: printed on the daily close, given to
`kiosk verify --anchor SEQ:HASH`, and appended to the anchor log (one line per anchor, each MACed with
the pepper, fsynced, 0600, with a MACed running number) by `kiosk anchor`, every backup, every
safe-session close and the daily close. Beside the log a checkpoint records the last head the start-up
check verified (so the next start verifies only what was appended since) and how many anchor lines
were written (a log emptied, truncated or shortened is refused); the head file beside it holds the
newest head a kiosk committed, moved after every unit (kiosk.ledger.watch), so a copy of the ledger
put back later is behind it.

The start-up check refuses a ledger that no longer holds the last anchor or the checkpoint (history
rewritten), or whose head is behind either (an older copy, a WAL that lost committed events, a wipe).
It then walks the chain's hashes from the newest of the two (both kept outside the database, MACed).
With neither (the first start of this kiosk on this ledger, e.g. after the upgrade that brought
anchors), nothing outside the database vouches for any head, so no start-up check could refuse a
rollback or a consistent rewrite; the walk then covers the newest FIRST_START_WALK events, and the
older ones are proven by the daily close's full `verify` (and `kiosk verify`), as with a checkpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.fs import fsync_dir, make_private_dir, write_private_file

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.ledger.service import Ledger

_HEX = frozenset("0123456789abcdef")
log = logging.getLogger(__name__)

# With no checkpoint and no anchor, the start-up check walks this many of the newest events (~0.3 s); a
# smaller ledger is walked whole, as before. The daily close verifies everything.
FIRST_START_WALK = 100_000

# What the supervisor is told to do when the start-up check refuses.
WHAT_TO_DO = (
    "Do not use the kiosk. Supervisor: keep the ledger file as it is for investigation, restore the "
    "newest backup with `kiosk restore` (README: Backups and restore), then run `kiosk verify`."
)


class AnchorError(Exception):
    """An anchor or the anchor log is malformed or not genuine (one-line message)."""


class IntegrityRefused(Exception):
    """The ledger may not be used: the message says why and what the supervisor does."""


class LedgerReplaced(Exception):
    """A running kiosk's ledger was replaced or rolled back under it (another file, an older head).

    Raised inside the unit of work, before its commit: nothing is written to a file that is no longer
    the ledger, and the kiosk stops writing (every later unit raises it too)."""


@dataclass(frozen=True, slots=True)
class Anchor:
    """A chain head: the chain must still hold `hash` at `seq`."""

    seq: int
    hash: str
    at: str = ""
    reason: str = ""
    ledger_id: str = ""
    # An anchor log line: its running number (1, 2, 3 … in the order written). The checkpoint: how many
    # lines the anchor log held when it was written (a shorter log was truncated or emptied).
    number: int = 0

    @property
    def text(self) -> str:
        return f"{self.seq}:{self.hash}"

    def cite(self) -> str:
        """The anchor in a message: its seq and the first 8 characters of its hash.

        A whole hash, or a time stamp, can hold 12 decimal digits in a row once separators are
        ignored, and the CLI would then refuse to print the message at all (the My Number guard);
        8 hex characters never can, and the seq and the prefix are enough to find the line.
        """
        return f"seq {self.seq} (hash {self.hash[:8]}…{', ' + self.reason if self.reason else ''})"

    def describe(self) -> str:
        extra = ", ".join(x for x in (self.reason, self.at) if x)
        return f"{self.text}" + (f" ({extra})" if extra else "")


def parse_anchor(text: str) -> Anchor:
    """`SEQ:HASH` (as printed on the daily close) → Anchor. Raises AnchorError."""
    seq_text, sep, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not sep or not seq_text.strip().isdigit() or len(digest) != 64 or not set(digest) <= _HEX:
        raise AnchorError(f"{text.strip()[:80]!r} is not an anchor (SEQ:HASH, a 64-digit hex hash)")
    return Anchor(int(seq_text), digest)


def _mac(pepper: bytes, body: str) -> str:
    return hmac.new(pepper, b"kiosk-anchor\n" + body.encode("utf-8"), hashlib.sha256).hexdigest()


def _line(pepper: bytes, fields: dict[str, object]) -> str:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{body} {_mac(pepper, body)}"


def _parse_line(pepper: bytes, line: str, where: str) -> dict[str, object]:
    body, _, mac = line.rstrip("\n").rpartition(" ")
    if not body or not hmac.compare_digest(_mac(pepper, body), mac):
        raise AnchorError(f"{where} is not genuine (its MAC does not match this kiosk's pepper)")
    try:
        data = json.loads(body)
    except ValueError:
        raise AnchorError(f"{where} is not an anchor line") from None
    if not isinstance(data, dict):
        raise AnchorError(f"{where} is not an anchor line")
    return data


def _anchor_of(data: dict[str, object], where: str) -> Anchor:
    try:
        seq = data["seq"]
        digest = data["hash"]
        number = data.get("n", data.get("anchors", 0))
        if not isinstance(seq, int) or not isinstance(digest, str) or not isinstance(number, int):
            raise TypeError
        return Anchor(
            seq,
            digest,
            str(data.get("at", "")),
            str(data.get("reason", "")),
            str(data["ledger"]),
            number,
        )
    except (KeyError, TypeError):
        raise AnchorError(f"{where} is not an anchor line") from None


def log_shortened(path: Path, lines: int, written: int) -> IntegrityRefused:
    return IntegrityRefused(
        f"the anchor log {path} holds {lines} line(s), but the checkpoint says {written} were written: "
        "the log was emptied, truncated or its last lines removed. Do not use the kiosk. Supervisor: put "
        "back the anchor log from its copy on the backup volume (README: Integrity), keep this one for "
        "investigation, then run `kiosk verify`."
    )


class AnchorLog:
    """The append-only anchor log (a text file, one MACed line per anchor)."""

    def __init__(self, path: Path, pepper: bytes) -> None:
        self.path = path
        self.pepper = pepper

    @property
    def checkpoint(self) -> Path:
        """The checkpoint beside the log (it remembers how many lines the log held)."""
        from kiosk.config import CHECKPOINT_NAME

        return self.path.with_name(CHECKPOINT_NAME)

    def append(self, anchor: Anchor) -> Anchor:
        """Append one anchor with the next running number, fsynced (0600 in a 0700 folder); then the
        checkpoint remembers the new count. Returns the anchor as written (with its number)."""
        make_private_dir(self.path.parent)
        number = len(self.read()) + 1
        line = _line(
            self.pepper,
            {
                "seq": anchor.seq,
                "hash": anchor.hash,
                "at": anchor.at,
                "reason": anchor.reason,
                "ledger": anchor.ledger_id,
                "n": number,
            },
        )
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)
        written = Anchor(anchor.seq, anchor.hash, anchor.at, anchor.reason, anchor.ledger_id, number)
        count_anchors(self.checkpoint, self.pepper, number, anchor.ledger_id)
        return written

    def read(self) -> list[Anchor]:
        """Every anchor in the log, oldest first.

        Raises AnchorError naming a line that is not genuine, and IntegrityRefused when lines are
        missing: a numbered line not at its place (lines removed before it), or fewer lines than the
        checkpoint says were written (the log emptied, truncated or shortened). Lines from before the
        numbers (no `n`) count by their place.
        """
        anchors: list[Anchor] = []
        if self.path.exists():
            with self.path.open(encoding="utf-8", errors="replace") as fh:
                for n, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    where = f"anchor log {self.path} line {n}"
                    anchor = _anchor_of(_parse_line(self.pepper, line, where), where)
                    if anchor.number and anchor.number != len(anchors) + 1:
                        raise IntegrityRefused(
                            f"{where} is anchor number {anchor.number}, but it is the log's line "
                            f"{len(anchors) + 1}: anchor lines were removed. {WHAT_TO_DO}"
                        )
                    anchors.append(anchor)
        written = _checkpoint_count(self.checkpoint, self.pepper)
        if written > len(anchors):
            raise log_shortened(self.path, len(anchors), written)
        return anchors


def read_anchor_file(path: Path, pepper: bytes) -> list[Anchor]:
    """`--anchors FILE`: lines `SEQ:HASH` (from paper) or lines of an anchor log (MAC checked)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AnchorError(f"cannot read {path}: {exc.strerror}") from None
    anchors = []
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{path} line {n}"
        if stripped.startswith("{"):
            anchors.append(_anchor_of(_parse_line(pepper, stripped, where), where))
        else:
            try:
                anchors.append(parse_anchor(stripped))
            except AnchorError as exc:
                raise AnchorError(f"{where}: {exc}") from None
    return anchors


RESTORE = "restore"  # an anchor's reason: "restore <the copy's head seq>"


def effective_anchors(anchors: Sequence[Anchor]) -> list[Anchor]:
    """The anchors the chain must hold: after a confirmed restore, the anchors recorded before it
    count only up to the copy's head (the events after it were lost, and that is on the chain)."""
    restores = [i for i, a in enumerate(anchors) if a.reason.split(" ")[0] == RESTORE]
    if not restores:
        return list(anchors)
    i = restores[-1]
    parts = anchors[i].reason.split(" ")
    upto = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return [a for a in anchors[:i] if a.seq <= upto] + list(anchors[i:])


# -- the checkpoint ---------------------------------------------------------------------------------


def _checkpoint_data(path: Path, pepper: bytes) -> dict[str, object] | None:
    if not path.exists():
        return None
    try:
        line = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AnchorError(f"cannot read the checkpoint {path}: {exc.strerror}") from None
    return _parse_line(pepper, line, f"checkpoint {path}")


def read_checkpoint(path: Path, pepper: bytes) -> Anchor | None:
    """The last head the start-up check (or `verify`) verified, or None (never checked here yet).
    Its `number` is how many anchor lines the log held when it was last written."""
    data = _checkpoint_data(path, pepper)
    return None if data is None else _anchor_of(data, f"checkpoint {path}")


HEAD_NAME = "head"  # beside the checkpoint: the newest head a kiosk committed
HEAD_SLOT = 512  # two fixed slots, written in turn in place: a torn write spoils one, the other holds


def head_file(checkpoint: Path) -> Path:
    return checkpoint.with_name(HEAD_NAME)


def head_slot(pepper: bytes, mark: Anchor, journal: int = 0) -> bytes:
    """One slot of the head file: a MACed line padded to HEAD_SLOT bytes. `journal`: how many lines the
    staff journal beside it held (kiosk.ledger.staff_journal), so a journal cut short is seen."""
    fields = {
        "seq": mark.seq,
        "hash": mark.hash,
        "at": mark.at,
        "reason": "head",
        "ledger": mark.ledger_id,
        "journal": journal,
    }
    data = _line(pepper, fields).encode("utf-8")
    if len(data) >= HEAD_SLOT:
        raise AnchorError("a head-file slot is too long")  # never: the fields have fixed sizes
    return data + b" " * (HEAD_SLOT - 1 - len(data)) + b"\n"


def write_head_file(path: Path, pepper: bytes, mark: Anchor, journal: int | None = None) -> None:
    """Both slots of the head file set to `mark`, in place (the inode a running kiosk writes stays),
    fsynced; created 0600 when missing. The staff journal's line count is kept unless `journal` says
    otherwise (a restore starts a new journal)."""
    make_private_dir(path.parent)
    if journal is None:
        journal = read_head_journal(path, pepper)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        slot = head_slot(pepper, mark, journal)
        os.pwrite(fd, slot + slot, 0)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)


def read_head_file(path: Path, pepper: bytes) -> Anchor | None:
    """The newest genuine slot of the head file; None when there is no file or no genuine slot."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AnchorError(f"cannot read the head file {path}: {exc.strerror}") from None
    best: Anchor | None = None
    for at in (0, HEAD_SLOT):
        text = data[at : at + HEAD_SLOT].decode("utf-8", errors="replace").strip()
        if not text:
            continue
        where = f"head file {path}"
        try:
            mark = _anchor_of(_parse_line(pepper, text, where), where)
        except AnchorError:
            continue  # a torn slot (power cut mid-write): the other one holds
        if best is None or mark.seq > best.seq:
            best = mark
    return best


def read_head_journal(path: Path, pepper: bytes) -> int:
    """How many staff-journal lines the head file says were written (the larger of its genuine slots;
    0 when there is no head file or it predates the journal)."""
    try:
        data = path.read_bytes()
    except OSError:
        return 0
    count = 0
    for at in (0, HEAD_SLOT):
        text = data[at : at + HEAD_SLOT].decode("utf-8", errors="replace").strip()
        if not text:
            continue
        try:
            fields = _parse_line(pepper, text, "head file")
        except AnchorError:
            continue
        value = fields.get("journal", 0)
        if isinstance(value, int):
            count = max(count, value)
    return count


def read_committed(path: Path, pepper: bytes) -> Anchor | None:
    """The newest head a kiosk committed: the head file beside the checkpoint (moved after every
    unit), at least the checkpoint's own head. Raises IntegrityRefused when the checkpoint says a
    head file was kept and it is missing or holds no genuine slot (removed or wiped)."""
    data = _checkpoint_data(path, pepper)
    if data is None:
        return None
    where = f"checkpoint {path}"
    mark = _anchor_of(data, where)
    seq, digest = data.get("head_seq", mark.seq), data.get("head_hash", mark.hash)
    if not isinstance(seq, int) or not isinstance(digest, str):
        raise AnchorError(f"{where} is not an anchor line")
    newest = Anchor(seq, digest, mark.at, "", mark.ledger_id, mark.number)
    kept = read_head_file(head_file(path), pepper)
    if "head_seq" in data and kept is None:
        # Since issue 22 every checkpoint is written with its head file.
        raise IntegrityRefused(
            f"the head file {head_file(path)} beside the checkpoint is missing or not genuine: it was "
            f"removed or wiped, and with it the newest head this kiosk committed. {WHAT_TO_DO}"
        )
    if kept is not None and kept.ledger_id == mark.ledger_id and kept.seq > newest.seq:
        newest = Anchor(kept.seq, kept.hash, kept.at, "", kept.ledger_id, mark.number)
    return newest


def _checkpoint_count(path: Path, pepper: bytes) -> int:
    """How many anchor lines the checkpoint says were written (0: no checkpoint, or none)."""
    try:
        mark = read_checkpoint(path, pepper)
    except AnchorError:
        return 0  # a damaged checkpoint is refused where it is read as a checkpoint
    return 0 if mark is None else mark.number


def _write(
    path: Path,
    pepper: bytes,
    verified: Anchor,
    head: Anchor,
    count: int,
    *,
    heads: bool = False,
    journal: int | None = None,
) -> None:
    """The checkpoint line; with `heads` (or when there is none yet) the head file is set to `head`
    first, so a checkpoint that names a head file always has one."""
    if heads or not head_file(path).exists():
        write_head_file(head_file(path), pepper, head, journal)
    fields = {
        "seq": verified.seq,
        "hash": verified.hash,
        "at": verified.at,
        "reason": "checkpoint",
        "ledger": verified.ledger_id,
        "anchors": count,
        "head_seq": head.seq,
        "head_hash": head.hash,
    }
    write_private_file(path, (_line(pepper, fields) + "\n").encode("utf-8"))


def write_checkpoint(path: Path, pepper: bytes, mark: Anchor, *, journal: int | None = None) -> None:
    """A verified head (start-up check, `verify`, a restore): the checkpoint and the committed head both
    move to it (MACed, fsynced). The anchor count it held is kept (never lowered); so is the staff
    journal's line count, unless `journal` sets it (a restore starts a new journal: 0)."""
    _write(
        path,
        pepper,
        mark,
        mark,
        max(mark.number, _checkpoint_count(path, pepper)),
        heads=True,
        journal=journal,
    )


def count_anchors(path: Path, pepper: bytes, number: int, ledger: str) -> None:
    """After anchor line `number` was appended: the checkpoint remembers that many lines."""
    try:
        mark = read_checkpoint(path, pepper)
        head = read_committed(path, pepper)
    except AnchorError:
        mark = head = None
    if mark is None or head is None:
        # No checkpoint yet: one at the genesis (the start-up check moves it to the head it verifies).
        from kiosk.ledger.chain import GENESIS_HASH

        mark = head = Anchor(0, GENESIS_HASH, now_text(), "", ledger)
    if number > mark.number:
        _write(path, pepper, mark, head, number)


# -- what the rest of the kiosk calls -----------------------------------------------------------------


def file_stamp() -> str:
    """A time stamp for a file name that never holds a run of 12 digits (the My Number guard ignores
    separators between digits, so dashes do not help): the date (8 digits), then letters between the
    hours, minutes, seconds and milliseconds, e.g. `20261207T12h35m34s123`. Names sort by time."""
    now = datetime.now(UTC)
    return f"{now:%Y%m%d}T{now:%H}h{now:%M}m{now:%S}s{now.microsecond // 1000:03d}"


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def record_anchor(ledger: Ledger, settings: Settings, reason: str) -> Anchor:
    """Append the ledger's current head to the anchor log (`kiosk anchor`, each backup, the daily close).

    Returns the anchor, for printing (in full and as a QR code on the daily close).
    """
    from kiosk.config import data_paths
    from kiosk.ledger.meta import ledger_id

    anchor_log = AnchorLog(data_paths(settings).anchor_log, ledger.pepper)
    note_kept(ledger, settings, anchor_log)  # before the head is read: the anchor vouches for the event too
    seq, digest = ledger.head()
    anchor = Anchor(seq, digest, now_text(), reason, ledger_id(ledger))
    return anchor_log.append(anchor)


def record_head(ledger: Ledger, settings: Settings, seq: int, digest: str, reason: str) -> Anchor:
    """Append a given head the chain holds (e.g. the last event of a closed office day, as printed)."""
    from kiosk.config import data_paths
    from kiosk.ledger.meta import ledger_id

    anchor = Anchor(seq, digest, now_text(), reason, ledger_id(ledger))
    anchor_log = AnchorLog(data_paths(settings).anchor_log, ledger.pepper)
    note_kept(ledger, settings, anchor_log)
    return anchor_log.append(anchor)


def note_kept(ledger: Ledger, settings: Settings, anchors: AnchorLog) -> None:
    """Before this kiosk appends an anchor line: unless the chain already says this kiosk keeps an
    anchor log (`chain_says_anchored`), record `anchors_kept` (device: this kiosk), so that deleting
    the anchors folder after ANY anchor — a safe-session close, a backup, `kiosk anchor` — is refused at
    the next start. Recorded first, so the first line (when it anchors the head) vouches for it too; a
    database failure here is logged and the line is written all the same (the next anchor tries
    again)."""
    from sqlalchemy.exc import SQLAlchemyError

    from kiosk.domain.events import AnchorsKept, EventKind

    if ledger.anchors_noted:
        return
    try:
        if chain_says_anchored(ledger, settings.kiosk.name) is None:
            number = len(anchors.read()) + 1
            with ledger.unit() as u:
                u.append(EventKind.ANCHORS_KEPT, device=settings.kiosk.name, payload=AnchorsKept(number))
        ledger.anchors_noted = True
    except (SQLAlchemyError, LedgerReplaced) as exc:
        log.error("cannot record that this kiosk keeps an anchor log: %s", type(exc).__name__)


@dataclass(frozen=True, slots=True)
class StartupReport:
    """What the start-up check looked at."""

    head_seq: int
    head_hash: str
    checked_from: int  # events after this seq were verified now
    last_anchor: Anchor | None
    # The seq of a restore recorded on another PC that read this PC's anchors folder, which this start
    # took on (kiosk.ledger.kiosk_folders); None on an ordinary start.
    adopted: int | None = None


def _behind(head_seq: int, mark: Anchor, what: str) -> IntegrityRefused:
    return IntegrityRefused(
        f"the ledger's head is seq {head_seq}, behind {what} {mark.cite()}: this is an older copy "
        f"of the ledger, a database that lost committed events (e.g. a truncated WAL) or a wiped one. "
        f"{WHAT_TO_DO}"
    )


def _not_held(mark: Anchor, what: str, stored: str | None) -> IntegrityRefused:
    found = "no event" if stored is None else f"hash {stored[:8]}…"
    return IntegrityRefused(
        f"the ledger does not hold {what} {mark.cite()} (it has {found} at seq {mark.seq}): the "
        f"history before it was rewritten or replaced. {WHAT_TO_DO}"
    )


def check_marks(
    ledger: Ledger, marks: Sequence[tuple[Anchor, str]], head_seq: int
) -> tuple[Anchor, str] | None:
    """The first of `marks` (anchor, what it is) the chain does not hold, raising IntegrityRefused."""
    from kiosk.ledger.verify import stored_hashes

    wanted = [m.seq for m, _ in marks if 0 < m.seq <= head_seq]
    stored = stored_hashes(ledger, wanted)
    for mark, what in marks:
        if mark.seq > head_seq:
            raise _behind(head_seq, mark, what)
        if mark.seq == 0:
            continue
        if stored.get(mark.seq) != mark.hash:
            raise _not_held(mark, what, stored.get(mark.seq))
    return None


def startup_check(ledger: Ledger, settings: Settings, *, extra: Iterable[Anchor] = ()) -> StartupReport:
    """Every start: the chain holds the last anchor and the checkpoint, and is intact after the newer of
    the two (with neither: over its newest FIRST_START_WALK events, see the module's docstring).

    Raises IntegrityRefused (a message for the supervisor) or AnchorError (the anchor log is damaged).
    Moves the checkpoint to the head when everything after it verified.
    """
    from kiosk.config import data_paths
    from kiosk.ledger.meta import ledger_id
    from kiosk.ledger.verify import head_and_last, verify_chain

    paths = data_paths(settings)
    me = ledger_id(ledger)
    anchors = AnchorLog(paths.anchor_log, ledger.pepper).read()
    mine = [a for a in anchors if a.ledger_id == me]
    if anchors and not mine:
        raise IntegrityRefused(
            f"the anchor log {paths.anchor_log} holds the heads of another ledger "
            f"({anchors[-1].ledger_id}, last {anchors[-1].cite()}), none of this one ({me}): the "
            f"ledger was replaced or re-created. {WHAT_TO_DO}"
        )
    checkpoint = read_checkpoint(paths.checkpoint, ledger.pepper)
    if checkpoint is not None and checkpoint.ledger_id != me:
        raise IntegrityRefused(
            f"the checkpoint {paths.checkpoint} belongs to another ledger ({checkpoint.ledger_id}), not "
            f"this one ({me}): the ledger was replaced or re-created. {WHAT_TO_DO}"
        )
    if not mine:
        anchored = chain_says_anchored(ledger, settings.kiosk.name)
        if anchored is not None:
            raise IntegrityRefused(
                f"the anchor log {paths.anchor_log} is missing or empty, but event {anchored} on the chain "
                "says anchors of this ledger were written: the anchor folder was deleted or emptied. Do "
                "not use the kiosk. Supervisor: put back the anchors folder from its copy on the backup "
                f"volume (README: Integrity), keep this data directory as it is, then run `kiosk verify`."
            )
    head_seq, head_hash, last_seq = head_and_last(ledger)
    if last_seq != head_seq:
        raise IntegrityRefused(
            f"the recorded head (seq {head_seq}) and the last event (seq {last_seq}) disagree: events were "
            f"removed or added behind the kiosk's back. {WHAT_TO_DO}"
        )
    last = mine[-1] if mine else None  # the newest line (a restore may have moved the head back)
    marks: list[tuple[Anchor, str]] = [(a, "the anchor") for a in extra]
    if last is not None:
        marks.append((last, "the last anchor"))
    if checkpoint is not None:
        marks.append((checkpoint, "the last verified checkpoint"))
        committed = read_committed(paths.checkpoint, ledger.pepper)
        if committed is not None and committed.seq > checkpoint.seq:
            marks.append((committed, "the last head a kiosk committed"))
    try:
        check_marks(ledger, marks, head_seq)
    except IntegrityRefused:
        adopted = _restored_on_another_pc(ledger, settings, [m for m, _ in marks], head_seq, head_hash, last)
        if adopted is None:
            raise
        return adopted
    # The walk starts at the newest head proven held just now: the checkpoint or the last anchor.
    known = [m for m in (checkpoint, last) if m is not None]
    start = max(known, key=lambda m: m.seq) if known else _first_start(ledger, head_seq)
    if start.seq < head_seq:
        problem = verify_chain(ledger, start.seq, start.hash)
        if problem is not None:
            raise IntegrityRefused(f"the chain is broken at seq {problem[0]}: {problem[1]}. {WHAT_TO_DO}")
    if checkpoint is None or checkpoint.seq != head_seq:
        write_checkpoint(paths.checkpoint, ledger.pepper, Anchor(head_seq, head_hash, now_text(), "", me))
    return StartupReport(head_seq, head_hash, start.seq, last)


def _restored_on_another_pc(
    ledger: Ledger,
    settings: Settings,
    marks: list[Anchor],
    head_seq: int,
    head_hash: str,
    last: Anchor | None,
) -> StartupReport | None:
    """PostgreSQL: this PC's heads are not on the chain because a restore on another PC dropped them,
    having read a copy of this PC's anchors folder (its event names this PC's newest head in
    `kiosks_read`) and carried its staff journal. Then this PC starts on the restored chain: the chain
    is verified from the restored head, the journal of the replaced chain is kept aside, the checkpoint
    moves to the head and an anchor line records it. None when no restore names this PC's newest head
    (a copy taken before this PC's last unit, or no restore at all): the refusal stands."""
    from kiosk.config import data_paths
    from kiosk.ledger.kiosk_folders import restored_elsewhere
    from kiosk.ledger.meta import ledger_id
    from kiosk.ledger.staff_journal import journal_file, set_aside
    from kiosk.ledger.verify import stored_hashes, verify_chain

    if not marks:
        return None
    newest = max(marks, key=lambda m: m.seq)
    found = restored_elsewhere(ledger, settings.kiosk.name, newest)
    if found is None:
        return None
    restore_seq, from_seq, from_hash = found
    if from_seq > 0 and stored_hashes(ledger, [from_seq]).get(from_seq) != from_hash:
        return None
    problem = verify_chain(ledger, from_seq, from_hash)
    if problem is not None:
        raise IntegrityRefused(f"the chain is broken at seq {problem[0]}: {problem[1]}. {WHAT_TO_DO}")
    paths = data_paths(settings)
    me = ledger_id(ledger)
    set_aside(journal_file(paths.checkpoint), file_stamp())
    mark = Anchor(head_seq, head_hash, now_text(), f"restore seen {restore_seq}", me)
    mark = AnchorLog(paths.anchor_log, ledger.pepper).append(mark)
    write_checkpoint(paths.checkpoint, ledger.pepper, mark, journal=0)
    log.warning(
        "this PC's heads (newest seq %d) were dropped by the restore recorded at seq %d on another PC, "
        "which read this PC's anchors folder: starting on the restored chain",
        newest.seq,
        restore_seq,
    )
    return StartupReport(head_seq, head_hash, from_seq, last, adopted=restore_seq)


def chain_says_anchored(ledger: Ledger, device: str | None = None) -> int | None:
    """The seq of an event that proves anchors of this ledger were written by the kiosk `device` (every
    kiosk when None): its first anchor line (`anchors_kept`, recorded after any anchor: a safe-session
    close, a backup, `kiosk anchor`, the daily close), a restore (which always anchors), a daily close
    that checked anchors; or None. Per kiosk, because on PostgreSQL each PC keeps its own anchors
    folder: a second kiosk's first start has none, and must not be refused for the first kiosk's."""
    from sqlalchemy import select

    from kiosk.domain.events import EventKind
    from kiosk.ledger import models

    ev = models.Event
    mine = (ev.device == device,) if device is not None else ()
    with ledger.read() as s:
        for kind in (EventKind.ANCHORS_KEPT, EventKind.LEDGER_RESTORED):
            found = s.scalar(select(ev.seq).where(ev.kind == kind, *mine).order_by(ev.seq).limit(1))
            if found is not None:
                return int(found)
        for seq, payload in s.execute(
            select(ev.seq, ev.payload).where(ev.kind == EventKind.LEDGER_VERIFIED, *mine).order_by(ev.seq)
        ):
            data = json.loads(payload) if isinstance(payload, str) else payload
            if isinstance(data, dict) and int(data.get("anchors") or 0) > 0:
                return int(seq)
    return None


def _first_start(ledger: Ledger, head_seq: int) -> Anchor:
    """Where the walk starts with no checkpoint and no anchor: FIRST_START_WALK events before the head."""
    from kiosk.ledger.chain import GENESIS_HASH
    from kiosk.ledger.verify import stored_hashes

    seq = max(0, head_seq - FIRST_START_WALK)
    if seq == 0:
        return Anchor(0, GENESIS_HASH)
    stored = stored_hashes(ledger, [seq]).get(seq)
    if stored is None:
        raise IntegrityRefused(f"the chain is broken at seq {seq}: event {seq} is missing. {WHAT_TO_DO}")
    log.warning(
        "first start of this kiosk on this ledger (no checkpoint, no anchor): the chain was walked from "
        "seq %d; the daily close (or `kiosk verify`) verifies the %d events before it",
        seq,
        seq,
    )
    return Anchor(seq, stored)
