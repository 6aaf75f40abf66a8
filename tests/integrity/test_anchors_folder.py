"""Issue 22: the anchors folder deleted after the FIRST anchor of any kind is refused at the next start.

Before, the chain said anchors were written only after a restore or a daily close that had checked
some; the first safe-session close, `kiosk backup` or `kiosk anchor` each wrote an anchor line that the
chain knew nothing of, so `rm -r anchors/` was accepted as this kiosk's first start."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable

import pytest

from kiosk.config import DEFAULT_CLOSING_CHECKLIST, DEFAULT_OPENING_CHECKLIST
from kiosk.desk import Desk, integrity
from kiosk.domain.events import EventKind
from kiosk.ledger.anchors import IntegrityRefused
from kiosk.ledger.service import Ledger
from kiosk.ledger.staff_journal import journal_file
from tests.integrity.conftest import Office


def _close_a_session(ledger: Ledger, office: Office) -> None:
    desk = Desk(ledger, office.kiosk.settings)
    view = desk.open_safe(office.officer, office.clerk, DEFAULT_OPENING_CHECKLIST)
    desk.close_safe(view.id, office.officer, office.clerk, DEFAULT_CLOSING_CHECKLIST)


def _backup(ledger: Ledger, office: Office) -> None:
    integrity.backup(ledger, office.kiosk.settings, None)


def _anchor(ledger: Ledger, office: Office) -> None:
    integrity.anchor(ledger, office.kiosk.settings)


@pytest.mark.parametrize(
    "first_anchor",
    [_close_a_session, _backup, _anchor],
    ids=["safe-session close", "kiosk backup", "kiosk anchor"],
)
def test_the_anchors_folder_deleted_after_the_first_anchor_is_refused_at_start(
    office: Office, first_anchor: Callable[[Ledger, Office], None]
) -> None:
    k = office.kiosk
    assert not k.paths.anchor_log.exists()  # the office's day so far wrote no anchor line
    ledger = k.open()
    first_anchor(ledger, office)
    (line,) = k.paths.anchor_log.read_text(encoding="utf-8").splitlines()
    kept = [e for e in ledger.events() if e.kind == EventKind.ANCHORS_KEPT]
    ledger.engine.dispose()
    # The chain says so once, just before the line, naming this kiosk and the line's number.
    assert [(e.device, e.data["anchor_number"]) for e in kept] == [("kiosk-1", 1)]
    assert json.loads(line.rpartition(" ")[0])["n"] == 1

    shutil.rmtree(k.paths.anchors)  # the insider's move: no anchor log, no checkpoint, no head file
    with pytest.raises(IntegrityRefused, match="anchors of this ledger were written"):
        k.open()
    result = k.run("staff", "list")
    assert result.returncode == 3
    assert "put back the anchors folder" in result.stderr


def test_a_staff_journal_removed_or_cut_short_is_refused_at_start(office: Office) -> None:
    """The staff journal beside the checkpoint is what a PostgreSQL restore carries the staff changes
    from; the head file counts its lines, so emptying it or cutting its last line off is refused at the
    next start (a start that went on would count from the shortened file and hide it)."""
    k = office.kiosk
    journal = journal_file(k.paths.checkpoint)
    kept = journal.read_bytes()
    lines = kept.splitlines(keepends=True)
    assert len(lines) >= 4  # the office's four members were added through a watched ledger
    assert b'"kind":"staff_added"' in lines[0]
    for damage in (b"".join(lines[:-1]), None):
        if damage is None:
            journal.unlink()
        else:
            journal.write_bytes(damage)
        with pytest.raises(IntegrityRefused, match=r"staff journal .* holds .* line"):
            k.open()
        journal.write_bytes(kept)
    k.open().engine.dispose()  # put back as it was: the kiosk starts
