"""`kiosk verify`: recompute the hash chain and rebuild every projection from the events, in one pass.

Catches an edited event (its hash no longer matches), a deleted one (a gap in the sequence, or a broken
link), an inserted one (a broken link or an event past the recorded head), a reordering (broken links),
a rewrite of history before an anchor (the chain no longer holds the anchor's hash), and any table that
disagrees with what the events say (see kiosk.ledger.projections), naming the first disagreement, and
an event of a kind the event-kind registry (`kiosk.domain.events`) does not name.

Speed: one read transaction, the events streamed in keyset pages as plain tuples; a page's sequence and
links compared in C; the canonical encoding of `kiosk.ledger.chain` built by one f-string (a test proves
it is byte for byte the same); cards folded as lists by `card_state.apply_row`, the fold the writers use,
except the status events with one transition and the receipts, done in place here (the projections'
comparison proves them against the writers' rows). `python -m bench.verify_bench` measures this on one
core against one read-and-hash pass (`verify_over_hash_pass`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from json.encoder import encode_basestring as _q
from operator import itemgetter
from typing import Any

from kiosk.domain import card_state
from kiosk.domain.card_state import CARD_EVENTS, STATUS_EVENTS
from kiosk.domain.events import KINDS
from kiosk.domain.status import TRANSITIONS, Action, CardStatus, TransitionRefused
from kiosk.ledger.anchors import Anchor
from kiosk.ledger.chain import GENESIS_HASH, body_text
from kiosk.ledger.chain_check import at_text as _at_text
from kiosk.ledger.engine import sqlite_database
from kiosk.ledger.projections import Disagreement, Rebuild, decode
from kiosk.ledger.service import Ledger

log = logging.getLogger(__name__)

# Rows per page. SQLite: 4,096, whose tuples stay in the CPU's cache while the page is checked (20,000
# read 1M events in 1.93 s of CPU against 1.75 s, a twentieth of verify); PostgreSQL: 20,000, as each
# page is a round trip.
_PAGE = 4096
_PG_PAGE = 20000
# The fold's read. Events up to `hashed_upto` (the first parameter, twice) were hashed and linked by the
# helper process, so their hashes are not read again: two fewer strings per row. (Leaving out the time of
# the card events whose fold never reads it cost more in SQL than it saved.)
_EVENTS_SQL = (
    "SELECT seq, at, kind, card_id, actor_id, witness_id, session_id, stocktake_id, device, source, "
    "payload, CASE WHEN seq > ? THEN prev_hash END, CASE WHEN seq > ? THEN hash END "
    "FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
)
_CHAIN_SQL = (
    "SELECT seq, at, kind, card_id, actor_id, witness_id, session_id, stocktake_id, device, source, "
    "payload, prev_hash, hash FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
)
_CARDS_SQL = (
    "SELECT management_id, kind, status, location, batch, rfid_tag, applicant_ref, received_on, "
    "notice_sent_on, reminder_sent_on, closed_on, hold_reason, out_session_id, last_seq FROM cards "
    "WHERE management_id > ? ORDER BY management_id LIMIT ?"
)
_CARD_FIELDS = (
    "management_id",
    "kind",
    "status",
    "location",
    "batch",
    "rfid_tag",
    "applicant_ref",
    "received_on",
    "notice_sent_on",
    "reminder_sent_on",
    "closed_on",
    "hold_reason",
    "out_session_id",
    "last_seq",
)
_DATE_FIELDS = frozenset(range(7, 11))
_RFID = card_state.RFID_BOUND
_sha256 = hashlib.sha256
_LINK, _DIGEST = itemgetter(11), itemgetter(12)  # a read row's stored link and hash


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Result of a verification. `first_bad_seq` is None when the ledger is intact."""

    events: int
    head_seq: int
    head_hash: str
    cards: int
    first_bad_seq: int | None = None
    problem: str = ""
    disagreement: Disagreement | None = None
    anchors: int = 0  # anchors proven held

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None and not self.problem


# -- one read transaction ---------------------------------------------------------------------


class _Snapshot:
    """Queries (qmark style) inside one read transaction, as plain tuples."""

    def __init__(self, cursor_factory: Any, pg: bool) -> None:
        self._cursor = cursor_factory
        self._pg = pg
        self.page = _PG_PAGE if pg else _PAGE

    def fetch(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows as the driver's list (no copy)."""
        cur = self._cursor()
        cur.execute(sql.replace("?", "%s") if self._pg else sql, params)
        rows: list[tuple[Any, ...]] = cur.fetchall()
        return rows

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        cur = self._cursor()
        cur.execute(sql.replace("?", "%s") if self._pg else sql, params)
        return iter(cur.fetchall())

    def dicts(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        cur = self._cursor()
        cur.execute(sql.replace("?", "%s") if self._pg else sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@contextmanager
def snapshot(ledger: Ledger) -> Iterator[_Snapshot]:
    """A consistent view of the whole ledger (SQLite: one read transaction; PostgreSQL: REPEATABLE READ)."""
    pg = ledger.engine.dialect.name == "postgresql"
    raw = ledger.engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert dbapi is not None
        if pg:
            raw.rollback()
            cur = dbapi.cursor()
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        else:
            dbapi.execute("BEGIN")
        try:
            yield _Snapshot(dbapi.cursor, pg)
        finally:
            if pg:
                raw.rollback()
            else:
                dbapi.execute("ROLLBACK")
    finally:
        raw.close()


def _batches(
    snap: _Snapshot, sql: str, after: Any, params: tuple[Any, ...] = ()
) -> Iterator[list[tuple[Any, ...]]]:
    """Keyset pages of `sql` (its last two parameters: after the key, how many); `params` come first.

    Pages keep PostgreSQL's client-side cursor in constant memory; a caller looping over a million rows
    iterates each page itself (a generator step per row costs more than the row's check).
    """
    while True:
        batch = snap.fetch(sql, (*params, after, snap.page))
        if not batch:
            return
        yield batch
        after = batch[-1][0]


def _pages(snap: _Snapshot, sql: str, after: Any, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The rows of `_batches`, one by one."""
    for batch in _batches(snap, sql, after, params):
        yield from batch


# -- small queries the start-up check uses ----------------------------------------------------


def head_and_last(ledger: Ledger) -> tuple[int, str, int]:
    """(head seq, head hash, last event's seq) in one statement, so one snapshot on every backend."""
    with snapshot(ledger) as snap:
        row = next(
            snap.rows(
                "SELECT h.seq, h.hash, (SELECT max(seq) FROM events) FROM ledger_head h WHERE h.id = 1"
            ),
            None,
        )
    if row is None:
        return 0, GENESIS_HASH, 0
    return int(row[0]), str(row[1]), int(row[2] or 0)


def stored_hashes(ledger: Ledger, seqs: Sequence[int]) -> dict[int, str]:
    """The stored hashes of the events `seqs` (those that exist)."""
    if not seqs:
        return {}
    marks = ",".join("?" for _ in seqs)
    with snapshot(ledger) as snap:
        return {
            int(s): str(h)
            for s, h in snap.rows(f"SELECT seq, hash FROM events WHERE seq IN ({marks})", tuple(seqs))  # noqa: S608
        }


# -- the chain --------------------------------------------------------------------------------


def verify_chain(
    ledger: Ledger, after_seq: int = 0, after_hash: str = GENESIS_HASH
) -> tuple[int, str] | None:
    """Hashes and links of every event after `after_seq` (which must carry `after_hash`), and the head.

    A long stretch of a SQLite ledger is split in two: a helper process checks the first half while
    this one checks the second (from the first half's last stored hash, which the helper proves).
    Returns (first bad seq, what is wrong) or None. The start-up check runs this from its checkpoint.
    """
    database = sqlite_database(ledger.engine)
    head = ledger.head()[0]
    if database is None or head - after_seq < PARALLEL_FROM:
        return _verify_chain(ledger, after_seq, after_hash)
    middle = after_seq + (head - after_seq) // 2
    helper = subprocess.Popen(  # noqa: S603 (this interpreter, our own module; no shell)
        [
            sys.executable,
            "-m",
            "kiosk.ledger.chain_check",
            str(database),
            str(middle),
            str(after_seq),
            after_hash,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        boundary = stored_hashes(ledger, [middle]).get(middle)
        second = (
            _verify_chain(ledger, middle, boundary) if boundary is not None else (middle, "event missing")
        )
    finally:
        out, err = helper.communicate()
    if helper.returncode != 0:
        log.warning("the chain helper failed (%s); checking in one process", err.strip()[-200:])
        return _verify_chain(ledger, after_seq, after_hash)
    first = json.loads(out)
    if first["bad"]:
        return int(first["bad"]), str(first["problem"])
    if int(first["last"]) != middle:
        return int(first["last"]) + 1, f"event {int(first['last']) + 1} is missing"
    return second


def _verify_chain(ledger: Ledger, after_seq: int, after_hash: str) -> tuple[int, str] | None:
    """`verify_chain` in this process.

    Returns (first bad seq, what is wrong) or None. The start-up check runs this from its checkpoint.
    """
    with snapshot(ledger) as snap:
        head = next(snap.rows("SELECT seq, hash FROM ledger_head WHERE id = 1"), None)
        head_seq, head_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)
        expected, prev = after_seq + 1, after_hash
        for row in _pages(snap, _CHAIN_SQL, after_seq):
            seq = row[0]
            if seq != expected:
                return expected, f"event {expected} is missing (next stored is {seq})"
            if row[11] != prev:
                return seq, "link to the previous event is broken (deleted, inserted or reordered)"
            body = body_text(seq, _at_text(row[1]), *row[2:12])
            if _sha256(body.encode()).hexdigest() != row[12]:
                return seq, "content does not match its hash (edited)"
            prev = row[12]
            expected += 1
        if expected - 1 != head_seq or prev != head_hash:
            return min(expected - 1, head_seq) + 1, "the recorded head does not match the last event"
    return None


_NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)  # for the events whose fold never reads the time

# One lookup per event says what the fold does with it. The status events most of a ledger is made of
# (a card stored, taken out, put back) change a card from one status to one other, its location when the
# payload names one, its session and its last seq: the fold does that in place on the card's list
# (`_TAKE` sets the session, `_CLEAR` clears it, `_KEEP` leaves it), the status machine's one transition
# for that kind checked by identity. Anything else goes through `card_state.apply_row`, the writers' fold:
# another card event whose fold never reads the time (`_CARD`), a card's receipt (`_RECEIPT`: built here,
# its office date looked up by the hour), another that reads the time (`_CARD_TIMED`), another registered
# kind (`_OTHER`), or a kind the event-kind registry does not name (`_UNNAMED`, reported). From
# `_RECEIPT` on, the fold reads the event's time.
_TAKE, _CLEAR, _KEEP, _CARD, _RECEIPT, _CARD_TIMED, _OTHER, _UNNAMED = range(8)
_SAME, _UNKNOWN = object(), object()  # a status event's payload names no location / not yet decoded


def _kind_info(kind: str) -> tuple[int, str, CardStatus | None, CardStatus | None]:
    """(class, the kind as the chain quotes it, the one status it moves a card from, to)."""
    if kind not in KINDS:
        return _UNNAMED, _q(kind), None, None
    if kind not in CARD_EVENTS:
        return _OTHER, _q(kind), None, None
    action = STATUS_EVENTS.get(kind)
    moves = [(src, dst) for (src, act), dst in TRANSITIONS.items() if act is action]
    if action is None or action in (Action.RECEIVE, Action.FOUND) or kind in card_state.USES_TIME:
        moves = []
    if action is Action.RECEIVE:
        return _RECEIPT, _q(kind), None, None
    if len(moves) != 1:
        return (_CARD_TIMED if kind in card_state.USES_TIME else _CARD), _q(kind), None, None
    klass = _TAKE if action is Action.TAKE_OUT else _CLEAR if action in card_state.CLEARS_OUT else _KEEP
    return klass, _q(kind), moves[0][0], moves[0][1]


_KIND_INFO = {kind: _kind_info(kind) for kind in KINDS}


def _parse_at(text: str) -> datetime:
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


# From this many events on, a SQLite ledger's hashes are checked by a helper process (the second core)
# while this process folds the projections.
PARALLEL_FROM = 200_000


def verify(ledger: Ledger, anchors: Iterable[Anchor] = (), *, helper: bool = True) -> VerifyReport:
    """Recompute everything from the events: the chain, the head, every anchor given, every projection.

    `helper=False` checks everything in this one process (the benchmark's single-core measure)."""
    # The file from the engine itself: `kiosk.config` (pydantic and its settings) was imported here
    # for it, a fixed 0.15 s of every verify run outside the CLI (the bench's, a test's).
    anchors = list(anchors)
    database = sqlite_database(ledger.engine)
    upto = ledger.head()[0] if database is not None else 0
    if database is None or upto < PARALLEL_FROM or not helper:
        return _verify(ledger, anchors, hashed_upto=0)
    child = subprocess.Popen(  # noqa: S603 (this interpreter, our own module; no shell)
        [sys.executable, "-m", "kiosk.ledger.chain_check", str(database), str(upto)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        report = _verify(ledger, anchors, hashed_upto=upto)
    finally:
        out, err = child.communicate()
    if child.returncode != 0:
        log.warning("the chain helper failed (%s); verifying in one process", err.strip()[-200:])
        return _verify(ledger, anchors, hashed_upto=0)
    result = json.loads(out)
    bad = int(result["bad"])
    if bad and (report.ok or report.disagreement is not None or bad <= (report.first_bad_seq or bad)):
        # A chain problem comes before any table disagreement, and the earlier seq wins.
        return VerifyReport(bad - 1, report.head_seq, report.head_hash, 0, bad, str(result["problem"]))
    return report


def _verify(ledger: Ledger, anchors: Iterable[Anchor], *, hashed_upto: int) -> VerifyReport:
    """`verify`; the hashes and links of events up to `hashed_upto` are checked elsewhere (by the helper).

    One loop over each page of plain tuples, every per-event step inlined (a call per event costs about
    as much as a field's check): the chain's canonical text (`chain.body_text`, byte for byte),
    the payload's decoding and quoting cached for the short payloads that repeat, and the card fold in
    place for the status events that are most of a ledger (see `_KIND_INFO`).
    """
    wanted: dict[int, Anchor] = {}
    for anchor in anchors:
        wanted.setdefault(anchor.seq, anchor)
    apply_row = card_state.apply_row
    infos = dict(_KIND_INFO)
    sha, q, at_text_of = _sha256, _q, _at_text
    decoded: dict[str, Any] = {}  # payload text -> its value (payloads repeat: {"location":"safe"})
    # payload text -> (as the chain quotes it, the location a status event with it sets, _SAME when it
    # names none, or _UNKNOWN until apply_row has folded one such event with it)
    payloads: dict[str, tuple[str, Any]] = {}
    # Every time the card fold reads is the office's date, the same for any time in one UTC hour (Japan's
    # offset is whole hours): one parse per hour.
    hours: dict[str, datetime] = {}  # a UTC hour ("2026-12-07T05") -> an event time within it
    days: dict[str, date] = {}  # a UTC hour -> the office's date then
    received = CardStatus.RECEIVED
    same, unknown = _SAME, _UNKNOWN
    cards: dict[str, list[Any]] = {}
    cards_get = cards.get
    rebuild = Rebuild(ledger.pepper)
    sessions = rebuild.sessions
    sessions_get = sessions.get
    unnamed: tuple[int, str] | None = None  # the first event of a kind without names
    expected = 1  # the next seq; expected - 1 events were read
    with snapshot(ledger) as snap:
        head = next(snap.rows("SELECT seq, hash FROM ledger_head WHERE id = 1"), None)
        head_seq, head_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)

        def bad(seq: int, problem: str, read: int) -> VerifyReport:
            return VerifyReport(read, head_seq, head_hash, len(cards), seq, problem)

        def stored_hash(seq: int) -> str | None:
            if seq == 0:
                return GENESIS_HASH
            found = next(snap.rows("SELECT hash FROM events WHERE seq = ?", (seq,)), None)
            return None if found is None else str(found[0])

        # The anchors' stored hashes up to hashed_upto (not read with the events, see _EVENTS_SQL).
        held = {a: stored_hash(a) for a in wanted if a <= hashed_upto}
        # The last hash checked: the helper proved the chain up to hashed_upto.
        prev = GENESIS_HASH if hashed_upto == 0 else stored_hash(hashed_upto)
        # Alone, the plain read: every hash is checked here (CASE per row costs the SQL a little).
        pages = (
            _batches(snap, _CHAIN_SQL, 0)
            if hashed_upto == 0
            else _batches(snap, _EVENTS_SQL, 0, (hashed_upto, hashed_upto))
        )
        for batch in pages:
            # The sequence and the links of a whole page, compared in C: seqs are unique and ordered, so
            # the first and the last say there is no gap; each stored link must be the previous stored
            # hash. The rows walk below stops before the first row that breaks either, and that row's
            # problem is reported there, after any problem of an earlier row (as a row-by-row walk would).
            size = len(batch)
            stop, stop_problem = size, ""
            if batch[0][0] != expected or batch[-1][0] != expected + size - 1:
                stop = next(i for i, r in enumerate(batch) if r[0] != expected + i)
                stop_problem = f"event {expected + stop} is missing (next stored is {batch[stop][0]})"
            linked = max(0, hashed_upto + 1 - expected)  # the first row whose link is checked here
            if linked < stop:
                links = list(map(_LINK, batch[linked:stop]))
                # The row before `linked` is the previous page's last or event hashed_upto: `prev`.
                digests = [prev]
                digests += map(_DIGEST, batch[linked : stop - 1])
                if links != digests:
                    stop = linked + next(
                        i for i, (a, b) in enumerate(zip(links, digests, strict=True)) if a != b
                    )
                    stop_problem = "link to the previous event is broken (deleted, inserted or reordered)"
            for (
                seq,
                at,
                kind,
                card_id,
                actor,
                witness,
                session,
                stocktake,
                device,
                source,
                payload,
                prev_hash,
                digest,
            ) in batch[:stop] if stop < size else batch:
                info = infos.get(kind)
                if info is None:
                    info = _kind_info(kind)
                    if len(infos) < 1024:
                        infos[kind] = info
                klass, kind_q, moves_from, moves_to = info
                quoting = payloads.get(payload)
                if quoting is None:
                    quoting = (q(payload), unknown)
                    if len(payload) < 100 and len(payloads) < 4096:
                        payloads[payload] = quoting
                payload_q, location = quoting
                if seq > hashed_upto:
                    if type(at) is str and len(at) == 26:
                        at_text = f"{at[:10]}T{at[11:]}Z"  # SQLite's text: at_text's answer, faster
                    else:
                        at_text = at_text_of(at)
                    # chain.body_text inlined. "prev" unquoted: the link equals the previous stored
                    # hash (checked above), which is hex or its event fails here or in the helper.
                    body = (
                        f'{{"actor":{"null" if actor is None else actor},"at":"{at_text}",'
                        f'"card":{"null" if card_id is None else q(card_id)},'
                        f'"device":{"null" if device is None else q(device)},'
                        f'"kind":{kind_q},"payload":{payload_q},"prev":"{prev_hash}","seq":{seq},'
                        f'"session":{"null" if session is None else session},'
                        f'"source":{"null" if source is None else q(source)},'
                        f'"stocktake":{"null" if stocktake is None else stocktake},'
                        f'"witness":{"null" if witness is None else witness}}}'
                    )
                    if sha(body.encode()).hexdigest() != digest:
                        return bad(seq, "content does not match its hash (edited)", seq - 1)
                elif klass >= _RECEIPT:
                    at_text = at_text_of(at)  # for a fold that reads the time (most card events do not)
                else:
                    at_text = ""
                if seq in wanted and wanted[seq].hash != (held[seq] if digest is None else digest):
                    return bad(
                        seq,
                        f"the chain does not hold anchor {wanted[seq].text}: history was rewritten",
                        seq - 1,
                    )
                try:
                    # A status event with its one transition: what apply_row would return, in place. (Not
                    # a status event: moves_from is None, never a card's status.)
                    row = cards_get(card_id)
                    if row is not None and row[2] is moves_from and location is not unknown:
                        row[2] = moves_to
                        if location is not same:
                            row[3] = location
                        if klass == _TAKE:
                            row[12] = session
                            if session is not None:
                                opened = sessions_get(session)
                                if opened is not None and opened["closed_at"] is not None:
                                    rebuild.card_taken_out(seq, card_id, session)
                        elif klass == _CLEAR:
                            row[12] = None
                        row[13] = seq
                        continue
                    data = decoded.get(payload)
                    if data is None:
                        data = decode(payload)
                        if len(payload) < 100 and len(decoded) < 4096:
                            decoded[payload] = data  # never mutated
                    if klass == _RECEIPT and card_id is not None and row is None and type(data) is dict:
                        # apply_row's receipt (a card not yet seen), its office date by the hour.
                        day = days.get(at_text[:13])
                        if day is None:
                            day = card_state.office_date(_parse_at(at_text))
                            if len(days) < 65536:
                                days[at_text[:13]] = day
                        cards[card_id] = [
                            card_id,
                            str(data["kind"]),
                            received,
                            data.get("location"),
                            data.get("batch"),
                            None,
                            None,
                            day,
                            None,
                            None,
                            None,
                            None,
                            None,
                            seq,
                        ]
                    elif klass < _OTHER and card_id is not None:
                        if klass >= _RECEIPT:
                            when = hours.get(at_text[:13])
                            if when is None:
                                when = _parse_at(at_text)
                                if len(hours) < 65536:
                                    hours[at_text[:13]] = when
                        else:
                            when = _NO_TIME
                        cards[card_id] = list(apply_row(row, kind, card_id, data, when, seq, session))
                        if klass <= _KEEP and type(data) is dict and payload in payloads:
                            payloads[payload] = (payload_q, data.get("location", same))
                        if klass == _TAKE:
                            opened = sessions_get(session) if session is not None else None
                            if opened is not None and opened["closed_at"] is not None:
                                rebuild.card_taken_out(seq, card_id, session)
                        elif kind == _RFID:
                            rebuild.rfid_bound(seq, card_id, data)
                    else:
                        if klass == _UNNAMED and unnamed is None:
                            unnamed = (seq, kind)
                        rebuild.feed(
                            seq,
                            at_text,
                            kind,
                            card_id,
                            actor,
                            witness,
                            session,
                            stocktake,
                            device,
                            source,
                            data,
                            cards,
                            snap,
                        )
                except (TransitionRefused, KeyError, ValueError, TypeError) as exc:
                    return bad(seq, f"event breaks the rules of its kind: {exc}", seq - 1)
            if stop < size:
                return bad(expected + stop, stop_problem, expected + stop - 1)
            expected += size
            if hashed_upto < expected - 1:
                prev = batch[-1][12]

        count = expected - 1
        last_hash = prev if count > hashed_upto else stored_hash(count)
        if count != head_seq or last_hash != head_hash:
            # Events after the head were inserted, or the tail was removed and the head left behind.
            return bad(min(count, head_seq) + 1, "the recorded head does not match the last event", count)
        if unnamed is not None:
            return bad(unnamed[0], f"event kind {unnamed[1]!r} is not in the event-kind registry", count)
        beyond = [a for a in wanted.values() if a.seq > head_seq]
        if beyond:
            a = min(beyond, key=lambda x: x.seq)
            return bad(
                head_seq + 1,
                f"the chain ends at seq {head_seq}, before anchor {a.cite()}: an older copy, lost "
                "events or a wipe",
                count,
            )
        problem = _compare_cards(snap, cards) or rebuild.compare(snap, cards)
    if problem is not None:
        seq = problem.seq if problem.seq is not None else 0
        return VerifyReport(count, head_seq, head_hash, len(cards), seq, str(problem), problem)
    return VerifyReport(count, head_seq, head_hash, len(cards), anchors=len(wanted))


def _norm_card(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(
        (v.value if isinstance(v, CardStatus) else v.isoformat() if isinstance(v, date) else v) for v in row
    )


def _norm_stored(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        (
            str(v)[:10]
            if i in _DATE_FIELDS and v is not None and not isinstance(v, date)
            else v.isoformat()
            if isinstance(v, date)
            else v
        )
        for i, v in enumerate(row)
    )


def _compare_cards(snap: _Snapshot, replayed: dict[str, list[Any]]) -> Disagreement | None:
    first: Disagreement | None = None
    seen = 0

    def keep(candidate: Disagreement) -> None:
        nonlocal first
        if first is None or (candidate.seq or 0) < (first.seq or 0):
            first = candidate

    for stored in _pages(snap, _CARDS_SQL, ""):
        mid = stored[0]
        want = replayed.get(mid)
        if want is None:
            keep(
                Disagreement("cards", f"card {mid}", "(row)", "is in the table but has no events", stored[13])
            )
            continue
        seen += 1
        # Fast path: the fold's row with its dates as text equals the stored row as read (a status is a
        # StrEnum, equal to its text). Only a row that differs is normalised field by field.
        received, notice, reminder, closed = want[7], want[8], want[9], want[10]
        if stored == (
            *want[:7],
            received and received.isoformat(),
            notice and notice.isoformat(),
            reminder and reminder.isoformat(),
            closed and closed.isoformat(),
            *want[11:],
        ):
            continue
        got, exp = _norm_stored(stored), _norm_card(want)
        if got != exp:
            diff = next(i for i in range(len(exp)) if got[i] != exp[i])
            keep(
                Disagreement(
                    "cards",
                    f"card {mid}",
                    _CARD_FIELDS[diff],
                    f"is {got[diff]!r}, the events say {exp[diff]!r}",
                    want[13],
                )
            )
    if seen != len(replayed):
        stored_ids = {
            r[0]
            for r in _pages(
                snap,
                "SELECT management_id FROM cards WHERE management_id > ? ORDER BY management_id LIMIT ?",
                "",
            )
        }
        for mid, want in replayed.items():
            if mid not in stored_ids:
                keep(Disagreement("cards", f"card {mid}", "(row)", "has events but no row", want[13]))
    return first
