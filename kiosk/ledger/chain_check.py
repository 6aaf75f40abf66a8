"""The chain's hashes and links, checked fast: shared by `kiosk verify` and its helper process.

The canonical encoding is `kiosk.ledger.chain.body_text`, one f-string (a test proves it byte for byte
`event_hash`'s). At a million events `kiosk verify` runs `check_sqlite` in a second
process (`python -m kiosk.ledger.chain_check DB UPTO`) while it folds the projections itself, so the
hashing and the fold use both cores. This module imports nothing heavy: the helper starts in ~0.1 s.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from datetime import datetime
from json.encoder import encode_basestring as _q
from typing import Any

from kiosk.ledger.chain import GENESIS_HASH, format_time

CHAIN_SQL = (
    "SELECT seq, at, kind, card_id, actor_id, witness_id, session_id, stocktake_id, device, source, "
    "payload, prev_hash, hash FROM events WHERE seq > ? AND seq <= ? ORDER BY seq"
)


def at_text(at: Any) -> str:
    """A stored event time (SQLite text or a datetime) as the text the chain hashes."""
    if type(at) is str and len(at) == 26 and at[10] == " ":
        return f"{at[:10]}T{at[11:]}Z"
    if isinstance(at, datetime):
        return format_time(at)
    from datetime import UTC

    parsed = datetime.fromisoformat(str(at))
    return format_time(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def check_rows(
    rows: Any, after_seq: int = 0, after_hash: str = GENESIS_HASH
) -> tuple[int, int, str, str | None]:
    """Walk rows in seq order: (last seq, first bad seq or 0, last hash, problem)."""
    sha = hashlib.sha256
    expected, prev = after_seq + 1, after_hash
    quoted: dict[str, str] = {}  # kinds repeat: each is quoted once
    prev_q = _q(prev)
    # chain.body_text inlined (a call per event is a tenth of the walk); test_anchors proves them equal.
    for (
        seq,
        at,
        kind,
        card,
        actor,
        witness,
        session,
        stocktake,
        device,
        source,
        payload,
        link,
        digest,
    ) in rows:
        if seq != expected:
            return expected - 1, expected, prev, f"event {expected} is missing (next stored is {seq})"
        if link != prev:
            return seq - 1, seq, prev, "link to the previous event is broken (deleted, inserted or reordered)"
        if type(at) is str and len(at) == 26 and at[10] == " ":
            at = f"{at[:10]}T{at[11:]}Z"
        else:
            at = at_text(at)
        kind_q = quoted.get(kind)
        if kind_q is None:
            kind_q = _q(kind)
            if len(quoted) < 256:
                quoted[kind] = kind_q
        body = (
            f'{{"actor":{"null" if actor is None else actor},"at":"{at}",'
            f'"card":{"null" if card is None else _q(card)},'
            f'"device":{"null" if device is None else _q(device)},'
            f'"kind":{kind_q},"payload":{_q(payload)},"prev":{prev_q},"seq":{seq},'
            f'"session":{"null" if session is None else session},'
            f'"source":{"null" if source is None else _q(source)},'
            f'"stocktake":{"null" if stocktake is None else stocktake},'
            f'"witness":{"null" if witness is None else witness}}}'
        )
        if sha(body.encode()).hexdigest() != digest:
            return seq - 1, seq, prev, "content does not match its hash (edited)"
        prev = digest
        prev_q = f'"{digest}"'  # a hex digest (it matched one): nothing to escape
        expected += 1
    return expected - 1, 0, prev, None


def check_sqlite(database: str, upto: int, after: int = 0, after_hash: str = GENESIS_HASH) -> dict[str, Any]:
    """Check events after..upto of a SQLite ledger (event `after` carrying `after_hash`), in one read
    transaction of its own."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        conn.execute("BEGIN")
        last, bad, _, problem = check_rows(conn.execute(CHAIN_SQL, (after, upto)), after, after_hash)
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    return {"last": last, "bad": bad, "problem": problem}


def main() -> None:
    after = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    after_hash = sys.argv[4] if len(sys.argv) > 4 else GENESIS_HASH
    sys.stdout.write(json.dumps(check_sqlite(sys.argv[1], int(sys.argv[2]), after, after_hash)) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
