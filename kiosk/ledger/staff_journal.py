"""The staff journal: the staff events a kiosk committed, kept outside the database (issue 22).

On PostgreSQL the owner's `pg_restore` of an older dump overwrites the ledger before any kiosk sees it:
the deactivations, PIN resets, role changes and lockouts made after the dump are gone with it, and a
since-deactivated supervisor or a since-reset PIN would approve the restore and come back to life. So
every kiosk, after each committed unit that wrote a staff event (a staff change, a sign-in, a wrong
PIN, a lockout: rare, never a scan), appends one line to `staff-journal` beside the checkpoint: the
unit's staff events as stored (seq, hash and all) and the staff rows they touched as committed (role,
active, lock state, PIN hash and their MACs), under an HMAC with the pepper and a running number. The
head file beside it remembers how many lines were written (`journal` in each slot), so a journal
emptied or cut short is seen. `kiosk restore --in-place` carries every journalled event newer than the
restored head onto the restored chain, with the rows as they were, and authenticates the two people on
the result; a journal that is missing, cut short, of another ledger or not genuine while the restore
would drop events is refused with what to do (kiosk.ledger.backup).

The lines hold PIN hashes (slow, salted, bound to the member by the pepper's MAC): the file is 0600 in
the anchors folder, as private as the pepper itself.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.domain.events import EventKind
from kiosk.fs import fsync_dir, make_private_dir

if TYPE_CHECKING:
    from kiosk.ledger.chain import EventRecord

JOURNAL_NAME = "staff-journal"
_TAIL = 1 << 16  # a line is a few kB at most (one unit's staff events and rows)


SIGN_IN_KINDS = frozenset({EventKind.AUTH_FAILED.value, EventKind.SIGNED_IN.value})


def is_staff_kind(kind: str) -> bool:
    """Events the staff table folds: staff changes, lockouts, and the sign-ins that count tries."""
    return kind.startswith("staff_") or kind in SIGN_IN_KINDS


class JournalError(Exception):
    """The staff journal cannot be trusted (one-line reason)."""


def journal_file(checkpoint: Path) -> Path:
    return checkpoint.with_name(JOURNAL_NAME)


def _mac(pepper: bytes, body: str) -> str:
    return hmac.new(pepper, b"kiosk-staff-journal\n" + body.encode("utf-8"), hashlib.sha256).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        if "t" in value:
            return datetime.fromisoformat(str(value["t"]))
        if "d" in value:
            return date.fromisoformat(str(value["d"]))
    return value


@dataclass(frozen=True, slots=True)
class JournalEvent:
    """A staff event as the kiosk stored it on the chain it had then."""

    seq: int
    hash: str
    at: str
    kind: str
    payload: dict[str, Any]
    actor_id: int | None
    witness_id: int | None
    device: str | None
    source: str | None

    @property
    def data(self) -> dict[str, Any]:
        return self.payload


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One committed unit's staff events and the staff rows they left (column → value)."""

    number: int
    events: tuple[JournalEvent, ...]
    rows: dict[int, dict[str, Any]]
    kiosk: str | None = None  # the kiosk that wrote the line (lines before the multi-PC restore lack it)
    # PostgreSQL: the kiosk PCs the chain named as keeping a journal when the line was written.
    kiosks: tuple[str, ...] = ()


def _last_number(fd: int) -> int:
    """The running number of the last line (0 for an empty file or a last line that is not a line)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return 0
    start = max(0, size - _TAIL)
    tail = os.pread(fd, size - start, start).decode("utf-8", errors="replace")
    lines = [line for line in tail.splitlines() if line.strip()]
    if not lines:
        return 0
    body = lines[-1].rpartition(" ")[0]
    try:
        number = json.loads(body).get("n", 0)
    except (ValueError, AttributeError):
        return 0
    return number if isinstance(number, int) else 0


def last_number(path: Path) -> int:
    """How many lines the journal says it holds (its last line's running number; 0 when missing)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return 0
    try:
        return _last_number(fd)
    finally:
        os.close(fd)


def append(
    path: Path,
    pepper: bytes,
    ledger_id: str,
    events: list[EventRecord],
    rows: dict[int, dict[str, Any]],
    kiosk: str | None = None,
    kiosks: tuple[str, ...] | None = None,
) -> int:
    """Append one unit's staff events and rows (locked against the other processes of this PC,
    fdatasync'd: staff units are rare). Returns the line's running number."""
    make_private_dir(path.parent)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # the running number is the last line's + 1, for every process
        number = _last_number(fd) + 1
        fields = {
            "n": number,
            "ledger": ledger_id,
            **({"kiosk": kiosk} if kiosk is not None else {}),
            **({"kiosks": list(kiosks)} if kiosks is not None else {}),
            "events": [
                {
                    "seq": e.seq,
                    "hash": e.hash,
                    "at": e.at.isoformat(),
                    "kind": e.kind,
                    "payload": e.data,
                    "actor": e.actor_id,
                    "witness": e.witness_id,
                    "device": e.device,
                    "source": e.source,
                }
                for e in events
            ],
            "rows": {str(sid): {k: _plain(v) for k, v in row.items()} for sid, row in rows.items()},
        }
        body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        os.write(fd, f"{body} {_mac(pepper, body)}\n".encode())
        os.fdatasync(fd)
    finally:
        os.close(fd)  # releases the lock
    if created:
        fsync_dir(path.parent)
    return number


def read(path: Path, pepper: bytes, ledger_id: str, *, written: int) -> list[JournalEntry]:
    """Every entry, oldest first. `written`: how many lines the head file says were written. Raises
    JournalError when the journal is missing or shorter than that, a line is not genuine (MAC), is of
    another ledger, or is not at its place (lines removed)."""
    if not path.exists():
        if written > 0:
            raise JournalError(
                f"the staff journal {path.name} is missing, but {written} line(s) were written"
            )
        return []
    entries: list[JournalEntry] = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            body, _, mac = line.rstrip("\n").rpartition(" ")
            if not body or not hmac.compare_digest(_mac(pepper, body), mac):
                raise JournalError(f"line {n} of the staff journal is not genuine (its MAC does not match)")
            data = json.loads(body)
            if data.get("ledger") != ledger_id:
                raise JournalError(
                    f"line {n} of the staff journal is of another ledger ({data.get('ledger')})"
                )
            if data.get("n") != len(entries) + 1:
                raise JournalError(
                    f"line {n} of the staff journal is number {data.get('n')}, not {len(entries) + 1}: "
                    "lines were removed"
                )
            events = tuple(
                JournalEvent(
                    int(e["seq"]),
                    str(e["hash"]),
                    str(e["at"]),
                    str(e["kind"]),
                    dict(e["payload"]),
                    e.get("actor"),
                    e.get("witness"),
                    e.get("device"),
                    e.get("source"),
                )
                for e in data["events"]
            )
            rows = {int(sid): {k: _typed(v) for k, v in row.items()} for sid, row in data["rows"].items()}
            kiosk = data.get("kiosk")
            known = data.get("kiosks")
            entries.append(
                JournalEntry(
                    len(entries) + 1,
                    events,
                    rows,
                    kiosk if isinstance(kiosk, str) else None,
                    tuple(str(k) for k in known) if isinstance(known, list) else (),
                )
            )
    if len(entries) < written:
        raise JournalError(
            f"the staff journal holds {len(entries)} line(s), but {written} were written: it was emptied "
            "or cut short"
        )
    return entries


def set_aside(path: Path, stamp: str) -> Path | None:
    """After a restore: the journal of the chain that was replaced is kept aside (evidence), and the
    restored chain starts a new one. Returns where it was kept."""
    if not path.exists():
        return None
    kept = path.with_name(f"{path.name}.replaced-{stamp}")
    os.replace(path, kept)
    fsync_dir(path.parent)
    return kept
