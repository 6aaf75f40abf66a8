"""The other kiosk PCs of a PostgreSQL ledger, as a restore on one PC must see them (issue 22).

Several PCs share one PostgreSQL ledger, and each keeps its own anchors folder: its anchor log, its
checkpoint and head file (the newest head its processes committed) and its staff journal (the staff
events they committed). The owner's `pg_restore` of an older dump drops what every PC wrote after the
dump, but `kiosk restore --in-place` runs on one PC and sees only that PC's folder. A supervisor
deactivated at kiosk 2 after the dump would otherwise be carried by nobody and approve the restore at
kiosk 1.

So the chain names every PC that keeps a staff journal (`journal_kept`, recorded in the unit of that
PC's first staff event), and a restore that drops events reads a copy of each other such PC's anchors
folder (`--kiosk-folder NAME=DIR`, taken with every kiosk stopped), or is told that PC's folder is lost
(`--kiosk-lost NAME`, named on the chain in the restore's event). From each folder it takes the PC's
newest committed head (so "behind" is judged against every PC, not only this one) and its journal (so
the staff changes made there are carried before the two people are authenticated). The restore's
event names each folder's head ("NAME@SEQ:HASH", `kiosks_read`); that PC's next start finds its own
head named there and starts on the restored chain (`restored_elsewhere`) instead of being refused as
behind.

A PC that wrote its first staff event after the dump is not named on the restored chain. Every journal
line therefore names the PCs the chain named at that staff unit (`JournalEntry.kiosks`), and the
restore asks for those too. What this cannot see: such a PC when neither this PC nor a folder given
had a staff unit (a sign-in is one) after that PC's first; give its folder all the same (every folder
given is read). Its next start is refused as behind otherwise, and its own `restore --in-place` then
carries its journal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.domain.events import EventKind
from kiosk.ledger.anchors import (
    Anchor,
    AnchorError,
    AnchorLog,
    IntegrityRefused,
    head_file,
    read_committed,
    read_head_journal,
)
from kiosk.ledger.staff_journal import JOURNAL_NAME, JournalEntry, JournalError, read

if TYPE_CHECKING:
    from kiosk.ledger.service import Ledger


class FolderError(Exception):
    """A copied anchors folder that cannot be used (one-line reason)."""


@dataclass(frozen=True, slots=True)
class KioskFolder:
    """A copy of another kiosk PC's anchors folder, read and checked."""

    kiosk: str
    folder: Path
    committed: Anchor | None  # the newest head that PC committed (None: it never committed a unit)
    last_anchor: Anchor | None
    entries: tuple[JournalEntry, ...]

    def cite(self) -> str:
        """`kiosks_read` on the restore's event: the PC and its newest head."""
        mark = self.committed
        return f"{self.kiosk}@{mark.seq}:{mark.hash}" if mark is not None else f"{self.kiosk}@-"


def read_folder(kiosk: str, folder: Path, *, pepper: bytes, ledger_id: str) -> KioskFolder:
    """Read a copy of kiosk PC `kiosk`'s anchors folder. Raises FolderError when it is not a folder, is
    of another ledger or another pepper, its journal or anchor log was cut short, or its journal names
    another kiosk."""
    from kiosk.config import ANCHOR_LOG_NAME, CHECKPOINT_NAME

    where = f"the anchors folder of {kiosk} ({folder})"
    if not folder.is_dir():
        raise FolderError(f"{where} is not a folder")
    checkpoint = folder / CHECKPOINT_NAME
    try:
        committed = read_committed(checkpoint, pepper)
        anchors = [a for a in AnchorLog(folder / ANCHOR_LOG_NAME, pepper).read() if a.ledger_id == ledger_id]
        entries = read(
            folder / JOURNAL_NAME, pepper, ledger_id, written=read_head_journal(head_file(checkpoint), pepper)
        )
    except (AnchorError, IntegrityRefused, JournalError) as exc:
        raise FolderError(f"{where}: {exc}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FolderError(f"{where} cannot be read ({exc})") from None
    if committed is not None and committed.ledger_id != ledger_id:
        raise FolderError(f"{where} holds the heads of another ledger ({committed.ledger_id})")
    others = sorted({e.kiosk for e in entries if e.kiosk is not None and e.kiosk != kiosk})
    if others:
        raise FolderError(f"{where} holds the staff journal of {', '.join(others)}, not of {kiosk}")
    return KioskFolder(kiosk, folder, committed, anchors[-1] if anchors else None, tuple(entries))


def journal_kiosks(ledger: Ledger) -> set[str]:
    """The kiosk PCs the chain says keep a staff journal (`journal_kept`)."""
    from kiosk.ledger.service import journal_kiosks as named

    with ledger.read() as s:
        return set(named(s.connection()))


def restored_elsewhere(ledger: Ledger, kiosk: str, newest: Anchor) -> tuple[int, int, str] | None:
    """A restore recorded on another PC that read this PC's folder with `newest` as its head: (the
    restore's seq, the restored head's seq and hash), the newest such; None when there is none."""
    from sqlalchemy import select

    from kiosk.ledger import models

    ev = models.Event
    me = f"{kiosk}@{newest.seq}:{newest.hash}"
    with ledger.read() as s:
        rows = s.execute(
            select(ev.seq, ev.payload).where(ev.kind == EventKind.LEDGER_RESTORED).order_by(ev.seq.desc())
        ).all()
    for seq, payload in rows:
        data = json.loads(payload) if isinstance(payload, str) else payload
        if not isinstance(data, dict) or me not in (data.get("kiosks_read") or ()):
            continue
        head_seq, head_hash = data.get("restored_head_seq"), data.get("restored_head_hash")
        if isinstance(head_seq, int) and isinstance(head_hash, str):
            return int(seq), head_seq, head_hash
    return None
