"""The ledger service: every unit of work is one transaction that appends events and updates projections.

Callers get frozen dataclasses (`CardState`, `StaffMember`, `EventRecord`, `Verdict`), never live ORM
objects. Each write locks the chain head first (BEGIN IMMEDIATE on SQLite, SELECT … FOR UPDATE on
PostgreSQL), which orders appends across kiosks and makes "two kiosks take the same card" a clean race
with exactly one winner.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import (
    BindParameter,
    Connection,
    Engine,
    Row,
    Table,
    Transaction,
    and_,
    bindparam,
    event,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from kiosk.domain import card_state
from kiosk.domain.authz import Act, NotAllowed, authorize
from kiosk.domain.card_state import CardState
from kiosk.domain.delivery import DeliveryLine
from kiosk.domain.events import (
    EventKind,
    IntegrityAlert,
    JournalKept,
    Payload,
    PinChanged,
    Refused,
    encode,
)
from kiosk.domain.guard import guard_payload, guard_text, validate_digest
from kiosk.domain.safe_session import Booking
from kiosk.domain.staff import (
    DEFAULT_LOCKOUT_MINUTES,
    MAX_FAILED_ATTEMPTS,
    AuthError,
    Role,
    StaffMember,
    check_pin,
    hash_pin,
    normalize_badge,
    pin_mac,
    row_bound,
    validate_pin,
)
from kiosk.domain.status import CardStatus
from kiosk.fs import make_private_dir
from kiosk.ledger import models
from kiosk.ledger.chain import EventRecord, body_text, canonical_json, format_time
from kiosk.ledger.engine import READ_ONLY, make_engine, sqlite_statement, upgrade
from kiosk.ledger.guard_hook import check_row, install_guard
from kiosk.ledger.meta import seal, staff_sealed
from kiosk.ledger.staff_journal import SIGN_IN_KINDS
from kiosk.ledger.statements import Prepared, send

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.ledger.watch import Hold, LedgerWatch

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_record(row: models.Event) -> EventRecord:
    return EventRecord(
        seq=row.seq,
        at=row.at,
        kind=row.kind,
        card_id=row.card_id,
        actor_id=row.actor_id,
        witness_id=row.witness_id,
        session_id=row.session_id,
        stocktake_id=row.stocktake_id,
        device=row.device,
        source=row.source,
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def to_card_state(row: models.Card | Row[Any]) -> CardState:
    return CardState(
        management_id=row.management_id,
        kind=row.kind,
        status=CardStatus(row.status),
        location=row.location,
        batch=row.batch,
        rfid_tag=row.rfid_tag,
        applicant_ref=row.applicant_ref,
        received_on=row.received_on,
        notice_sent_on=row.notice_sent_on,
        reminder_sent_on=row.reminder_sent_on,
        closed_on=row.closed_on,
        hold_reason=row.hold_reason,
        out_session_id=row.out_session_id,
        last_seq=row.last_seq,
    )


class _StaffFields(Protocol):
    """A staff row as the ORM loads it or as a plain select of its columns returns it."""

    id: int
    name: str
    badge: str
    role: str
    rank: int | None
    active: bool
    failed_attempts: int
    employee_no: str | None
    locked_at: datetime | None
    pin_change_due: bool


def to_staff(row: _StaffFields) -> StaffMember:
    return StaffMember(
        id=row.id,
        name=row.name,
        badge=row.badge,
        role=Role(row.role),
        rank=row.rank,
        active=row.active,
        failed_attempts=row.failed_attempts,
        employee_no=row.employee_no or "",
        locked_at=row.locked_at,
        pin_change_due=bool(row.pin_change_due),
    )


# The tables the hot path (every write: head, people, session; every scan: event, card) reaches with
# plain statements rather than ORM rows.
_STAFF = cast(Table, models.Staff.__table__)
_EVENTS = cast(Table, models.Event.__table__)
_CARDS = cast(Table, models.Card.__table__)
_HEAD = cast(Table, models.LedgerHead.__table__)
_READ_CARD = Prepared(select(_CARDS).where(_CARDS.c.management_id == bindparam("mid")))
_INSERT_CARD = Prepared(_CARDS.insert())
_UPDATE_CARD = Prepared(_CARDS.update().where(_CARDS.c.management_id == bindparam("mid")))
_INSERT_EVENT = Prepared(_EVENTS.insert())
_PERSON_COLUMNS = (
    *("id", "name", "badge", "role", "rank", "active"),
    *("failed_attempts", "employee_no", "locked_at"),
    *("pin_change_due", "pin_hash", "row_mac"),
)
_READ_PERSON = Prepared(
    select(*(_STAFF.c[name] for name in _PERSON_COLUMNS)).where(_STAFF.c.id == bindparam("id"))
)


def _connection(where: Connection | Session) -> Connection:
    return where.connection() if isinstance(where, Session) else where


class StaffRowTampered(NotAllowed):
    """A staff row edited outside the core: refused, and raised as an alert.

    `check`: "row_mac" (the row does not carry its MAC) or "staff_history" (it carries a MAC, but its
    role, rank, active, lock or one-time PIN state is not what the chain's staff events made it: an
    older version of the row put back, e.g. a deactivated member made active again with the MAC the
    row had before)."""

    def __init__(self, staff_id: int, check: str = "row_mac") -> None:
        self.staff_id = staff_id
        self.check = check
        what = "its MAC does not match" if check == "row_mac" else "not what the chain's staff events made it"
        super().__init__("integrity", f"staff row {staff_id} was changed outside the kiosk ({what})")


# The events that change a staff row (`projections.Rebuild._staff` folds them, as verify does).
_STAFF_KINDS = tuple(
    k.value
    for k in EventKind
    if k.value.startswith("staff_") or k in (EventKind.AUTH_FAILED, EventKind.SIGNED_IN)
)


# The kind compared as an expression, so that no planner walks the kind's index (every sign-in of years)
# where the primary key's range from `fold_upto` holds a few events: `kind || ''` is the kind.
_UNINDEXED_KIND = _EVENTS.c.kind.concat("")


class StaffFold:
    """The staff rows' authorising fields as the chain's staff events make them, up to `upto`.

    The row MAC proves a row was written by the core, not that it is the newest one: a row put back as it
    was before a deactivation carries a valid MAC. Each act's people are therefore also held to this
    fold (`holds`). It is built at a process's first act (the staff events only, by their kind's index)
    and brought up to the head the act read in the same statement as the rows, from the events after
    `upto`: none, when the last unit was this process's own and wrote no staff event (`moved`), or the
    scan's facts statement found none since (`nothing_since`). One lock: units of several threads (on
    PostgreSQL they run at once) never see a fold half read, nor one past the head their rows were read at.
    """

    def __init__(self, pepper: bytes) -> None:
        self.pepper = pepper
        self.upto = -1  # not built
        self.members: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def holds(self, conn: Connection, head: int, row: Any, *, pin: bool = False) -> bool:
        """Whether `row` (role, rank, active, lock, one-time PIN), read at `head`, is what the events made.

        `pin` (a sign-in, a PIN change): also whether its PIN hash is the newest one the chain names
        (`PinChanged`), by the row's `pin_mac`; a member whose PIN events predate that is not asked.
        """
        with self._lock:
            self._catch_up(conn, head)
            member = self.members.get(int(row.id))
            if member is None:
                return False  # a row no staff_added event made
            newest_pin = member.get("pin_mac")
            return (
                str(row.role) == member["role"]
                and row.rank == member["rank"]
                and int(bool(row.active)) == int(member["active"])
                and int(bool(row.pin_change_due)) == int(member["pin_change_due"])
                and (row.locked_at is None) == (member["locked_at"] is None)
                and (not pin or newest_pin is None or row.pin_mac == newest_pin)
            )

    def nothing_since(self, upto: int, head: int) -> None:
        """No staff event came after `upto` up to `head` (the scan's facts statement said so)."""
        with self._lock:
            if 0 <= self.upto == upto < head:
                self.upto = head

    def moved(self, base: int, head: int) -> None:
        """This process's own unit moved the chain from `base` to `head` without a staff event."""
        with self._lock:
            if self.upto == base:
                self.upto = head

    def catch_up(self, conn: Connection, head: int) -> None:
        with self._lock:
            self._catch_up(conn, head)

    def _catch_up(self, conn: Connection, head: int) -> None:
        if head < self.upto:  # rows read at an older head (a restored copy, another thread): anew
            self.upto, self.members = -1, {}
        if self.upto >= head:
            return
        from kiosk.ledger.chain_check import at_text
        from kiosk.ledger.projections import Rebuild, decode

        ev = _EVENTS.c
        query = select(ev.seq, ev.at, ev.kind, ev.actor_id, ev.payload)
        if self.upto >= 0:
            # The few events since: the primary key's range, never the kind's index.
            query = query.where(ev.seq > self.upto, _UNINDEXED_KIND.in_(_STAFF_KINDS))
        else:
            query = query.where(ev.kind.in_(_STAFF_KINDS))  # every staff event: the kind's index
        rebuild = Rebuild(self.pepper)
        # Folded on a copy: a read that fails leaves the fold as it was.
        rebuild.staff = {sid: dict(member) for sid, member in self.members.items()}
        for seq, at, kind, actor, payload in conn.execute(query.order_by(ev.seq)):
            if seq <= head:  # not past the head the rows were read with
                data = decode(payload)
                rebuild.feed_staff(seq, at_text(at), kind, actor, data if isinstance(data, dict) else {})
        self.members, self.upto = rebuild.staff, head


@dataclass(frozen=True, slots=True)
class Acting:
    """Who does the command now running, with whom: re-read and authorised inside every write of it.

    The application core opens each of its units with one (`Ledger.unit(acting)`); the unit then re-reads
    each person with the chain head locked — so a member deactivated, locked or demoted a moment ago cannot
    act on a snapshot the caller still holds — and asks the authorisation table. `session_id` names the
    open safe session whose people alone may do an in-session act.
    """

    act: Act
    actor_id: int
    second_id: int | None = None
    session_id: int | None = None


SESSION_JOINED = EventKind.SESSION_JOINED

_SAFE_SESSIONS = cast(Table, models.SafeSession.__table__)
_SID: BindParameter[int] = bindparam("sid")
# One statement for every write in a session: the pair who opened it (first row, tagged 0) and each
# `session_joined` event's person (tagged 1), found through ix_events_session_kind.
_SESSION_PEOPLE = Prepared(
    union_all(
        select(
            literal(0).label("tag"),
            _SAFE_SESSIONS.c.operator_id,
            _SAFE_SESSIONS.c.witness_id,
            _SAFE_SESSIONS.c.closed_at,
        ).where(_SAFE_SESSIONS.c.id == _SID),
        select(literal(1), _EVENTS.c.actor_id, null(), null()).where(
            _EVENTS.c.session_id == _SID, _EVENTS.c.kind == SESSION_JOINED
        ),
    )
)


def session_people(where: Connection | Session, session_id: int) -> set[int] | None:
    """The people of an open safe session (the two who opened it and those who joined), or None."""
    rows = _SESSION_PEOPLE.rows(_connection(where), {"sid": session_id})
    opened = [r for r in rows if r[0] == 0]
    if not opened or opened[0][3] is not None:
        return None
    people = {opened[0][1], opened[0][2]}
    people.update(r[1] for r in rows if r[0] == 1 and r[1] is not None)
    return people


_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class CardEventSpec:
    """One card event for `Unit.card_events` (fields: actor_id, witness_id, session_id, …)."""

    kind: str
    card_id: str
    payload: Payload | Mapping[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


def _event_columns(record: EventRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "at": record.at,
        "kind": record.kind,
        "card_id": record.card_id,
        "actor_id": record.actor_id,
        "witness_id": record.witness_id,
        "session_id": record.session_id,
        "stocktake_id": record.stocktake_id,
        "device": record.device,
        "source": record.source,
        "payload": record.payload,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


def _card_columns(state: CardState) -> dict[str, Any]:
    return dict(zip(_CARD_COLUMNS, _card_values(state), strict=True))


def _card_values(state: CardState) -> tuple[Any, ...]:
    """The card's column values in `_CARD_COLUMNS` order (the status as its stored text)."""
    row = card_state.as_row(state)
    return (*row[:2], row[2].value, *row[3:])


CARD_FIELDS = (
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
_CARD_COLUMNS = ("management_id", *CARD_FIELDS)


_PICK_LIST = cast(Table, models.PickListEntry.__table__)
# Whether (and by whom) a card is booked for a day: read on every take-out, so a plain statement.
_BOOKING = Prepared(
    select(_PICK_LIST.c.booked_by).where(
        _PICK_LIST.c.day == bindparam("day"), _PICK_LIST.c.management_id == bindparam("mid")
    )
)


# Read under the write lock (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds it).
_READ_HEAD = Prepared(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update())
_MOVE_HEAD = Prepared(_HEAD.update().where(_HEAD.c.id == 1))
_HEAD_COLUMNS = ("seq", "hash")


# -- the facts of one scan, in one statement -------------------------------------------------------------
#
# A scan needs the head, the people who act (re-read: active, locked, role, rank, MAC), the open session
# and whether the actor joined it, the card and its booking for the day: one statement of left joins
# from the head's row, where they were five or six. On PostgreSQL it is read before the head is locked
# and the decision made on it; the lock is then taken for what must be ordered (head, event, card, head,
# commit), and the facts read once more only if another unit moved the head meanwhile (`ScanFacts`).
_A = _STAFF.alias("a")
_B = _STAFF.alias("b")
_S = _SAFE_SESSIONS.alias("ss")
_C = _CARDS.alias("c")
_P = _PICK_LIST.alias("p")
_CARD_KEYS = tuple(c.key for c in _CARDS.c)
_PersonRow = namedtuple("_PersonRow", _PERSON_COLUMNS)  # type: ignore[misc]
_CardRow = namedtuple("_CardRow", _CARD_KEYS)  # type: ignore[misc]
_SCAN_FACTS = Prepared(
    select(
        _HEAD.c.seq,
        _HEAD.c.hash,
        *(_A.c[name].label(f"a_{name}") for name in _PERSON_COLUMNS),
        *(_B.c[name].label(f"b_{name}") for name in _PERSON_COLUMNS),
        _S.c.operator_id.label("s_operator"),
        _S.c.witness_id.label("s_witness"),
        _S.c.closed_at.label("s_closed"),
        select(_EVENTS.c.seq)
        .where(
            _EVENTS.c.session_id == bindparam("sid"),
            _EVENTS.c.kind == SESSION_JOINED,
            _EVENTS.c.actor_id == bindparam("actor"),
        )
        .exists()
        .label("joined"),
        *(_C.c[key].label(f"c_{key}") for key in _CARD_KEYS),
        _P.c.management_id.label("p_booked"),
        _P.c.booked_by,
        # The newest staff event after what this process's staff fold holds (`StaffFold`): none, the
        # common case, and the fold needs no statement of its own. The kinds are constants of the
        # statement; the range is the primary key's, from `fold_upto` (far past the head until built).
        select(func.max(_EVENTS.c.seq))
        .where(
            _EVENTS.c.seq > bindparam("fold_upto"),
            or_(*(_UNINDEXED_KIND == kind for kind in _STAFF_KINDS)),  # noqa: SIM300 - a column, not a constant
        )
        .scalar_subquery()
        .label("staff_since"),
    )
    .select_from(
        _HEAD.outerjoin(_A, _A.c.id == bindparam("actor"))
        .outerjoin(_B, _B.c.id == bindparam("second"))
        .outerjoin(_S, _S.c.id == bindparam("sid"))
        .outerjoin(_C, _C.c.management_id == bindparam("mid"))
        .outerjoin(_P, and_(_P.c.day == bindparam("day"), _P.c.management_id == bindparam("mid")))
    )
    .where(_HEAD.c.id == 1)
)
_PEOPLE = len(_PERSON_COLUMNS)


class FactsChanged(Exception):
    """Another unit changed a fact this one decided on before it held the head: run it again, locked."""


@dataclass(frozen=True, slots=True)
class ScanFacts:
    """Ask `Ledger.unit` to read one card's facts in one statement (and, on PostgreSQL, before the lock)."""

    card_id: str


# A `fold_upto` past any head: the facts statement's staff check is empty until the fold is built.
_NEVER = 1 << 62

# Checked staff rows kept (a small office has tens of people; each PIN change or lock makes a new row).
_BOUND_ROWS_KEPT = 256


def _split_facts(
    row: Any,
) -> tuple[Any, Any, tuple[Any, ...] | None, bool, Any, Booking | None, int | None]:
    """(actor row, second row, session (operator, witness, closed_at) or None, joined, card row, booking,
    the newest staff event after the staff fold's)."""
    values = tuple(row)
    at = 2
    actor = values[at : at + _PEOPLE]
    second = values[at + _PEOPLE : at + 2 * _PEOPLE]
    at += 2 * _PEOPLE
    operator, witness, closed, joined = values[at : at + 4]
    at += 4
    card = values[at : at + len(_CARD_KEYS)]
    booked, booked_by, staff_since = values[at + len(_CARD_KEYS) :]
    return (
        _PersonRow._make(actor) if actor[0] is not None else None,
        _PersonRow._make(second) if second[0] is not None else None,
        (operator, witness, closed) if operator is not None else None,
        bool(joined),
        _CardRow._make(card) if card[0] is not None else None,
        Booking(booked_by) if booked is not None else None,
        staff_since,
    )


class Writer:
    """The ledger's one write connection: every unit of this process runs on it, one at a time.

    Through the pool, each unit paid a checkout (on PostgreSQL a `SELECT 1` ping) and, after its COMMIT,
    the pool's reset ROLLBACK: two statements more than the work itself, the ping inside a scan. This
    connection stays checked out, so a unit is BEGIN, its statements and COMMIT (or ROLLBACK), nothing
    else. A unit that starts while another thread's unit holds it takes a pool connection as before (the
    chain head orders the two either way); so does an in-memory SQLite engine (one database per
    connection).

    A lost connection (a PostgreSQL restart, a terminated backend, a network cut) is found by the first
    statement that uses it. When that is the unit's first statement (reading the head, before anything
    was written) the unit goes on on a new connection, so an idle kiosk never shows the loss. Anywhere
    else the unit fails as any storage failure does (`StorageError` at the desk, everything of it rolled
    back by the server) and the connection is dropped: the next unit opens a new one.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.shared = not isinstance(engine.pool, SingletonThreadPool | StaticPool)
        self._sqlite = engine.dialect.name == "sqlite"
        self.opened = 0  # connections this writer opened (the tests and the bench watch it)
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._close_when_free = False
        from kiosk.ledger.engine import wal_checkpointer

        self._checkpointer = wal_checkpointer(engine)
        # `engine.dispose()` is how the kiosk, the CLI and the tests let go of a ledger: this
        # connection goes with the pool's (a connection left open keeps a SQLite WAL from closing).
        event.listen(engine, "engine_disposed", self._disposed)

    @contextmanager
    def begin(self, first: Callable[[Connection], Any]) -> Iterator[tuple[Connection, Any]]:
        """A write transaction (BEGIN IMMEDIATE on SQLite) and what its `first` statement returned.

        Commits when the block ends, rolls back when it raises."""
        if not self.shared or not self._lock.acquire(blocking=False):
            with self.engine.connect() as conn:
                trans, got = self._start(conn, first)
                with trans:
                    yield conn, got
            return
        try:
            held = self._conn
            fresh = held is None or held.closed or held.invalidated
            conn = self._open() if fresh or held is None else held
            try:
                trans, got = self._start(conn, first)
            except DBAPIError as exc:
                lost = self._lost(exc, conn)
                self._drop()
                if fresh or not lost:
                    raise
                # Lost while idle, and nothing of this unit reached the server: once more, anew.
                log.warning("the ledger's write connection was lost; reconnected")
                conn = self._open()
                try:
                    trans, got = self._start(conn, first)
                except DBAPIError:
                    self._drop()
                    raise
            try:
                with trans:
                    yield conn, got
            except SQLAlchemyError:
                # The connection may be broken (or left in a failed transaction): the next unit
                # starts on a new one. Refusals and other errors of the work keep it.
                self._drop()
                raise
            if self._checkpointer is not None:
                # What the pool's `checkin` listener counted when every unit returned its connection.
                fairy = conn.connection
                self._checkpointer.checkin(fairy.dbapi_connection, fairy)
        finally:
            if self._close_when_free:
                self._close_when_free = False
                self._drop()
            self._lock.release()

    def _start(self, conn: Connection, first: Callable[[Connection], Any]) -> tuple[Any, Any]:
        if self._sqlite and conn is self._conn:
            # SQLite, this writer's own connection: BEGIN IMMEDIATE and COMMIT straight on the driver
            # (`_DriverTransaction`); SQLAlchemy's transaction object around them was ~20 µs of a
            # 0.5 ms scan.
            trans: _DriverTransaction | Transaction = _DriverTransaction(conn)
        else:
            trans = conn.begin()
        try:
            got = first(conn)
        except BaseException:
            _quietly(trans.rollback)
            raise
        return trans, got

    def _lost(self, exc: DBAPIError, conn: Connection) -> bool:
        """Whether `exc` says the connection is gone (as SQLAlchemy's pool would judge it)."""
        if exc.connection_invalidated or conn.invalidated:
            return True
        try:
            dbapi_connection = conn.connection.dbapi_connection
        except SQLAlchemyError:
            return True
        dialect = self.engine.dialect
        return isinstance(exc.orig, dialect.loaded_dbapi.Error) and dialect.is_disconnect(
            exc.orig, dbapi_connection, None
        )

    def _open(self) -> Connection:
        self._conn = self.engine.connect()
        self.opened += 1
        return self._conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        _quietly(conn.invalidate)
        _quietly(conn.close)

    def _disposed(self, _engine: Engine) -> None:
        # Closed, not returned: `close()` would check it back into the pool that `dispose()` has just
        # let go of, where the DBAPI connection stays open until garbage collection, and an open SQLite
        # connection keeps the WAL beside the file: a copy put over the file would be read with it.
        if self._lock.acquire(blocking=False):
            try:
                self._drop()
            finally:
                self._lock.release()
        else:
            self._close_when_free = True


class _DriverTransaction:
    """A SQLite unit's transaction begun on the driver (`Writer._start`), used as SQLAlchemy's is.

    It ends on the driver too, unless the unit began SQLAlchemy's transaction meanwhile (an ORM
    session, a Core statement): that one joined the driver's (`kiosk.ledger.engine._sqlite_begin`),
    and ends it.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        sqlite_statement(conn, "BEGIN IMMEDIATE")

    def rollback(self) -> None:
        joined = self._conn.get_transaction()
        if joined is not None:
            joined.rollback()
        else:
            sqlite_statement(self._conn, "ROLLBACK")

    def __enter__(self) -> _DriverTransaction:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            _quietly(self.rollback)
            return
        joined = self._conn.get_transaction()
        if joined is not None:
            joined.commit()
        else:
            sqlite_statement(self._conn, "COMMIT")


def _quietly(step: Callable[[], object]) -> None:
    """A clean-up step on a connection that may be broken: its own failure adds nothing."""
    try:
        step()
    except Exception as exc:  # noqa: BLE001 - the failure that brought us here is the one raised
        log.debug("clean-up of a ledger connection failed: %s", type(exc).__name__)


class Unit:
    """One unit of work inside a transaction that holds the chain head.

    The head (`seq`, `hash`) lives here while the unit runs and is written once when it ends; events go
    to the table as they are chained. Both are plain statements, not ORM rows: a scan is a handful of
    statements, and the ORM's flush machinery was most of its time.
    """

    def __init__(
        self,
        conn: Connection,
        sessions: sessionmaker[Session],
        seq: int,
        digest: str,
        at: datetime,
        kiosk: str,
    ) -> None:
        # The transaction is the connection's. An ORM session on it is opened only when some code of
        # the unit asks for `session` (staff, stocktakes, imports): a scan never does, and the ORM's
        # session and flush machinery was a third of a scan's time.
        self._conn = conn
        # PostgreSQL scan units (`ScanFacts`): the writes wait here and go with the COMMIT in one round
        # trip (`statements.send`), so the chain's head is held for one round trip after it is read.
        # Anything that reads through `conn` first sends what waits, so a read sees this unit's writes.
        self._queue: list[tuple[str, Any]] | None = None
        self._sessions = sessions
        self._session: Session | None = None
        self.seq = seq
        self.hash = digest
        self.at = at
        self._at_text: str | None = None
        self.kiosk = kiosk
        # The people of the running command as re-read in this transaction (see `Acting`).
        self.actor: StaffMember | None = None
        self.second: StaffMember | None = None
        # The safe session this transaction's re-check found open with the actor among its people: the
        # write lock is held, so it stays so until this unit's own writes (which end in a commit).
        self.checked_session: int | None = None
        self._cards: dict[str, CardState | None] = {}
        self._bookings: dict[str, Booking | None] = {}
        # The staff events of this unit (for the staff journal beside the checkpoint: issue 22).
        self.staff_events: list[EventRecord] = []
        # The head as this unit locked it (what `Ledger` moves from when the unit ends).
        self.base_seq = seq
        # Set while the facts were read but the head is not held yet (PostgreSQL, `ScanFacts`): the
        # facts' parameters and values, and the watch. The first write takes the head (`_hold_head`).
        self._pending: tuple[dict[str, Any], tuple[Any, ...], LedgerWatch | None] | None = None

    @property
    def conn(self) -> Connection:
        """The unit's connection (its transaction); writes still waiting are sent first."""
        if self._queue:
            self._send(commit=False)
        return self._conn

    def _send(self, *, commit: bool) -> None:
        queued, self._queue = self._queue or [], None  # from here on, writes run at once
        if queued or commit:
            send(self._conn, queued, commit=commit)

    def _write(self, statement: Prepared, params: dict[str, Any], columns: tuple[str, ...]) -> None:
        if self._queue is not None:
            self._queue.append(statement.bound(self._conn, params, columns=columns))
        else:
            statement.run(self._conn, params, columns=columns)

    def _hold_head(self) -> None:
        """Lock the chain head before the first write, when the facts were read without it.

        If another unit moved the head meanwhile, the facts are read again (one statement, now under
        the lock) and must be as they were: else `FactsChanged`, and the command runs again locked.
        """
        pending = self._pending
        if pending is None:
            return
        self._pending = None
        params, seen, watch = pending
        seq, digest = _READ_HEAD.rows(self.conn)[0]
        if watch is not None:
            watch.check(seq)
        if seq != self.seq and tuple(_SCAN_FACTS.rows(self.conn, params)[0])[2:] != seen:
            raise FactsChanged
        self.seq = self.base_seq = seq
        self.hash = digest

    @property
    def session(self) -> Session:
        """An ORM session in this unit's transaction (opened on first use; flushed when the unit ends)."""
        self._hold_head()
        if self._session is None:
            conn = self.conn
            if not conn.in_transaction():
                # The writer began the transaction on the driver (`Writer._start`): SQLAlchemy's is
                # begun now, so that the session joins it instead of owning it (and rolling it back
                # when it closes).
                conn.begin()
            # Bound to the unit's connection, the session joins its transaction and never ends it.
            self._session = self._sessions(bind=conn)
        return self._session

    def _flush(self) -> None:
        if self._session is not None:
            self._session.flush()

    def _close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _next(
        self,
        kind: str,
        *,
        card_id: str | None = None,
        actor_id: int | None = None,
        witness_id: int | None = None,
        session_id: int | None = None,
        stocktake_id: int | None = None,
        device: str | None = None,
        source: str | None = None,
        data: dict[str, Any],
    ) -> EventRecord:
        """Chain the next event (hash, head moved in memory); the caller stores it. `data` is the payload
        as `events.encode` gave it (the caller encodes once, the fold and the chain share it).

        Every string of the event passes the My Number guard first (payload strings recursively, dict
        keys included; device, source and card ID), so a refused value is never hashed or stored: the
        guard raises `TextRefusal` and the caller's transaction rolls back as a whole.
        """
        if actor_id is None and self.actor is not None:
            # Inside a command of the core every event names the person who did it.
            actor_id = self.actor.id
        guard_payload(data, kind)
        for name, text in (("card_id", card_id), ("device", device), ("source", source)):
            if text is not None:
                guard_text(text, f"{kind}.{name}")
        body = canonical_json(data)
        self._hold_head()  # the guard and the encoding above need no lock; the chaining below does
        seq = self.seq + 1
        prev = self.hash
        if self._at_text is None:
            self._at_text = format_time(self.at)  # one time for every event of the unit
        # `chain.event_hash`'s canonical text, built as one f-string (proven byte for byte the same).
        fields = (kind, card_id, actor_id, witness_id, session_id, stocktake_id, device, source, body, prev)
        digest = sha256(body_text(seq, self._at_text, *fields).encode()).hexdigest()
        self.seq = seq
        self.hash = digest
        return EventRecord(seq, self.at, *fields, digest)

    def append(
        self, kind: str, *, payload: Payload | Mapping[str, Any] | None = None, **fields: Any
    ) -> EventRecord:
        """Append one event to the chain (the head moves in the same transaction).

        `payload` is the kind's payload type (or a mapping its fields check); keyword fields: card_id,
        actor_id, witness_id, session_id, stocktake_id, device, source.
        """
        return self._store(self._next(kind, data=encode(kind, payload), **fields))

    def _store(self, record: EventRecord) -> EventRecord:
        # Straight to the table: `_next` guarded every string and computed the hashes, which is all the
        # ORM's guard hook would check. Events reference no other row, so order against the ORM's
        # pending rows does not matter; a later query of this unit sees the event at once.
        columns = _event_columns(record)
        self._write(_INSERT_EVENT, columns, tuple(columns))
        # `staff_journal.is_staff_kind`, spelled out: this runs for every event of every scan.
        if record.kind.startswith("staff_") or record.kind in SIGN_IN_KINDS:
            self.staff_events.append(record)
        return record

    def card(self, management_id: str) -> CardState | None:
        """The card as this unit sees it (its own card events included)."""
        if management_id in self._cards:
            return self._cards[management_id]
        held = self._held_card(management_id)
        if held is not None:
            state: CardState | None = to_card_state(held)
        else:
            row = _READ_CARD.one_or_none(self.conn, {"mid": management_id})
            state = to_card_state(row) if row is not None else None
        # Every write to `cards` goes through `card_event` (which keeps this) or `card_events` (which
        # clears it), so the unit reads each card once.
        self._cards[management_id] = state
        return state

    def booking(self, management_id: str) -> Booking | None:
        """The card's booking for handing over on this unit's office day (None: not booked)."""
        if management_id in self._bookings:
            return self._bookings[management_id]
        row = _BOOKING.one_or_none(self.conn, {"day": card_state.office_date(self.at), "mid": management_id})
        return None if row is None else Booking(row.booked_by)

    def _held_card(self, management_id: str) -> models.Card | None:
        """The card's ORM row if this unit loaded one (code outside the scan path may have)."""
        if self._session is None:
            return None
        held = self._session.identity_map.get(identity_key(models.Card, management_id))
        return held if isinstance(held, models.Card) else None

    def card_event(
        self,
        kind: str,
        card_id: str,
        *,
        payload: Payload | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> tuple[EventRecord, CardState]:
        """Append a card event and update the card's projection with the same fold verify uses."""
        before = self.card(card_id)
        data = encode(kind, payload)
        # Fold first: a forbidden transition raises before anything is appended. The fold needs no
        # lock (on PostgreSQL the head is taken in `_next`, after the guard and the encoding): the
        # event's seq, known only then, is the card's `last_seq`.
        row = card_state.apply_row(
            card_state.as_row(before) if before is not None else None,
            kind,
            card_id,
            data,
            self.at,
            0,
            fields.get("session_id"),
        )
        record = self._store(self._next(kind, card_id=card_id, data=data, **fields))
        after = card_state.row_state(row, last_seq=record.seq)
        # Plain statements, checked by the guard as its flush hook would check an ORM row. A card row
        # this unit holds takes the new values as already stored, so the ORM has nothing to flush.
        self._cards[card_id] = after
        if before is None:
            columns = _card_columns(after)
            check_row("cards", columns)
            self._write(_INSERT_CARD, columns, _CARD_COLUMNS)
            return record, after
        changed = {
            name: value
            for name, value, old in zip(_CARD_COLUMNS, _card_values(after), _card_values(before), strict=True)
            if old != value
        }
        if changed:
            check_row("cards", changed)
            self._write(_UPDATE_CARD, {"mid": card_id, **changed}, tuple(changed))
            held = self._held_card(card_id)
            for name, value in changed.items() if held is not None else ():
                set_committed_value(held, name, value)
        return record, after

    def card_events(self, items: Sequence[CardEventSpec]) -> list[tuple[EventRecord, CardState]]:
        """Many card events in one go (a delivery, a tray photo, an RFID round).

        The same fold and chain as `card_event`, but the projection rows are read once and written with
        bulk statements, so 100,000 events take seconds instead of minutes. A forbidden transition raises
        before anything is written; the caller's transaction then rolls back as a whole.
        """
        self.session.flush()
        ids = sorted({item.card_id for item in items})
        before: dict[str, CardState] = {}
        for i in range(0, len(ids), _CHUNK):
            rows = self.session.scalars(
                select(models.Card).where(models.Card.management_id.in_(ids[i : i + _CHUNK]))
            )
            before.update((r.management_id, to_card_state(r)) for r in rows)
        states = dict(before)
        results: list[tuple[EventRecord, CardState]] = []
        for item in items:
            data = encode(item.kind, item.payload)
            after = card_state.apply(
                states.get(item.card_id),
                kind=item.kind,
                card_id=item.card_id,
                payload=data,
                at=self.at,
                seq=self.seq + 1,
                session_id=item.fields.get("session_id"),
            )
            record = self._next(item.kind, card_id=item.card_id, data=data, **item.fields)
            states[item.card_id] = after
            results.append((record, after))
        events = [_event_columns(record) for record, _ in results]
        for i in range(0, len(events), _CHUNK):
            self.session.execute(insert(models.Event), events[i : i + _CHUNK])
        new_rows = [_card_columns(s) for mid, s in states.items() if mid not in before]
        changed = [_card_columns(s) for mid, s in states.items() if mid in before and s is not before[mid]]
        for i in range(0, len(new_rows), _CHUNK):
            self.session.execute(insert(models.Card), new_rows[i : i + _CHUNK])
        for i in range(0, len(changed), _CHUNK):
            self.session.execute(update(models.Card), changed[i : i + _CHUNK])
        # Card rows this session already holds are now stale; make the next read see the new state.
        self._cards.clear()
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, models.Card):
                self.session.expire(obj)
        return results

    def refuse(
        self,
        reason: str,
        *,
        attempted: str,
        card_id: str | None = None,
        **fields: Any,
    ) -> EventRecord:
        """Record a refused attempt (reason code only; never the refused value itself)."""
        return self.append(EventKind.REFUSED, card_id=card_id, payload=Refused(reason, attempted), **fields)


def _hold(session: Session, instance: object) -> None:
    session.info.setdefault("held", []).append(instance)


def hold_loaded_rows(factory: sessionmaker[Session]) -> None:
    """Keep every row a unit of work loads alive until the unit ends (idempotent).

    The ORM's identity map holds rows weakly: a row read, turned into a frozen dataclass and dropped was
    read again by the next `session.get` of the same unit (a scan read its session and its card twice).
    A unit is one short transaction, so holding what it loaded costs nothing and saves those reads.
    """
    if not event.contains(factory, "loaded_as_persistent", _hold):
        event.listen(factory, "loaded_as_persistent", _hold)


class Ledger:
    """The kiosk's ledger: open with `open_ledger(settings)` or `Ledger(engine, pepper=...)`."""

    def __init__(
        self,
        engine: Engine,
        *,
        pepper: bytes,
        kiosk: str = "kiosk-1",
        clock: Clock = utc_now,
        lockout_minutes: int = DEFAULT_LOCKOUT_MINUTES,
    ) -> None:
        self.engine = engine
        self.pepper = pepper
        self.kiosk = kiosk
        self.clock = clock
        self.lockout_minutes = lockout_minutes
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        install_guard(self._sessions)  # every String/Text column of a flushed row passes the guard
        hold_loaded_rows(self._sessions)
        self._reader = sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
        self.writer = Writer(engine)
        # Staff rows (every column as read, the MAC among them) whose MAC this process has checked: a
        # scan re-reads its people each time, and the same row needs the HMAC only once. Any edit of
        # the row (a column or the MAC) makes another key, which is checked anew.
        self._bound_rows: dict[tuple[Any, ...], None] = {}
        self._staff_fold = StaffFold(pepper)
        # Set by `open_ledger`: the per-unit checks and checkpoint (kiosk.ledger.watch), and the lock a
        # running kiosk holds.
        self.watch: LedgerWatch | None = None
        self.hold: Hold | None = None
        # Whether the chain says this kiosk keeps an anchor log (`anchors_kept`): asked once per process.
        self.anchors_noted = False
        # Whether the chain says this PC keeps a staff journal (`journal_kept`, PostgreSQL): asked at
        # this process's first staff unit.
        self.journal_noted = False

    # -- transactions -------------------------------------------------------------------------

    def sealed(self) -> bool:
        """Whether this ledger's staff rows carry the row MAC (see `kiosk.ledger.meta.staff_sealed`)."""
        return staff_sealed(self)

    def record_integrity_alert(
        self, staff_id: int, *, device: str | None = None, check: str = "row_mac"
    ) -> None:
        """Put an edited authorising row on the chain as an alert (the supervisor's page shows it)."""
        with self.unit() as u:
            u.append(
                EventKind.INTEGRITY_ALERT,
                device=device or self.kiosk,
                payload=IntegrityAlert("staff", staff_id, check),
            )
        log.warning("integrity: staff row %s was edited outside the kiosk (%s); refused", staff_id, check)

    @contextmanager
    def unit(self, acting: Acting | None = None, facts: ScanFacts | None = None) -> Iterator[Unit]:
        """A write transaction holding the chain head; commits on success, rolls back on error.

        With `acting`, the people of the command are re-read and authorised first, inside the
        transaction (`Acting`); a refusal raises `NotAllowed` before anything is written. A staff row
        that does not carry its MAC is refused and recorded as an `integrity_alert` after the rollback.
        """
        try:
            watch = self.watch
            staff: tuple[list[EventRecord], dict[int, dict[str, Any]]] | None = None
            noting = False
            params: dict[str, Any] = {}
            if facts is not None and acting is not None:
                at = self.clock()
                params = {
                    "actor": acting.actor_id,
                    "second": acting.second_id,
                    "sid": acting.session_id,
                    "mid": facts.card_id,
                    "day": card_state.office_date(at),
                    "fold_upto": fold_upto if (fold_upto := self._staff_fold.upto) >= 0 else _NEVER,
                }
                first: Callable[[Connection], Any] = lambda conn: _SCAN_FACTS.rows(conn, params)[0]  # noqa: E731
            else:
                first = _READ_HEAD.rows
            with self.writer.begin(first) as (conn, got):
                row = got if params else got[0]
                seq, digest = int(row[0]), str(row[1])
                unit = Unit(conn, self._sessions, seq, digest, at if params else self.clock(), self.kiosk)
                if params and self.engine.dialect.name != "sqlite":
                    # Read without the head: it is locked at the first write (SQLite's BEGIN IMMEDIATE
                    # already holds the whole database).
                    unit._pending = (params, tuple(row)[2:], watch)
                    unit._queue = []
                elif watch is not None:
                    watch.check(seq)  # the file this kiosk opened, not behind what it committed
                try:
                    if acting is not None:
                        if params:
                            self._recheck_facts(unit, acting, row, params["mid"], params["fold_upto"])
                        else:
                            self._recheck(unit, acting)
                    yield unit
                    # Not reached when the work raised: the transaction then rolls back with the head.
                    if (
                        unit.staff_events
                        and not self.journal_noted
                        and watch is not None
                        and not watch.paused
                    ):
                        noting = self._note_journal(unit)
                    unit._flush()
                    if unit.seq != unit.base_seq:
                        validate_digest(unit.hash, "ledger_head.hash")
                        if watch is not None:
                            watch.check(unit.base_seq)  # once more just before the commit (a stat)
                            if unit.staff_events and not watch.paused:
                                staff = (unit.staff_events, _staff_rows(unit.conn, unit.staff_events))
                                if self.engine.dialect.name == "postgresql":
                                    # The PCs the chain says keep a journal, as this PC knows them now:
                                    # kept in its own journal, outside the database (a restore of a dump
                                    # older than a PC's first staff event must still ask for that PC).
                                    watch.known_kiosks = journal_kiosks(unit.conn)
                        unit._write(_MOVE_HEAD, {"seq": unit.seq, "hash": unit.hash}, _HEAD_COLUMNS)
                    if unit._queue is not None:
                        unit._send(commit=True)  # the writes and the COMMIT together (PostgreSQL scans)
                finally:
                    unit._close()
            if not unit.staff_events:
                self._staff_fold.moved(unit.base_seq, unit.seq)
            if watch is not None and unit.seq != unit.base_seq:
                # No window: the checkpoint follows every unit (and the staff journal every staff unit).
                watch.committed(unit.seq, unit.hash, staff)
                self.journal_noted = self.journal_noted or noting
        except StaffRowTampered as exc:
            self.record_integrity_alert(exc.staff_id, check=exc.check)
            raise

    def _note_journal(self, u: Unit) -> bool:
        """PostgreSQL, in this process's first unit with a staff event: unless the chain already says so,
        record `journal_kept` (device: this kiosk) in the same unit, so that every PC whose staff journal
        a `restore --in-place` must read is named on the chain (kiosk.ledger.backup). Several PCs share
        a PostgreSQL ledger; one SQLite ledger has one PC, whose journal the restore always reads."""
        if self.engine.dialect.name != "postgresql":
            return True
        ev = models.Event
        known = u.conn.execute(
            select(ev.seq).where(ev.kind == EventKind.JOURNAL_KEPT, ev.device == self.kiosk).limit(1)
        ).first()
        if known is None:
            u.append(EventKind.JOURNAL_KEPT, device=self.kiosk, payload=JournalKept(u.staff_events[0].seq))
        return True

    def _recheck_facts(self, u: Unit, acting: Acting, row: Any, card_id: str, fold_upto: int) -> None:
        """`_recheck` on the people and session the scan's facts statement read (no statement of its own);
        the card and its booking are kept for the unit's `card` and `booking`. `fold_upto`: the staff fold's
        head the statement asked after."""
        actor_row, second_row, opened, joined, card, booking, staff_since = _split_facts(row)
        if staff_since is None:
            self._staff_fold.nothing_since(fold_upto, u.seq)
        actor = self._fresh(u, self._bound(actor_row, acting.actor_id), actor_row)
        second = (
            None
            if acting.second_id is None
            else self._fresh(u, self._bound(second_row, acting.second_id), second_row)
        )
        rule = authorize(acting.act, actor, second, now=u.at, lockout_minutes=self.lockout_minutes)
        if rule.in_session:
            if acting.session_id is None or opened is None or opened[2] is not None:
                raise NotAllowed("no_session", "the safe is not open")
            if actor.id not in opened[:2] and not joined:
                raise NotAllowed("not_in_session", f"{actor.name} is not one of this safe session's people")
            u.checked_session = acting.session_id
        u.actor, u.second = actor, second
        u._cards[card_id] = to_card_state(card) if card is not None else None
        u._bookings[card_id] = booking

    def _fresh(self, u: Unit, member: StaffMember, row: Any) -> StaffMember:
        """`member`, if its row is what the chain's staff events made it (`StaffFold`) at `u`'s head."""
        if not self._staff_fold.holds(u._conn, u.seq, row):
            raise StaffRowTampered(member.id, "staff_history")
        return member

    def _bound(self, row: Any, staff_id: int) -> StaffMember:
        if row is None:
            raise NotAllowed("unknown_person", "that member of staff is not in the ledger")
        key = tuple(row)
        if key not in self._bound_rows:
            if not row_bound(self.pepper, row, sealed=self.sealed):
                raise StaffRowTampered(staff_id)
            if row.row_mac is not None:  # a row of an unsealed ledger is asked about each time
                if len(self._bound_rows) >= _BOUND_ROWS_KEPT:
                    self._bound_rows.clear()
                self._bound_rows[key] = None
        return to_staff(row)

    def _reread(self, u: Unit, staff_id: int) -> StaffMember:
        """One person re-read inside `u`: the row's MAC, then the row against the chain's staff events."""
        row = _READ_PERSON.one_or_none(u.conn, {"id": staff_id})
        return self._fresh(u, self._bound(row, staff_id), row)

    def _recheck(self, u: Unit, acting: Acting) -> None:
        actor = self._reread(u, acting.actor_id)
        second = None if acting.second_id is None else self._reread(u, acting.second_id)
        rule = authorize(acting.act, actor, second, now=u.at, lockout_minutes=self.lockout_minutes)
        if rule.in_session:
            if acting.session_id is None:
                raise NotAllowed("no_session", "the safe is not open")
            people = session_people(u.conn, acting.session_id)
            if people is None:
                raise NotAllowed("no_session", "the safe is not open")
            if actor.id not in people:
                raise NotAllowed("not_in_session", f"{actor.name} is not one of this safe session's people")
            u.checked_session = acting.session_id
        u.actor, u.second = actor, second

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction (never waits for a writer on SQLite)."""
        with self._reader.begin() as session:
            yield session

    # -- chain --------------------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        """(sequence number, hash) of the newest event."""
        with self.read() as s:
            row = s.get_one(models.LedgerHead, 1)
            return row.seq, row.hash

    def events(self, *, card_id: str | None = None, limit: int | None = None) -> list[EventRecord]:
        """Events in order (optionally of one card, optionally the newest `limit`)."""
        with self.read() as s:
            q = select(models.Event)
            if card_id is not None:
                q = q.where(models.Event.card_id == card_id)
            if limit is not None:
                q = q.order_by(models.Event.seq.desc()).limit(limit)
                return [to_record(r) for r in reversed(s.scalars(q).all())]
            return [to_record(r) for r in s.scalars(q.order_by(models.Event.seq)).all()]

    # -- staff --------------------------------------------------------------------------------

    def add_staff(self, **fields: Any) -> StaffMember:
        """`kiosk.ledger.staff_ops.add_staff` in a unit of its own (`kiosk init`, seeding, tests)."""
        from kiosk.ledger import staff_ops

        with self.unit() as u:
            return staff_ops.add_staff(u, self.pepper, **fields)

    def staff_count(self, *, active_only: bool = True) -> int:
        with self.read() as s:
            q = select(func.count()).select_from(models.Staff)
            if active_only:
                q = q.where(models.Staff.active.is_(True))
            return int(s.scalar(q) or 0)

    def list_staff(self, *, include_inactive: bool = True) -> list[StaffMember]:
        with self.read() as s:
            q = select(models.Staff).order_by(models.Staff.id)
            if not include_inactive:
                q = q.where(models.Staff.active.is_(True))
            return [to_staff(r) for r in s.scalars(q)]

    def staff_by_badge(self, badge: str) -> StaffMember | None:
        try:
            key = normalize_badge(badge)
        except ValueError:
            return None
        with self.read() as s:
            row = s.scalar(select(models.Staff).where(models.Staff.badge == key))
            return to_staff(row) if row else None

    def reread(self, u: Unit, staff_id: int) -> StaffMember:
        """A third person of a unit's act (the outgoing officer of a handover), re-read as `Acting`'s
        people are: inside the unit, with the head locked, the row's MAC checked. Raises NotAllowed
        (not in the ledger) or StaffRowTampered (an edited row: refused and put on the chain)."""
        return self._reread(u, staff_id)

    def staff_by_id(self, staff_id: int, *, checked: bool = False) -> StaffMember | None:
        """The member with this id; `checked`: None unless the row carries its MAC (it authorises)."""
        with self.read() as s:
            row = s.get(models.Staff, staff_id)
            if row is None:
                return None
            if checked and not row_bound(self.pepper, row, sealed=self.sealed):
                return None
            return to_staff(row)

    def authenticate(
        self,
        badge: str,
        pin: str,
        *,
        device: str | None = None,
        roles: frozenset[Role] | None = None,
        count_failures: bool = True,
    ) -> StaffMember:
        """Check a badge and PIN. Failures count towards a lockout and are recorded (never the PIN).

        A lockout runs out after `lockout_minutes`: the next try then starts a fresh count
        (`staff_lock_expired` on the chain, so the lock state stays a fold over events). The row must carry
        its MAC: an edited row is refused and recorded as an `integrity_alert`.

        `roles`: only these roles may sign in here (the supervisor's web view); another role's badge is
        refused before its PIN is looked at, so nobody can lock an officer out from there.
        `count_failures=False`: a wrong PIN is recorded (`web_wrong_pin`) but never counts towards the
        kiosk's lockout (the web view has its own back-off per client address).
        Every refusal costs one PIN hash, like a wrong PIN, so the time does not tell a known badge.
        """
        try:
            key: str | None = normalize_badge(badge)
        except ValueError:
            key = None
        with self.unit() as u:
            row = (
                u.session.scalar(select(models.Staff).where(models.Staff.badge == key))
                if key is not None
                else None
            )
            tampered = self._tampered(u, row) if row is not None else None
            if row is not None and tampered is not None:
                u.append(
                    EventKind.INTEGRITY_ALERT,
                    device=device,
                    payload=IntegrityAlert("staff", row.id, tampered),
                )
                log.warning("integrity: staff row %s was edited (%s); sign-in refused", row.id, tampered)
                _dummy_pin_check(pin, self.pepper)
                failure: AuthError = AuthError("integrity")
            elif row is not None and roles is not None and Role(row.role) not in roles:
                # Refused by the badge's role before any PIN is looked at (nothing counted).
                u.append(EventKind.AUTH_FAILED, actor_id=row.id, device=device, payload={"reason": "role"})
                _dummy_pin_check(pin, self.pepper)
                failure = AuthError("role")
            else:
                failure_or_member = self._check_credentials(u, row, pin, device, count_failures)
                if isinstance(failure_or_member, StaffMember):
                    return failure_or_member
                failure = failure_or_member
        # Raised after the commit, so the failure and the lockout counter are on record.
        raise failure

    def _tampered(self, u: Unit, row: models.Staff) -> str | None:
        """Why the staff row a PIN is checked against is not the core's newest (None: it is): its MAC
        (`row_mac`), or an older version of it or of its PIN hash put back (`staff_history`)."""
        if not row_bound(self.pepper, row, sealed=self.sealed):
            return "row_mac"
        if not self._staff_fold.holds(u._conn, u.seq, row, pin=True):
            return "staff_history"
        return None

    def _check_credentials(
        self, u: Unit, row: models.Staff | None, pin: str, device: str | None, count_failures: bool
    ) -> StaffMember | AuthError:
        if (
            row is not None
            and row.failed_attempts >= MAX_FAILED_ATTEMPTS
            and not to_staff(row).is_locked(u.at, self.lockout_minutes)
        ):
            row.failed_attempts = 0
            row.locked_at = None
            seal(self.pepper, row)
            u.append(EventKind.STAFF_LOCK_EXPIRED, actor_id=row.id, device=device, payload={"staff": row.id})
        if row is None:
            u.append(EventKind.AUTH_FAILED, device=device, payload={"reason": "unknown_badge"})
            _dummy_pin_check(pin, self.pepper)
            return AuthError("unknown_badge")
        if not row.active:
            u.append(EventKind.AUTH_FAILED, actor_id=row.id, device=device, payload={"reason": "inactive"})
            _dummy_pin_check(pin, self.pepper)
            return AuthError("inactive")
        if row.failed_attempts >= MAX_FAILED_ATTEMPTS:
            u.append(EventKind.AUTH_FAILED, actor_id=row.id, device=device, payload={"reason": "locked"})
            _dummy_pin_check(pin, self.pepper)
            return AuthError("locked")
        if not check_pin(pin, row.pin_hash, self.pepper) or not pin_bound(self.pepper, row):
            if not count_failures:
                u.append(
                    EventKind.AUTH_FAILED, actor_id=row.id, device=device, payload={"reason": WEB_WRONG_PIN}
                )
                return AuthError("wrong_pin")
            row.failed_attempts += 1
            remaining = MAX_FAILED_ATTEMPTS - row.failed_attempts
            u.append(EventKind.AUTH_FAILED, actor_id=row.id, device=device, payload={"reason": "wrong_pin"})
            if remaining <= 0:
                row.locked_at = u.at
                u.append(EventKind.STAFF_LOCKED, actor_id=row.id, device=device, payload={"staff": row.id})
                seal(self.pepper, row)
                return AuthError("locked")
            seal(self.pepper, row)
            return AuthError("wrong_pin", remaining)
        row.failed_attempts = 0
        seal(self.pepper, row)
        u.append(EventKind.SIGNED_IN, actor_id=row.id, device=device)
        return to_staff(row)

    def change_pin(self, badge: str, pin: str, new_pin: str, *, device: str | None = None) -> StaffMember:
        """A member sets their own PIN (with the current one): ends a one-time PIN after a reset.

        The current PIN is checked like a sign-in (a wrong one counts towards the lockout). The new PIN
        must differ from the current one. `staff_pin_set` on the chain; the PIN itself never is.
        """
        validate_pin(new_pin)
        if new_pin == pin:
            raise ValueError("the new PIN must differ from the one-time PIN")
        new_hash = hash_pin(new_pin, self.pepper)
        try:
            key: str | None = normalize_badge(badge)
        except ValueError:
            key = None
        try:
            with self.unit() as u:
                row = (
                    u.session.scalar(select(models.Staff).where(models.Staff.badge == key))
                    if key is not None
                    else None
                )
                tampered = self._tampered(u, row) if row is not None else None
                if row is not None and tampered is not None:
                    raise StaffRowTampered(row.id, tampered)
                checked = self._check_credentials(u, row, pin, device, True)
                if isinstance(checked, StaffMember):
                    assert row is not None
                    row.pin_hash = new_hash
                    row.pin_mac = pin_mac(self.pepper, row.id, new_hash)
                    row.pin_change_due = False
                    seal(self.pepper, row)
                    u.append(
                        EventKind.STAFF_PIN_SET,
                        actor_id=row.id,
                        device=device,
                        payload=PinChanged(row.id, row.pin_mac),
                    )
                    return to_staff(row)
                failure = checked
        except StaffRowTampered:
            # `unit` rolled the change back and put the alert on the chain; refused as a sign-in with
            # that row is (`AuthError("integrity")`), so every front end says it in its own words.
            raise AuthError("integrity") from None
        raise failure

    # -- cards --------------------------------------------------------------------------------

    def card(self, management_id: str) -> CardState | None:
        with self.read() as s:
            row = s.get(models.Card, management_id)
            return to_card_state(row) if row else None

    def counts(self) -> dict[CardStatus, int]:
        """Number of cards in each status."""
        with self.read() as s:
            rows = s.execute(select(models.Card.status, func.count()).group_by(models.Card.status))
            found = {CardStatus(status): int(n) for status, n in rows}
        return {status: found.get(status, 0) for status in CardStatus}

    def receive_batch(self, batch: str, lines: Sequence[DeliveryLine], **options: Any) -> list[CardState]:
        """`kiosk.ledger.intake.receive_batch` in a unit of its own (seeding and tests; no authorisation)."""
        from kiosk.ledger import intake

        with self.unit() as u:
            return intake.receive_batch(u, batch, lines, **options)

    def bind_rfid(self, management_id: str, tag: str, *, actor_id: int | None = None) -> CardState:
        """Bind one tag in a unit of its own (seeding and tests; no authorisation)."""
        from kiosk.ledger import intake

        with self.unit() as u:
            return intake.bind_rfid_many(u, [(management_id, tag)], actor_id=actor_id)[0]

    def card_for_tag(self, tag: str) -> str | None:
        """The management ID a tag is bound to, if any."""
        with self.read() as s:
            row = s.get(models.RfidBinding, tag.strip().upper())
            return row.management_id if row else None

    def record_refusal(
        self,
        reason: str,
        *,
        attempted: str,
        actor_id: int | None = None,
        session_id: int | None = None,
        device: str | None = None,
        source: str | None = None,
    ) -> EventRecord:
        """Record a refused input (e.g. a 12-digit value) by its reason code only."""
        with self.unit() as u:
            return u.refuse(
                reason,
                attempted=attempted,
                actor_id=actor_id,
                session_id=session_id,
                device=device,
                source=source,
            )

    def history(self, management_id: str) -> list[HistoryEntry]:
        """Every event of a card, oldest first, with the names of the people involved."""
        with self.read() as s:
            rows = s.scalars(
                select(models.Event).where(models.Event.card_id == management_id).order_by(models.Event.seq)
            ).all()
            ids = {i for r in rows for i in (r.actor_id, r.witness_id) if i is not None}
            names = (
                dict(
                    s.execute(
                        select(models.Staff.id, models.Staff.name).where(models.Staff.id.in_(ids))
                    ).all()
                )
                if ids
                else {}
            )
            return [
                HistoryEntry(
                    to_record(r),
                    names.get(r.actor_id) if r.actor_id else None,
                    names.get(r.witness_id) if r.witness_id else None,
                )
                for r in rows
            ]


WEB_WRONG_PIN = "web_wrong_pin"  # a wrong PIN at the web view: recorded, never counted towards the lockout
_DUMMY_HASH: dict[bytes, str] = {}


def _dummy_pin_check(pin: str, pepper: bytes) -> None:
    """The work of one PIN check, for a refusal that needs none (the time never tells a known badge)."""
    stored = _DUMMY_HASH.get(pepper)
    if stored is None:
        stored = _DUMMY_HASH[pepper] = hash_pin("0000", pepper)
    check_pin(pin if pin.isascii() else "0", stored, pepper)


def pin_bound(pepper: bytes, row: models.Staff) -> bool:
    """The row's PIN hash is this member's (its MAC matches); rows from before the MAC pass."""
    return row.pin_mac is None or secrets.compare_digest(row.pin_mac, pin_mac(pepper, row.id, row.pin_hash))


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of a card's history (カード履歴)."""

    event: EventRecord
    actor_name: str | None
    witness_name: str | None


def load_pepper(path: Path, *, create: bool = False) -> bytes:
    """The PIN pepper: from KIOSK_PEPPER, or its private file (never in the database).

    Only `kiosk init` (`create=True`) makes a new one; otherwise a missing pepper is refused, since a
    new pepper would make every correct PIN count as wrong.
    """
    from kiosk.ledger.anchors import IntegrityRefused

    env = os.environ.get("KIOSK_PEPPER")
    if env:
        return env.encode()
    if path.exists():
        return path.read_bytes()
    if not create:
        raise IntegrityRefused(
            f"the PIN pepper {path} is missing: restore it from its backup, or, on a kiosk joining a "
            "shared ledger, `kiosk join --pepper-file FILE` with the first kiosk's `kiosk export-pepper` "
            "(only `kiosk init` makes a new pepper, for a new ledger; a new pepper would invalidate "
            "every PIN)"
        )
    make_private_dir(path.parent)
    value = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(value)
        fh.flush()
        os.fsync(fh.fileno())
    return value


def has_ledger(engine: Engine) -> bool:
    """Whether the database holds a ledger (its chain head), without creating anything."""
    from sqlalchemy import inspect

    with engine.connect() as conn:
        return bool(inspect(conn).has_table("ledger_head"))


def journal_kiosks(conn: Connection) -> tuple[str, ...]:
    """The kiosk PCs the chain names as keeping a staff journal (`journal_kept`; one indexed read)."""
    ev = models.Event
    found = conn.execute(select(ev.device).where(ev.kind == EventKind.JOURNAL_KEPT).distinct()).scalars()
    return tuple(sorted({name for name in found if name}))


def _staff_rows(conn: Connection, events: list[EventRecord]) -> dict[int, dict[str, Any]]:
    """The staff rows `events` touched, as this unit leaves them (for the staff journal)."""
    members: set[int] = set()
    for ev in events:
        target = (
            ev.actor_id if ev.kind in (EventKind.AUTH_FAILED, EventKind.SIGNED_IN) else ev.data.get("staff")
        )
        if isinstance(target, int):
            members.add(target)
    if not members:
        return {}
    table = models.Staff.__table__
    query = select(table).where(table.c.id.in_(sorted(members)))
    return {int(r["id"]): dict(r) for r in conn.execute(query).mappings()}


def open_ledger(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    migrate: bool = True,
    create: bool = False,
    check: bool = True,
    hold: bool = False,
) -> Ledger:
    """Open (and upgrade) the configured ledger, and run the start-up check.

    Only `create=True` (`kiosk init`, the demo) makes a new ledger and pepper; otherwise a missing ledger
    or pepper, a replaced pepper, a rolled-back or rewritten chain raise `IntegrityRefused` with a
    message for the supervisor. `hold=True` (a running kiosk) holds the ledger lock for the process's
    lifetime, so `kiosk restore` refuses meanwhile. Every unit of the ledger returned is watched
    (kiosk.ledger.watch): the checkpoint follows the head, a replaced file stops the writes.
    """
    from kiosk.config import data_paths, sqlite_file
    from kiosk.ledger.anchors import IntegrityRefused, head_file, read_head_journal, startup_check
    from kiosk.ledger.meta import check_identity, initialise, ledger_id, seal_staff
    from kiosk.ledger.watch import LedgerBusy, LedgerWatch, take

    paths = data_paths(settings)
    url = settings.ledger.url
    database = sqlite_file(url)
    where = str(database) if database is not None else "the configured database"
    if not create and database is not None and (not database.exists() or database.stat().st_size == 0):
        raise IntegrityRefused(
            f"there is no ledger at {database}: only `kiosk init` creates one. If this kiosk had a "
            "ledger there, it was moved or deleted: restore the newest backup with `kiosk restore`."
        )
    engine = make_engine(url)
    existing = has_ledger(engine)
    if not existing and not create:
        engine.dispose()
        raise IntegrityRefused(
            f"{where} holds no ledger (empty or wiped): only `kiosk init` creates one. If this kiosk had "
            "a ledger there, restore the newest backup with `kiosk restore`."
        )
    if not existing:
        left = _backups_left(paths.backups, database)
        if left is not None:
            engine.dispose()
            raise IntegrityRefused(
                f"{where} holds no ledger, but {left.parent} holds a copy of one ({_shown(left.name)}): "
                "this data directory had a ledger. Restore it with `kiosk restore BACKUP`; to start a "
                f"new ledger anyway, first move {_shown(left.parent)} aside (keep it)."
            )
        for trace in (paths.anchor_log, paths.checkpoint):
            if trace.exists() and trace.stat().st_size > 0:
                engine.dispose()
                raise IntegrityRefused(
                    f"{where} holds no ledger, but {trace} holds the heads of one: this data directory "
                    "had a ledger. Restore it with `kiosk restore BACKUP`; to start a new ledger anyway, "
                    f"first move {paths.anchors} aside (keep it)."
                )
    pepper_source = "KIOSK_PEPPER" if os.environ.get("KIOSK_PEPPER") else str(paths.pepper)
    pepper = load_pepper(paths.pepper, create=create and not existing)
    if migrate:
        upgrade(engine)
    ledger = Ledger(
        engine,
        pepper=pepper,
        kiosk=settings.kiosk.name,
        clock=clock,
        lockout_minutes=settings.staff.lockout_minutes,
    )
    if existing:
        check_identity(ledger, pepper_source)
        seal_staff(ledger)  # an older ledger's staff rows are put under the row MAC once (on the chain)
    else:
        initialise(ledger)
    held = None
    if hold:
        try:
            held = take(settings, exclusive=False, engine=engine)
        except LedgerBusy as exc:
            engine.dispose()
            raise IntegrityRefused(str(exc)) from None
    try:
        # How many staff-journal lines the head file says were written: read before the start-up check
        # moves the checkpoint (it keeps the count, but a refusal must name what was found).
        journalled = read_head_journal(head_file(paths.checkpoint), pepper)
        if check and startup_check(ledger, settings).adopted is not None:
            journalled = 0  # a restore on another PC carried this PC's journal; a new one starts
        head_seq = ledger.head()[0]
        ledger.watch = LedgerWatch(
            database=database,
            checkpoint=paths.checkpoint,
            pepper=pepper,
            ledger_id=ledger_id(ledger),
            head_seq=head_seq,
            kiosk=settings.kiosk.name,
        )
        if check and ledger.watch.journal_count < journalled:
            raise IntegrityRefused(
                f"the staff journal {ledger.watch.journal} holds {ledger.watch.journal_count} line(s), but "
                f"the head file says {journalled} were written: it was emptied, cut short or removed, and "
                "with it the staff changes a restore must keep. Do not use the kiosk. Supervisor: put back "
                "the anchors folder from its copy on the backup volume (README: Integrity), keep this one "
                "for investigation, then run `kiosk verify`."
            )
    except BaseException:
        if held is not None:
            held.release()
        raise
    ledger.hold = held
    return ledger


def _shown(path: object) -> str:
    from kiosk.domain.text import shown_path

    return shown_path(path)


def _backups_left(folder: Path, database: Path | None) -> Path | None:
    """A backup of a ledger in the backups folder, or a ledger kept aside by a restore: either says this
    data directory had a ledger (so `kiosk init` does not start a new one over its traces)."""
    from kiosk.ledger.backup import BACKUP_PREFIX

    found = sorted(folder.glob(f"{BACKUP_PREFIX}*")) if folder.is_dir() else []
    if database is not None and database.parent.is_dir():
        found += sorted(database.parent.glob(f"{database.name}.replaced-*"))
    found = [p for p in found if p.is_file() and not p.name.startswith(".")]
    return found[0] if found else None


def today(clock: Clock = utc_now) -> date:
    """The office's calendar date now."""
    return card_state.office_date(clock())
