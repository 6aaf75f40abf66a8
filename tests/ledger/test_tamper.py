"""Tampering with the SQLite file by hand is caught by `kiosk verify`, which names the first bad event."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.ledger.chain import event_hash
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.meta import initialise
from kiosk.ledger.service import Ledger
from tests import warm
from tests.ledger.helpers import ids, receive


def kiosk(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KIOSK_DB_URL": f"sqlite:///{db}",
        "KIOSK_PATHS__PEPPER": str(db.parent / "pepper"),
        "KIOSK_PATHS__LOGS": str(db.parent / "log"),
    }
    return warm.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    (tmp_path / "pepper").write_bytes(b"x")
    ledger = Ledger(engine, pepper=b"x")
    initialise(ledger)  # what `kiosk init` does: event 1, the ledger's identity
    receive(ledger, ids(4))  # 4 received + 4 stored + 1 batch event = events 2..10
    engine.dispose()
    return path


def tamper(db: Path, *statements: str) -> None:
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def forge_append(db: Path) -> None:
    """Append a well-formed, correctly hashed event behind the recorded head (an insertion)."""
    conn = sqlite3.connect(db)
    seq, prev = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    from datetime import UTC, datetime

    at = datetime(2026, 4, 2, tzinfo=UTC)
    digest = event_hash(
        seq=seq + 1,
        at=at,
        kind="note",
        card_id=None,
        actor_id=None,
        witness_id=None,
        session_id=None,
        stocktake_id=None,
        device=None,
        source=None,
        payload="{}",
        prev_hash=prev,
    )
    conn.execute(
        "INSERT INTO events (seq, at, kind, payload, prev_hash, hash) VALUES (?, ?, 'note', '{}', ?, ?)",
        (seq + 1, at.replace(tzinfo=None).isoformat(sep=" "), prev, digest),
    )
    conn.commit()
    conn.close()


def test_intact_ledger_verifies_and_prints_the_head(db: Path) -> None:
    result = kiosk(db, "verify")
    assert result.returncode == 0, result.stderr
    assert "ok: 10 events, 4 cards, head 10" in result.stdout


CASES: dict[str, tuple[Callable[[Path], None], int]] = {
    "edited payload": (
        lambda db: tamper(db, 'UPDATE events SET payload = \'{"location":"home"}\' WHERE seq = 6'),
        6,
    ),
    "edited time": (lambda db: tamper(db, "UPDATE events SET at = '2020-01-01 00:00:00' WHERE seq = 4"), 4),
    "deleted event": (lambda db: tamper(db, "DELETE FROM events WHERE seq = 5"), 5),
    "deleted last event": (lambda db: tamper(db, "DELETE FROM events WHERE seq = 10"), 10),
    "reordered events": (
        lambda db: tamper(
            db,
            "UPDATE events SET seq = -7 WHERE seq = 7",
            "UPDATE events SET seq = 7 WHERE seq = 8",
            "UPDATE events SET seq = 8 WHERE seq = -7",
        ),
        7,
    ),
    "inserted event in the middle": (
        lambda db: tamper(
            db,
            *[f"UPDATE events SET seq = seq + 1 WHERE seq = {n}" for n in range(10, 5, -1)],  # noqa: S608 (test tampering)
            "INSERT INTO events (seq, at, kind, payload, prev_hash, hash) "
            "SELECT 6, at, 'note', '{}', hash, hash FROM events WHERE seq = 5",
        ),
        6,
    ),
    "event appended behind the head": (forge_append, 11),
    "projection edited": (
        lambda db: tamper(
            db,
            "UPDATE cards SET location = 'desk' WHERE management_id = (SELECT min(management_id) FROM cards)",
        ),
        3,  # that card's last event (received at 2, stored at 3)
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_tampering_is_caught_and_the_first_bad_event_named(db: Path, case: str) -> None:
    change, first_bad = CASES[case]
    change(db)
    result = kiosk(db, "verify")
    assert result.returncode == 1
    assert f"BROKEN at seq {first_bad}:" in result.stderr, result.stderr


def test_ledger_export_is_bom_csv_with_every_event(db: Path) -> None:
    out = db.parent / "ledger.csv"
    result = kiosk(db, "ledger", "export", "--format", "csv", "-o", str(out))
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Japanese Excel opens it as UTF-8
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("連番 seq,日時 (JST)")
    assert len(lines) == 1 + 10
    assert lines[-1].split(",")[0] == "10"


def forge_link(db: Path, seq: int) -> None:
    """Rewrite event `seq` to follow another chain: a wrong previous hash, and its own hash recomputed
    over it (the event alone is consistent: only its link to the previous event says it is forged)."""
    from datetime import UTC, datetime

    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER events_no_update")
    row = conn.execute(
        "SELECT at, kind, card_id, actor_id, witness_id, session_id, stocktake_id, device, source, payload "
        "FROM events WHERE seq = ?",
        (seq,),
    ).fetchone()
    forged_prev = "f" * 64
    digest = event_hash(
        seq=seq,
        at=datetime.fromisoformat(row[0]).replace(tzinfo=UTC),
        kind=row[1],
        card_id=row[2],
        actor_id=row[3],
        witness_id=row[4],
        session_id=row[5],
        stocktake_id=row[6],
        device=row[7],
        source=row[8],
        payload=row[9],
        prev_hash=forged_prev,
    )
    conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?", (forged_prev, digest, seq))
    conn.commit()
    conn.close()


PAGED_CASES = {
    **CASES,
    **{f"forged link at {n}": ((lambda db, n=n: forge_link(db, n)), n) for n in (1, 4, 6, 9)},
}


@pytest.mark.parametrize("case", list(PAGED_CASES))
def test_a_page_boundary_hides_nothing(db: Path, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify checks the sequence and the links a page at a time: with pages of 1, 3 and 4 events every
    tampering falls on a page's first, middle or last row, and is named as with one page."""
    from kiosk.ledger import verify as verify_module

    change, first_bad = PAGED_CASES[case]
    change(db)
    ledger = Ledger(make_engine(f"sqlite:///{db}"), pepper=b"x")
    whole = verify_module.verify(ledger)
    assert whole.first_bad_seq == first_bad, whole.problem
    if case.startswith("forged link"):
        assert whole.problem == "link to the previous event is broken (deleted, inserted or reordered)"
    for page in (1, 3, 4):
        monkeypatch.setattr(verify_module, "_PAGE", page)
        paged = verify_module.verify(ledger)
        assert (paged.first_bad_seq, paged.problem, paged.events) == (
            whole.first_bad_seq,
            whole.problem,
            whole.events,
        ), page
    ledger.engine.dispose()
