"""Stocktake (点検) reads: the open stocktake, the reconciliation in SQL, progress, when one is due,
and what the report prints. The writes (start, count, finish) are `kiosk.ledger.stocktake_ops`.

Reconciliation is set-based: joins and anti-joins of `stocktake_expected`, `stocktake_scans` and `cards`
in the database, never a Python loop over the cabinet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from kiosk.domain.card_state import office_date
from kiosk.domain.events import EventKind
from kiosk.domain.status import CardStatus
from kiosk.domain.stocktake import (
    WHOLE_SAFE,
    DueStatus,
    Progress,
    ResultLine,
    StocktakeResult,
    StocktakeView,
    due_status,
)
from kiosk.ledger import models
from kiosk.ledger.service import Ledger

OPEN = "open"
FINISHED = "finished"

EV_LOCATION = EventKind.STOCKTAKE_LOCATION
EV_FINISHED = EventKind.STOCKTAKE_FINISHED
EV_HANDOVER = EventKind.OFFICER_HANDOVER

# Sources a scan can come from (free text is allowed for new devices; these are the usual ones).
SOURCE_BARCODE = "barcode"
SOURCE_TRAY = "tray_photo"
SOURCE_RFID = "rfid"
SOURCE_DECISION = "decision"  # a person counted a card found elsewhere when finishing

_CHUNK = 500  # IN-list size: below SQLite's and PostgreSQL's parameter limits


class StocktakeError(ValueError):
    """A stocktake operation refused. `reason`: no_stocktake, not_open, already_open."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


# -- what the UI gets --------------------------------------------------------------------------


def view(s: Session, row: models.Stocktake) -> StocktakeView:
    expected = s.scalar(
        text("SELECT count(*) FROM stocktake_expected WHERE stocktake_id = :id"), {"id": row.id}
    )
    return StocktakeView(
        row.id,
        row.kiosk,
        row.started_at,
        row.operator_id,
        row.witness_id,
        row.finished_at,
        row.status,
        int(expected or 0),
    )


def chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


def open_row(s: Session, kiosk: str) -> models.Stocktake | None:
    return s.scalar(
        select(models.Stocktake)
        .where(models.Stocktake.kiosk == kiosk, models.Stocktake.status == OPEN)
        .order_by(models.Stocktake.id.desc())
        .limit(1)
    )


def open_stocktake(ledger: Ledger) -> StocktakeView | None:
    """The open stocktake at this kiosk, if any: after a restart the kiosk resumes it."""
    with ledger.read() as s:
        row = open_row(s, ledger.kiosk)
        return view(s, row) if row is not None else None


def get_stocktake(ledger: Ledger, stocktake_id: int) -> StocktakeView | None:
    """One stocktake, open or finished."""
    with ledger.read() as s:
        row = s.get(models.Stocktake, stocktake_id)
        return view(s, row) if row is not None else None


def list_stocktakes(ledger: Ledger, limit: int = 20) -> list[StocktakeView]:
    """The newest stocktakes first."""
    with ledger.read() as s:
        rows = s.scalars(select(models.Stocktake).order_by(models.Stocktake.id.desc()).limit(limit)).all()
        return [view(s, r) for r in rows]


def device_location(s: Session, stocktake_id: int, device: str | None) -> str | None:
    """The shelf/slot the device is counting (its last location label in this stocktake), if any."""
    q = select(models.Event.payload).where(
        models.Event.stocktake_id == stocktake_id, models.Event.kind == EV_LOCATION
    )
    q = q.where(models.Event.device.is_(None) if device is None else models.Event.device == device)
    payload = s.scalar(q.order_by(models.Event.seq.desc()).limit(1))
    if payload is None:
        return None
    value = json.loads(payload).get("location")
    return str(value) if value is not None else None


# -- lookups for a batch of sightings ----------------------------------------------------------


def tag_map(s: Session, tags: Sequence[str]) -> dict[str, str]:
    # The same lookup as Ledger.card_for_tag, for a whole round at once.
    found: dict[str, str] = {}
    for part in chunks(tags):
        rows = s.execute(
            select(models.RfidBinding.tag, models.RfidBinding.management_id).where(
                models.RfidBinding.tag.in_(part)
            )
        )
        for key, value in rows:
            found[key] = value
    return found


def counted_already(s: Session, stocktake_id: int, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for part in chunks(ids):
        found.update(
            s.scalars(
                select(models.StocktakeScan.management_id).where(
                    models.StocktakeScan.stocktake_id == stocktake_id,
                    models.StocktakeScan.management_id.in_(part),
                )
            )
        )
    return found


def card_statuses(s: Session, ids: Sequence[str]) -> dict[str, CardStatus]:
    found: dict[str, CardStatus] = {}
    for part in chunks(ids):
        rows = s.execute(
            select(models.Card.management_id, models.Card.status).where(models.Card.management_id.in_(part))
        )
        found.update({mid: CardStatus(st) for mid, st in rows})
    return found


def expected_locations(s: Session, stocktake_id: int, ids: Sequence[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for part in chunks(ids):
        rows = s.execute(
            select(models.StocktakeExpected.management_id, models.StocktakeExpected.location).where(
                models.StocktakeExpected.stocktake_id == stocktake_id,
                models.StocktakeExpected.management_id.in_(part),
            )
        )
        for key, value in rows:
            found[key] = value
    return found


# -- reconciliation (set-based) ----------------------------------------------------------------

# The SQL form of kiosk.domain.stocktake.location_matches (substr, not LIKE: names may hold `_`).
_PLACE_OK = f"""(e.location IS NULL OR s.location IS NULL OR e.location = '{WHOLE_SAFE}'
    OR e.location = s.location
    OR substr(s.location, 1, length(e.location) + 1) = e.location || '/'
    OR substr(e.location, 1, length(s.location) + 1) = s.location || '/')"""

# Only what a person must look at comes back: everything except cards seen once in the right place.
# Two set operations, each one pass over the scans with a primary-key probe: sightings of expected
# cards that are misplaced or repeated (the ledger status is looked up for those rows only), and
# sightings of cards outside the expected set (unexpected when the ledger knows them, else unknown).
# S608: the fragments are constants of this module; the only value is bound (:id).
EXCEPTIONS_SQL = text(
    f"""SELECT CASE WHEN {_PLACE_OK} THEN 'found' ELSE 'misplaced' END AS cls,
        s.management_id, e.location, s.location,
        (SELECT c.status FROM cards c WHERE c.management_id = s.management_id), s.times, s.source
    FROM stocktake_scans s JOIN stocktake_expected e
        ON e.stocktake_id = s.stocktake_id AND e.management_id = s.management_id
    WHERE s.stocktake_id = :id AND (s.times > 1 OR NOT {_PLACE_OK})
    UNION ALL
    SELECT CASE WHEN c.management_id IS NULL THEN 'unknown' ELSE 'unexpected' END,
        s.management_id, NULL, s.location, c.status, s.times, s.source
    FROM stocktake_scans s LEFT JOIN cards c ON c.management_id = s.management_id
    WHERE s.stocktake_id = :id AND NOT EXISTS (
        SELECT 1 FROM stocktake_expected e
        WHERE e.stocktake_id = s.stocktake_id AND e.management_id = s.management_id)
    ORDER BY 2"""  # noqa: S608
)

# Expected and never seen: an anti-join.
MISSING_SQL = text(
    """SELECT e.management_id, e.location, c.status FROM stocktake_expected e
    LEFT JOIN cards c ON c.management_id = e.management_id
    WHERE e.stocktake_id = :id AND NOT EXISTS (
        SELECT 1 FROM stocktake_scans s WHERE s.stocktake_id = e.stocktake_id
        AND s.management_id = e.management_id)
    ORDER BY e.management_id"""
)

_EXPECTED_COUNT_SQL = text("SELECT count(*) FROM stocktake_expected WHERE stocktake_id = :id")
_SOURCES_SQL = text(
    "SELECT source, count(*), sum(times) FROM stocktake_scans WHERE stocktake_id = :id "
    "GROUP BY source ORDER BY source"
)


def source_counts(s: Session, params: Mapping[str, Any]) -> tuple[dict[str, int], int]:
    """First sightings per source, and all reads (repeats included), of stocktake `params["id"]`."""
    sources: dict[str, int] = {}
    reads = 0
    for src, n, total in s.execute(_SOURCES_SQL, params):
        sources[str(src)] = int(n)
        reads += int(total or 0)
    return sources, reads


def _status(value: str | None) -> CardStatus | None:
    return CardStatus(value) if value is not None else None


def reconcile_in(s: Session, stocktake_id: int) -> StocktakeResult:
    params = {"id": stocktake_id}
    expected = int(s.scalar(_EXPECTED_COUNT_SQL, params) or 0)
    missing = tuple(
        ResultLine(mid, loc, None, _status(st), 0, None) for mid, loc, st in s.execute(MISSING_SQL, params)
    )
    lists: dict[str, list[ResultLine]] = {"misplaced": [], "unexpected": [], "unknown": []}
    duplicates: list[ResultLine] = []
    for cls, mid, exp_loc, seen_loc, st, times, src in s.execute(EXCEPTIONS_SQL, params):
        line = ResultLine(mid, exp_loc, seen_loc, _status(st), int(times), src)
        if cls in lists:
            lists[cls].append(line)
        if times > 1:
            duplicates.append(line)
    sources, reads = source_counts(s, params)
    return StocktakeResult(
        stocktake_id=stocktake_id,
        expected=expected,
        found=expected - len(missing),
        missing=missing,
        misplaced=tuple(lists["misplaced"]),
        unexpected=tuple(lists["unexpected"]),
        unknown=tuple(lists["unknown"]),
        duplicates=tuple(duplicates),
        sources=sources,
        reads=reads,
    )


def reconcile(ledger: Ledger, stocktake_id: int) -> StocktakeResult:
    """Reconcile the stocktake (照合) in the database: counts, and the lists of missing, misplaced,
    unexpected, unknown and duplicate cards (never the long list of cards found where they belong)."""
    with ledger.read() as s:
        if s.get(models.Stocktake, stocktake_id) is None:
            raise StocktakeError("no_stocktake", f"there is no stocktake {stocktake_id}")
        return reconcile_in(s, stocktake_id)


def progress(ledger: Ledger, stocktake_id: int) -> Progress:
    """Live counts for the UI's header (the same set operations as `reconcile`)."""
    return reconcile(ledger, stocktake_id).progress


def stocktake_due(ledger: Ledger, today: date, *, every_days: int = 30) -> DueStatus:
    """Is a stocktake due (`[stocktake] due_every_days`, or a handover since the last one)?"""
    with ledger.read() as s:
        last = s.execute(
            select(models.Event.seq, models.Event.at)
            .where(models.Event.kind == EV_FINISHED)
            .order_by(models.Event.seq.desc())
            .limit(1)
        ).first()
        handover = s.execute(
            select(models.Event.seq, models.Event.at)
            .where(models.Event.kind == EV_HANDOVER)
            .order_by(models.Event.seq.desc())
            .limit(1)
        ).first()
        busy = open_row(s, ledger.kiosk) is not None
    handover_since = (
        office_date(handover.at)
        if handover is not None and (last is None or handover.seq > last.seq)
        else None
    )
    return due_status(
        today,
        every_days=every_days,
        last_finished_on=office_date(last.at) if last is not None else None,
        handover_since_last_on=handover_since,
        open_stocktake=busy,
    )


# -- for the report ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StocktakeRecord:
    """Everything the report prints about a stocktake besides the lists."""

    view: StocktakeView
    started_by: tuple[str, str]  # (operator, witness) names
    signed_by: tuple[str, str] | None  # names of the two who finished it
    duration: timedelta | None
    finished_seq: int | None
    finished_hash: str | None
    finish: Mapping[str, Any]  # payload of stocktake_finished
    event_sources: Mapping[str, int]  # scan events per source (batches count once)


def stocktake_record(ledger: Ledger, stocktake_id: int) -> StocktakeRecord:
    """The stocktake's header data: who started and signed it, when, and how it was counted."""
    with ledger.read() as s:
        row = s.get(models.Stocktake, stocktake_id)
        if row is None:
            raise StocktakeError("no_stocktake", f"there is no stocktake {stocktake_id}")
        header = view(s, row)
        names = dict(s.execute(select(models.Staff.id, models.Staff.name)).all())
        fin = s.scalar(
            select(models.Event).where(
                models.Event.stocktake_id == stocktake_id, models.Event.kind == EV_FINISHED
            )
        )
        sources = {
            str(src): int(n)
            for src, n in s.execute(
                text(
                    "SELECT source, count(*) FROM events WHERE stocktake_id = :id AND kind IN "
                    "('stocktake_counted', 'stocktake_batch') GROUP BY source ORDER BY source"
                ),
                {"id": stocktake_id},
            )
        }
    signed = (
        (names.get(fin.actor_id or 0, "?"), names.get(fin.witness_id or 0, "?")) if fin is not None else None
    )
    return StocktakeRecord(
        view=header,
        started_by=(names.get(header.operator_id, "?"), names.get(header.witness_id, "?")),
        signed_by=signed,
        duration=(header.finished_at - header.started_at) if header.finished_at else None,
        finished_seq=fin.seq if fin is not None else None,
        finished_hash=fin.hash if fin is not None else None,
        finish=json.loads(fin.payload) if fin is not None else {},
        event_sources=sources,
    )
