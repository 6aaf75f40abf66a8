"""Anchors and the start-up check: a rewrite is caught against a printed head; a rollback, a WAL that
lost committed events and a wipe are refused at start; only `kiosk init` creates a ledger or pepper."""

from __future__ import annotations

import random
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.ledger.chain import body_text, canonical_json, event_hash
from tests.integrity.conftest import Kiosk, Office


def copy_then_move_on(k: Kiosk, copy: Path, *, events: int) -> Path:
    """Keep a consistent copy of the ledger (SQLite's backup API), then append `events` to the live one."""
    src, dst = sqlite3.connect(k.db), sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    ledger = k.open()
    for _ in range(events):
        ledger.record_refusal("unknown_id", attempted="test")
    ledger.engine.dispose()
    return copy


def rewrite_history(db: Path, seq: int) -> None:
    """A consistent rewrite with the project's own hash function: edit event `seq`, rehash everything
    after it, move the head. Only an anchor from before can tell."""
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET device = 'forged' WHERE seq = ?", (seq,))
    prev = (
        conn.execute("SELECT hash FROM events WHERE seq = ?", (seq - 1,)).fetchone()[0]
        if seq > 1
        else "0" * 64
    )
    rows = conn.execute(
        "SELECT seq, at, kind, card_id, actor_id, witness_id, session_id, stocktake_id, device, source, "
        "payload FROM events WHERE seq >= ? ORDER BY seq",
        (seq,),
    ).fetchall()
    for s, at, kind, card, actor, witness, session, stocktake, device, source, payload in rows:
        digest = event_hash(
            seq=s,
            at=datetime.fromisoformat(at).replace(tzinfo=UTC),
            kind=kind,
            card_id=card,
            actor_id=actor,
            witness_id=witness,
            session_id=session,
            stocktake_id=stocktake,
            device=device,
            source=source,
            payload=payload,
            prev_hash=prev,
        )
        conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, s))
        prev = digest
    conn.execute("UPDATE ledger_head SET hash = ? WHERE id = 1", (prev,))
    conn.commit()
    conn.close()


def test_a_consistent_rewrite_passes_plain_verify_but_not_the_printed_anchor(
    office: Office, tmp_path: Path
) -> None:
    k = office.kiosk
    anchor = k.run("anchor")
    assert anchor.returncode == 0, anchor.stderr
    printed = anchor.stdout.split()[-1]  # SEQ:HASH, as on the daily close
    seq = int(printed.split(":")[0])
    # The attacker also removes the anchor log and the checkpoint: only the paper is left.
    k.paths.anchor_log.unlink()
    k.paths.checkpoint.unlink()
    rewrite_history(k.db, 3)
    plain = k.run("verify")
    assert plain.returncode == 0, plain.stderr  # the rewrite is consistent
    caught = k.run("verify", "--anchor", printed)
    assert caught.returncode == 1
    assert f"BROKEN at seq {seq}: the chain does not hold anchor {printed}" in caught.stderr
    paper = tmp_path / "anchors.txt"
    paper.write_text(f"# from the daily close\n{printed}\n", encoding="utf-8")
    from_file = k.run("verify", "--anchors", str(paper))
    assert from_file.returncode == 1
    assert "does not hold anchor" in from_file.stderr


def test_the_anchor_log_catches_a_rewrite_at_start(office: Office) -> None:
    k = office.kiosk
    assert k.run("anchor").returncode == 0
    k.paths.checkpoint.unlink()
    rewrite_history(k.db, 3)
    result = k.run("staff", "list")
    assert result.returncode == 3
    assert "REFUSED: the ledger does not hold the last anchor" in result.stderr
    assert "kiosk restore" in result.stderr


def test_a_rolled_back_copy_is_refused_at_start(office: Office, tmp_path: Path) -> None:
    k = office.kiosk
    old = copy_then_move_on(k, tmp_path / "old.sqlite3", events=3)
    assert k.run("anchor").returncode == 0
    shutil.copy(old, k.db)
    for suffix in ("-wal", "-shm"):
        Path(f"{k.db}{suffix}").unlink(missing_ok=True)
    result = k.run("staff", "list")
    assert result.returncode == 3
    assert "behind the last anchor" in result.stderr
    assert "older copy" in result.stderr
    assert "kiosk restore" in result.stderr


def test_a_rollback_before_the_last_start_is_refused_without_any_anchor(
    office: Office, tmp_path: Path
) -> None:
    k = office.kiosk
    old = copy_then_move_on(k, tmp_path / "old.sqlite3", events=1)
    assert k.run("staff", "list").returncode == 0  # a start: the checkpoint moves to the new head
    k.paths.anchor_log.unlink(missing_ok=True)
    shutil.copy(old, k.db)
    result = k.run("staff", "list")
    assert result.returncode == 3
    assert "behind the last verified checkpoint" in result.stderr


def test_a_wal_that_lost_five_committed_events_is_refused_at_start(office: Office, tmp_path: Path) -> None:
    k = office.kiosk
    hold = sqlite3.connect(k.db)  # keeps the WAL from being checkpointed into the file on close
    hold.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ledger = k.open()
    for _ in range(5):
        ledger.record_refusal("unknown_id", attempted="test")  # committed: in the WAL only
    assert k.run("staff", "list").returncode == 0  # a start sees them and checkpoints the head
    lost = tmp_path / "without-wal.sqlite3"
    shutil.copy(k.db, lost)  # the main file without the WAL's frames: what a truncated WAL leaves
    ledger.engine.dispose()
    hold.close()
    shutil.copy(lost, k.db)
    for suffix in ("-wal", "-shm"):
        Path(f"{k.db}{suffix}").unlink(missing_ok=True)
    check = sqlite3.connect(k.db)
    assert check.execute("SELECT count(*) FROM events").fetchone()[0] >= 1
    check.close()
    result = k.run("staff", "list")
    assert result.returncode == 3
    assert "lost committed events" in result.stderr


def test_a_wiped_sqlite_ledger_is_refused_and_init_does_not_start_over(office: Office) -> None:
    k = office.kiosk
    assert k.run("anchor").returncode == 0
    for suffix in ("", "-wal", "-shm"):
        Path(f"{k.db}{suffix}").unlink(missing_ok=True)
    result = k.run("staff", "list")
    assert result.returncode == 3
    assert "there is no ledger at" in result.stderr
    assert not k.db.exists()  # nothing was created
    again = k.run("init")
    assert again.returncode == 3
    assert "holds the heads of one" in again.stderr


def test_missing_ledger_path_is_refused_and_nothing_is_created(kiosk: Kiosk, tmp_path: Path) -> None:
    missing = tmp_path / "missing" / "path" / "ledger.sqlite3"
    result = kiosk.run("--db", f"sqlite:///{missing}", "verify")
    assert result.returncode == 3
    assert "only `kiosk init` creates one" in result.stderr
    assert not missing.parent.exists()


def test_missing_or_replaced_pepper_is_refused_at_once(office: Office) -> None:
    k = office.kiosk
    pepper = k.paths.pepper
    saved = pepper.read_bytes()
    pepper.unlink()
    result = k.run("staff", "list")
    assert result.returncode == 3
    assert "PIN pepper" in result.stderr
    assert "is missing" in result.stderr
    assert not pepper.exists()  # not silently regenerated
    pepper.write_bytes(b"a-new-pepper")
    result = k.run("verify")
    assert result.returncode == 3
    assert "not this ledger's pepper" in result.stderr
    pepper.write_bytes(saved)
    assert k.run("verify").returncode == 0


def test_the_cli_finds_the_same_data_from_any_directory(office: Office, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = office.kiosk.run("verify", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert list(elsewhere.iterdir()) == []  # no new pepper, ledger or log in the current directory


def test_a_forged_anchor_line_is_not_genuine(office: Office) -> None:
    k = office.kiosk
    assert k.run("anchor").returncode == 0
    with k.paths.anchor_log.open("a", encoding="utf-8") as fh:
        fh.write('{"at":"","hash":"' + "0" * 64 + '","ledger":"x","reason":"","seq":1} ' + "0" * 64 + "\n")
    result = k.run("staff", "list")
    assert result.returncode == 3
    assert "is not genuine" in result.stderr
    assert oct(k.paths.anchor_log.stat().st_mode & 0o777) == "0o600"


def test_the_fast_encoding_is_the_chains_byte_for_byte() -> None:
    rnd = random.Random(12)
    alphabet = ['"', "\\", "\n", "\t", "\x00", "\x1f", "\u2028", "é", "保", "😀", "a", "{", "}", " ", "/"]
    for _ in range(500):

        def text() -> str:
            return "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))

        def maybe(value: object) -> object:
            return None if rnd.random() < 0.3 else value

        fields = {
            "seq": rnd.randint(1, 10**9),
            "kind": text(),
            "card": maybe(text()),
            "actor": maybe(rnd.randint(0, 10**6)),
            "witness": maybe(rnd.randint(0, 10**6)),
            "session": maybe(rnd.randint(0, 10**6)),
            "stocktake": maybe(rnd.randint(0, 10**6)),
            "device": maybe(text()),
            "source": maybe(text()),
            "payload": canonical_json({"x": text(), "n": rnd.randint(-5, 5)}),
            "prev": text(),
        }
        at = datetime(2026, 1, 2, 3, 4, 5, rnd.randint(0, 999999), tzinfo=UTC)
        at_text = at.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
        body = body_text(
            fields["seq"],
            at_text,
            fields["kind"],
            fields["card"],
            fields["actor"],
            fields["witness"],  # type: ignore[arg-type]
            fields["session"],
            fields["stocktake"],
            fields["device"],
            fields["source"],
            fields["payload"],  # type: ignore[arg-type]
            fields["prev"],  # type: ignore[arg-type]
        )
        import hashlib

        assert hashlib.sha256(body.encode()).hexdigest() == event_hash(
            seq=fields["seq"],  # type: ignore[arg-type]
            at=at,
            kind=fields["kind"],  # type: ignore[arg-type]
            card_id=fields["card"],  # type: ignore[arg-type]
            actor_id=fields["actor"],  # type: ignore[arg-type]
            witness_id=fields["witness"],  # type: ignore[arg-type]
            session_id=fields["session"],  # type: ignore[arg-type]
            stocktake_id=fields["stocktake"],  # type: ignore[arg-type]
            device=fields["device"],  # type: ignore[arg-type]
            source=fields["source"],  # type: ignore[arg-type]
            payload=fields["payload"],  # type: ignore[arg-type]
            prev_hash=fields["prev"],  # type: ignore[arg-type]
        )


def test_the_helper_process_names_an_edited_event_as_one_process_would(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.ledger import verify as verify_module

    k = office.kiosk
    k.sql("UPDATE events SET device = 'edited' WHERE seq = 4")
    from kiosk.ledger.engine import make_engine
    from kiosk.ledger.service import Ledger, load_pepper

    ledger = Ledger(make_engine(f"sqlite:///{k.db}"), pepper=load_pepper(k.paths.pepper))
    single = verify_module.verify(ledger)
    monkeypatch.setattr(verify_module, "PARALLEL_FROM", 1)
    parallel = verify_module.verify(ledger)
    ledger.engine.dispose()
    assert (single.first_bad_seq, single.problem) == (4, "content does not match its hash (edited)")
    assert (parallel.first_bad_seq, parallel.problem) == (single.first_bad_seq, single.problem)


def test_the_start_up_check_is_incremental_and_catches_an_edit_after_its_checkpoint(office: Office) -> None:
    from kiosk.ledger.anchors import read_checkpoint, record_anchor, startup_check

    k = office.kiosk
    ledger = k.open()  # a start: the checkpoint moves to the head
    head = ledger.head()
    mark = read_checkpoint(k.paths.checkpoint, ledger.pepper)
    assert mark is not None
    assert (mark.seq, mark.hash) == head
    ledger.record_refusal("unknown_id", attempted="test")
    ledger.record_refusal("unknown_id", attempted="test")
    report = startup_check(ledger, k.settings)
    assert report.checked_from == head[0]  # only the two new events were verified
    assert report.head_seq == head[0] + 2
    anchor = record_anchor(ledger, k.settings, "daily close")  # what the daily close calls
    assert (anchor.seq, anchor.hash) == ledger.head()
    assert "daily close" in k.paths.anchor_log.read_text(encoding="utf-8")
    ledger.record_refusal("unknown_id", attempted="test")
    ledger.engine.dispose()
    # The event after the anchor (the first anchor of this kiosk records `anchors_kept` just before it).
    k.sql(f"UPDATE events SET device = 'edited' WHERE seq = {anchor.seq + 1}")  # noqa: S608
    result = k.run("staff", "list")
    assert result.returncode == 3
    assert f"the chain is broken at seq {anchor.seq + 1}: content does not match its hash" in result.stderr


def test_a_malformed_anchor_is_one_line(office: Office) -> None:
    result = office.kiosk.run("verify", "--anchor", "12:nothex")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "kiosk: '12:nothex' is not an anchor (SEQ:HASH, a 64-digit hex hash)"
    ]


@pytest.mark.parametrize("where", ["first half", "second half"])
def test_the_chain_check_split_over_two_processes_finds_an_edit_in_either_half(
    office: Office, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    from kiosk.ledger import verify as verify_module
    from kiosk.ledger.engine import make_engine
    from kiosk.ledger.service import Ledger, load_pepper

    k = office.kiosk
    ledger = Ledger(make_engine(f"sqlite:///{k.db}"), pepper=load_pepper(k.paths.pepper))
    head = ledger.head()[0]
    monkeypatch.setattr(verify_module, "PARALLEL_FROM", 1)
    assert verify_module.verify_chain(ledger) is None
    seq = 3 if where == "first half" else head - 1
    k.sql(f"UPDATE events SET device = 'edited' WHERE seq = {seq}")  # noqa: S608
    assert verify_module.verify_chain(ledger) == (seq, "content does not match its hash (edited)")
    ledger.engine.dispose()


def test_a_refusal_cites_an_anchor_without_tripping_the_my_number_guard() -> None:
    # A hex hash can hold 12 decimal digits in a row (here all 64), and so can a time stamp: the CLI
    # would then refuse to print the refusal at all. The citation never can.
    from kiosk.domain.guard import looks_like_individual_number
    from kiosk.ledger.anchors import Anchor

    worst = Anchor(seq=123_456, hash="7" * 64, at="2026-12-02T05:25:24.123456+00:00", reason="daily close")
    assert looks_like_individual_number(worst.describe())
    assert not looks_like_individual_number(f"REFUSED: the ledger does not hold the anchor {worst.cite()}")
    assert "seq 123456" in worst.cite()


def test_a_start_without_a_checkpoint_walks_from_the_last_anchor_and_still_refuses_a_rollback(
    office: Office, tmp_path: Path
) -> None:
    from kiosk.ledger.anchors import startup_check

    k = office.kiosk
    old = copy_then_move_on(k, tmp_path / "old.sqlite3", events=1)  # the copy is one event behind
    assert k.run("anchor").returncode == 0
    ledger = k.open()
    anchored = ledger.head()[0]
    ledger.record_refusal("unknown_id", attempted="test")
    k.paths.checkpoint.unlink()
    report = startup_check(ledger, k.settings)
    ledger.engine.dispose()
    assert report.checked_from == anchored  # not from seq 0: the anchor is a head proven held
    k.sql(f"UPDATE events SET device = 'edited' WHERE seq = {anchored + 1}")  # noqa: S608
    k.paths.checkpoint.unlink()
    edited = k.run("staff", "list")
    assert edited.returncode == 3
    assert f"the chain is broken at seq {anchored + 1}: content does not match its hash" in edited.stderr
    # The rolled-back copy, with neither checkpoint: refused against the anchor alone.
    shutil.copy(old, k.db)
    for suffix in ("-wal", "-shm"):
        Path(f"{k.db}{suffix}").unlink(missing_ok=True)
    k.paths.checkpoint.unlink(missing_ok=True)
    result = k.run("staff", "list")
    assert result.returncode == 3
    assert "behind the last anchor" in result.stderr


def test_the_first_start_walks_the_newest_events_and_the_full_verify_finds_an_older_edit(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.ledger import anchors

    k = office.kiosk
    monkeypatch.setattr(anchors, "FIRST_START_WALK", 5)
    k.paths.checkpoint.unlink()  # no checkpoint and no anchor: this kiosk's first start on the ledger
    ledger = k.open()
    head = ledger.head()[0]
    ledger.engine.dispose()
    assert head > 10
    k.paths.checkpoint.unlink()
    k.sql(f"UPDATE events SET kind = kind || 'x' WHERE seq = {head - 2}")  # noqa: S608
    with pytest.raises(anchors.IntegrityRefused, match=f"the chain is broken at seq {head - 2}"):
        k.open()  # an edit among the newest events: refused at this start
    k.sql(f"UPDATE events SET kind = substr(kind, 1, length(kind) - 1) WHERE seq = {head - 2}")  # noqa: S608
    k.sql("UPDATE events SET device = 'edited' WHERE seq = 3")
    k.paths.checkpoint.unlink(missing_ok=True)
    k.open().engine.dispose()  # an older edit is left to the full verify ...
    result = k.run("verify")  # ... which the daily close runs
    assert result.returncode == 1
    assert "BROKEN at seq 3: content does not match its hash (edited)" in result.stderr


def test_the_helpers_inlined_encoding_is_the_chains_byte_for_byte() -> None:
    """check_rows (the helper's walk) encodes inline: a chain of awkward events hashed by event_hash
    passes it whole, and one edited character is named."""
    from kiosk.ledger.chain_check import check_rows

    rnd = random.Random(21)
    alphabet = ['"', "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "\u2028", "é", "保", "😀", "a", "{", " "]

    def text() -> str:
        return "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 10)))

    def maybe(value: object) -> object:
        return None if rnd.random() < 0.3 else value

    rows = []
    prev = "0" * 64
    for seq in range(1, 401):
        at = datetime(2026, 1, 2, 3, 4, 5, rnd.randint(0, 999999), tzinfo=UTC)
        fields = {
            "kind": rnd.choice(["card_taken_out", text()]),
            "card_id": maybe(text()),
            "actor_id": maybe(rnd.randint(0, 10**6)),
            "witness_id": maybe(rnd.randint(0, 10**6)),
            "session_id": maybe(rnd.randint(0, 10**6)),
            "stocktake_id": maybe(rnd.randint(0, 10**6)),
            "device": maybe(text()),
            "source": maybe(text()),
            "payload": canonical_json({"x": text()}),
        }
        digest = event_hash(seq=seq, at=at, prev_hash=prev, **fields)  # type: ignore[arg-type]
        stored_at = at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")  # as SQLite holds it
        rows.append((seq, stored_at, *fields.values(), prev, digest))
        prev = digest
    assert check_rows(rows) == (400, 0, prev, None)
    edited = list(rows)
    row = list(edited[250])
    row[10] = canonical_json({"x": "edited"})
    edited[250] = tuple(row)
    assert check_rows(edited)[1:2] == (251,)
    assert check_rows(edited)[3] == "content does not match its hash (edited)"


def test_kiosk_anchor_verifies_first_and_anchors_nothing_for_a_broken_ledger(office: Office) -> None:
    k = office.kiosk
    assert k.run("staff", "list").returncode == 0  # a start: the checkpoint is at the head
    # An old event edited in plain SQL, behind the checkpoint: the start-up check does not walk there.
    k.sql("UPDATE events SET device = 'edited' WHERE seq = 4")
    before = k.paths.anchor_log.read_bytes() if k.paths.anchor_log.exists() else b""
    refused = k.run("anchor")
    assert refused.returncode == 2, refused.stderr
    assert "not anchored: the ledger does not verify (seq 4): content does not match its hash" in (
        refused.stderr
    )
    assert "anchor " not in refused.stdout
    after = k.paths.anchor_log.read_bytes() if k.paths.anchor_log.exists() else b""
    assert after == before  # nothing vouched for
