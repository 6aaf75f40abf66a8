"""SQLAlchemy 2.0 models of the ledger.

`events` is the single source of truth and is append-only (triggers refuse UPDATE and DELETE).
`cards`, `safe_sessions`, `stocktakes` and `rfid_bindings` are projections updated in the same
transaction as the event that changes them; `kiosk verify` rebuilds `cards` from the events and compares.
`staff` holds credentials (PIN hash, failed attempts) that must not live in the event payloads.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kiosk.ledger.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Event(Base):
    """One entry of the ledger. Never updated, never deleted."""

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    card_id: Mapped[str | None] = mapped_column(String(10), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    witness_id: Mapped[int | None] = mapped_column(Integer)
    session_id: Mapped[int | None] = mapped_column(Integer)
    stocktake_id: Mapped[int | None] = mapped_column(Integer)
    device: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(32))
    # The canonical JSON text exactly as hashed, so verification never depends on a JSON round trip.
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class LedgerHead(Base):
    """The chain's head (one row). Appenders lock it, which orders every append across kiosks."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))


class Staff(Base):
    """A member of staff. Deactivated, never deleted: history keeps their name."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    badge: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int | None] = mapped_column(Integer)
    pin_hash: Mapped[str] = mapped_column(String(200))
    # HMAC(pepper, id + pin_hash): binds the hash to this member (see kiosk.ledger.projections.pin_mac).
    pin_mac: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    trained_on: Mapped[date | None] = mapped_column(Date)
    # -- migration 0003: one person, one account; lockouts that run out
    employee_no: Mapped[str | None] = mapped_column(String(32))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # -- migration 0020: one-time PINs after a reset; every authorising column under the pepper's MAC
    pin_change_due: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # HMAC(pepper, id, role, rank, active, lock state, PIN hash, one-time flag): kiosk.ledger.meta.row_mac
    row_mac: Mapped[str | None] = mapped_column(String(64))


class Card(Base):
    """Current state of a card: a projection of its events."""

    __tablename__ = "cards"

    management_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), index=True)
    location: Mapped[str | None] = mapped_column(String(64))
    batch: Mapped[str | None] = mapped_column(String(64), index=True)
    rfid_tag: Mapped[str | None] = mapped_column(String(64))
    applicant_ref: Mapped[str | None] = mapped_column(String(64))
    received_on: Mapped[date | None] = mapped_column(Date)
    notice_sent_on: Mapped[date | None] = mapped_column(Date)
    reminder_sent_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)  # issued, cancelled or disposed
    hold_reason: Mapped[str | None] = mapped_column(String(200))
    out_session_id: Mapped[int | None] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class RfidBinding(Base):
    """Tag EPC/UID bound to a card at intake (projection of `rfid_bound` events)."""

    __tablename__ = "rfid_bindings"

    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    management_id: Mapped[str] = mapped_column(ForeignKey("cards.management_id"), index=True)
    bound_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class SafeSession(Base):
    """A safe session (保管庫利用): opened and closed by two people (projection)."""

    __tablename__ = "safe_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kiosk: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    operator_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    witness_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    closed_witness_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class PickListEntry(Base):
    """A card booked for handing over on a day (本日の交付予定)."""

    __tablename__ = "pick_list"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    management_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    added_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    booked_by: Mapped[int | None] = mapped_column(Integer)  # migration 0003: the booker may not take it out


class Stocktake(Base):
    """A stocktake (点検) (projection; its scans are events and rows of `stocktake_scans`)."""

    __tablename__ = "stocktakes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kiosk: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    operator_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    witness_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # open or finished (stocktake_finished): no event abandons a stocktake, so nothing else is valid
    status: Mapped[str] = mapped_column(String(16), default="open")


class StocktakeExpected(Base):
    """The frozen expected set of a stocktake: cards in the safe when it started."""

    __tablename__ = "stocktake_expected"

    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id"), primary_key=True)
    management_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    location: Mapped[str | None] = mapped_column(String(64))


class StocktakeScan(Base):
    """A card seen during a stocktake (first sighting; later sightings raise `times`, each an event)."""

    __tablename__ = "stocktake_scans"

    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id"), primary_key=True)
    management_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    location: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    times: Mapped[int] = mapped_column(Integer, default=1)
    first_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


Index("ix_events_kind_at", Event.kind, Event.at)
# migration 0013: a write in a session seeks its join events instead of reading all its scans; it also
# answers every query by session alone (0017 dropped the index on session_id by itself)
Index("ix_events_session_kind", Event.session_id, Event.kind)

# -- stocktake (点検) additions: migration 0002 ---------------------------------------------------
# A stocktake's events are read back on resume, per device for its shelf label, and for the report.
# Partial since 0017: the events outside a stocktake (nearly all) add no entry to it, nor a page to a scan.
Index(
    "ix_events_stocktake",
    Event.stocktake_id,
    sqlite_where=Event.stocktake_id.is_not(None),
    postgresql_where=Event.stocktake_id.is_not(None),
)
# -- migration 0003
Index("uq_staff_employee_no", Staff.employee_no, unique=True)


# -- integrity additions: migration 0012 ----------------------------------------------------------


class LedgerMeta(Base):
    """The ledger's identity (`ledger_id`) and the pepper's check value (`pepper_check`)."""

    __tablename__ = "ledger_meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# -- alerts: migration 0014 -----------------------------------------------------------------------


class AlertState(Base):
    """The alert sender's lease and progress (one row, `name` = "sender"). A cache, not a projection:
    `verify` does not rebuild it, and losing it costs only alerts for events before it was made again.

    The lease (`holder`, `lease_until`) lets one kiosk or supervisor's view send for the ledger at a
    time; `cursor` is the last event the rules have read; `book` the rules' memory as JSON
    (`kiosk.domain.alerts.AlertBook`). The alerts themselves are on the chain (alert_queued …).
    """

    __tablename__ = "alert_state"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cursor: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    book: Mapped[str] = mapped_column(Text)
