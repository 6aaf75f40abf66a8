"""Stocktake (点検) operations on the ledger: start, count scans from every source, reconcile, finish.

Every counted scan is committed (its own transaction, `synchronous=FULL`) before its verdict is returned,
so a crash or a power cut loses no scan, and `open_stocktake` resumes where the kiosk stopped.
Reconciliation is set-based: joins and anti-joins of `stocktake_expected`, `stocktake_scans` and `cards`
in the database, never a Python loop over the cabinet.

Events written here: `stocktake_started`, `stocktake_location` (a shelf/slot label scanned on a device),
`stocktake_counted` (first sighting of one ID), `stocktake_batch` (a tray photo or an RFID round),
`refused` (not a management ID; reason code only), `stocktake_search_again`, `card_missing` and
`incident_opened` (a person recorded a card as missing), `card_found`, `stocktake_finished`,
`officer_handover`, and `stocktake_recounted` (a later sighting of a counted card by barcode). A batch
records how often it saw each ID when that is more than once (`times`). So `stocktake_scans.times` is a
projection of events like every other column, and `kiosk verify` rebuilds it (kiosk.ledger.projections).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, literal, select, text, update
from sqlalchemy.orm import Session

from kiosk.domain.card_state import CardState, office_date
from kiosk.domain.events import (
    AtLocation,
    Counted,
    EventKind,
    Found,
    HandedOverSeen,
    IncidentOpened,
    Missing,
    OfficerHandover,
    SearchAgain,
    StocktakeFinished,
)
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.staff import StaffMember, TwoPersonError, require_two_people
from kiosk.domain.status import IN_THE_SAFE, CardStatus, TransitionRefused
from kiosk.domain.stocktake import (
    WHOLE_SAFE,
    DecisionError,
    DueStatus,
    LocationError,
    MissingDecision,
    Progress,
    ResultLine,
    Sighting,
    StocktakeResult,
    StocktakeView,
    classify,
    due_status,
    is_location_label,
    parse_location_label,
    plan_decisions,
)
from kiosk.domain.verdicts import BatchVerdict, FinishKind, FinishOutcome, StocktakeVerdict
from kiosk.ledger import models
from kiosk.ledger.service import Ledger, Unit

OPEN = "open"
FINISHED = "finished"

EV_STARTED = EventKind.STOCKTAKE_STARTED
EV_LOCATION = EventKind.STOCKTAKE_LOCATION
EV_COUNTED = EventKind.STOCKTAKE_COUNTED
EV_RECOUNTED = EventKind.STOCKTAKE_RECOUNTED
EV_BATCH = EventKind.STOCKTAKE_BATCH
EV_SEARCH_AGAIN = EventKind.STOCKTAKE_SEARCH_AGAIN
EV_FINISHED = EventKind.STOCKTAKE_FINISHED
EV_INCIDENT = EventKind.INCIDENT_OPENED
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


def _view(s: Session, row: models.Stocktake) -> StocktakeView:
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


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


# -- starting and resuming -----------------------------------------------------------------------


def start(u: Unit, operator: StaffMember, witness: StaffMember) -> StocktakeView:
    """Start a stocktake (点検開始): two people, one a responsible officer, both already signed in.

    Freezes the expected set — every card the ledger says is in the safe, with its location — in one
    INSERT … SELECT. Raises TwoPersonError, or StocktakeError(already_open) while one is open here.
    """
    require_two_people(operator, witness, need_officer=True)
    busy = _open_row(u.session, u.kiosk)
    if busy is not None:
        raise StocktakeError("already_open", f"stocktake {busy.id} is still open at this kiosk")
    row = models.Stocktake(
        kiosk=u.kiosk, started_at=u.at, operator_id=operator.id, witness_id=witness.id, status=OPEN
    )
    u.session.add(row)
    u.session.flush()
    u.session.execute(
        insert(models.StocktakeExpected).from_select(
            ["stocktake_id", "management_id", "location"],
            select(literal(row.id), models.Card.management_id, models.Card.location).where(
                # Cancelled cards wait in the safe for disposal: they are counted too.
                models.Card.status.in_(sorted(IN_THE_SAFE))
            ),
        )
    )
    # The frozen set goes on the chain as a digest: the table could be edited, the chain cannot.
    digest = hashlib.sha256()
    expected = 0
    for mid in u.session.scalars(
        select(models.StocktakeExpected.management_id)
        .where(models.StocktakeExpected.stocktake_id == row.id)
        .order_by(models.StocktakeExpected.management_id)
    ):
        digest.update(mid.encode() + b"\n")
        expected += 1
    u.append(
        EV_STARTED,
        actor_id=operator.id,
        witness_id=witness.id,
        stocktake_id=row.id,
        device=u.kiosk,
        # reads_on_chain: every sighting of this stocktake is an event (repeats included), so verify
        # compares each card's `times`; a stocktake started before that was so has no such key.
        payload={"expected": expected, "expected_sha256": digest.hexdigest(), "reads_on_chain": True},
    )
    return _view(u.session, row)


def _open_row(s: Session, kiosk: str) -> models.Stocktake | None:
    return s.scalar(
        select(models.Stocktake)
        .where(models.Stocktake.kiosk == kiosk, models.Stocktake.status == OPEN)
        .order_by(models.Stocktake.id.desc())
        .limit(1)
    )


def open_stocktake(ledger: Ledger) -> StocktakeView | None:
    """The open stocktake at this kiosk, if any: after a restart the kiosk resumes it."""
    with ledger.read() as s:
        row = _open_row(s, ledger.kiosk)
        return _view(s, row) if row is not None else None


def get_stocktake(ledger: Ledger, stocktake_id: int) -> StocktakeView | None:
    """One stocktake, open or finished."""
    with ledger.read() as s:
        row = s.get(models.Stocktake, stocktake_id)
        return _view(s, row) if row is not None else None


def list_stocktakes(ledger: Ledger, limit: int = 20) -> list[StocktakeView]:
    """The newest stocktakes first."""
    with ledger.read() as s:
        rows = s.scalars(select(models.Stocktake).order_by(models.Stocktake.id.desc()).limit(limit)).all()
        return [_view(s, r) for r in rows]


def _require_open(u: Unit, stocktake_id: int) -> models.Stocktake:
    row = u.session.get(models.Stocktake, stocktake_id)
    if row is None:
        raise StocktakeError("no_stocktake", f"there is no stocktake {stocktake_id}")
    if row.status != OPEN:
        raise StocktakeError("not_open", f"stocktake {stocktake_id} is {row.status}")
    return row


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


# -- counting ----------------------------------------------------------------------------------


def record_scan(
    u: Unit,
    stocktake_id: int,
    text_or_id: str,
    *,
    source: str = SOURCE_BARCODE,
    device: str | None = None,
    location: str | None = None,
) -> StocktakeVerdict:
    """Count one scanned or typed management ID, or take a shelf/slot label (`L:shelf-1`).

    `location` overrides the device's current label (location-first counting). The scan is committed
    before the verdict is returned. Raises StocktakeError when the stocktake is not open.
    """
    fields: dict[str, Any] = {"stocktake_id": stocktake_id, "device": device, "source": source}
    if is_location_label(text_or_id):
        try:
            place = parse_location_label(text_or_id)
        except LocationError as exc:
            return _refused(u, stocktake_id, exc.reason, "not a valid location label", fields)
        _require_open(u, stocktake_id)
        rec = u.append(EV_LOCATION, payload=AtLocation(place), **fields)
        where = place or "保管庫全体 (whole safe)"
        return StocktakeVerdict(Sighting.LOCATION, f"counting at {where}", location=place, seq=rec.seq)
    try:
        mid = ManagementId.parse(text_or_id)
    except Refusal as exc:
        return _refused(u, stocktake_id, exc.reason, exc.detail, fields)
    _require_open(u, stocktake_id)
    here = location if location is not None else device_location(u.session, stocktake_id, device)
    return _count_one(u, stocktake_id, mid.value, here, fields)


def _refused(
    u: Unit, stocktake_id: int, reason: str, detail: str, fields: dict[str, Any]
) -> StocktakeVerdict:
    _require_open(u, stocktake_id)
    rec = u.refuse(reason, attempted="stocktake_scan", **fields)
    return StocktakeVerdict(Sighting.REFUSED, detail or reason, seq=rec.seq, detail=reason)


_MESSAGES = {
    Sighting.FOUND: "found",
    Sighting.MISPLACED: "found, but not where the ledger says",
    Sighting.DUPLICATE: "already counted",
    Sighting.UNEXPECTED: "in the safe, but the ledger says it is not",
    Sighting.UNKNOWN: "not in the ledger",
}


def _count_one(
    u: Unit, stocktake_id: int, mid: str, here: str | None, fields: dict[str, Any]
) -> StocktakeVerdict:
    s = u.session
    seen = s.get(models.StocktakeScan, (stocktake_id, mid))
    expected = s.get(models.StocktakeExpected, (stocktake_id, mid))
    card = s.get(models.Card, mid)
    status = CardStatus(card.status) if card is not None else None
    expected_location = expected.location if expected is not None else None
    if seen is not None:
        # A repeat raises the counter, and says so on the chain (the counter is a projection).
        again: dict[str, Any] = {"location": here}
        if card is None:
            again["id"] = mid
        rec = u.append(EV_RECOUNTED, card_id=mid if card is not None else None, payload=again, **fields)
        seen.times += 1
        return StocktakeVerdict(
            Sighting.DUPLICATE,
            _MESSAGES[Sighting.DUPLICATE],
            mid,
            seen.location,
            expected_location,
            status,
            seen.times,
            rec.seq,
        )
    code = classify(
        expected=expected is not None,
        expected_location=expected_location,
        seen_location=here,
        ledger_status=status,
        already_counted=False,
    )
    payload: dict[str, Any] = {"verdict": code.value, "location": here}
    if card is None:
        # Not a card of ours: the ID goes in the payload, never in card_id (it has no history here).
        payload["id"] = mid
    rec = u.append(EV_COUNTED, card_id=mid if card is not None else None, payload=payload, **fields)
    if status is CardStatus.ISSUED:
        _handed_over_seen(u, [mid], fields)
    s.add(
        models.StocktakeScan(
            stocktake_id=stocktake_id,
            management_id=mid,
            location=here,
            source=str(fields["source"] or SOURCE_BARCODE),
            times=1,
            first_seq=rec.seq,
        )
    )
    return StocktakeVerdict(code, _MESSAGES[code], mid, here, expected_location, status, 1, rec.seq)


def _handed_over_seen(u: Unit, ids: Sequence[str], fields: Mapping[str, Any]) -> None:
    """A card already handed over (交付済) counted at the safe: an alarm on the chain, once per card and
    stocktake (its first sighting), for the supervisor's page, beside the 予定外 sighting itself."""
    for mid in ids:
        u.append(
            EventKind.HANDED_OVER_CARD_SEEN, card_id=mid, payload=HandedOverSeen("stocktake_scan"), **fields
        )


def record_many(
    u: Unit,
    stocktake_id: int,
    codes: Iterable[str] = (),
    *,
    tags: Iterable[str] = (),
    source: str,
    device: str | None = None,
    location: str | None = None,
) -> BatchVerdict:
    """Count a tray photo's decoded codes or an RFID round's tag IDs in one transaction, set-based.

    A location label among a photo's codes sets the location for that photo. A code seen twice in one
    photo is two labels with one ID, so both sightings count; an RFID round counts each tag once.
    """
    ids: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    labels: set[str | None] = set()
    for value in codes:
        if is_location_label(value):
            try:
                labels.add(parse_location_label(value))
            except LocationError as exc:
                refused[exc.reason] += 1
            continue
        try:
            ids[ManagementId.parse(value).value] += 1
        except Refusal as exc:
            refused[exc.reason] += 1
    round_tags = sorted({t.strip().upper() for t in tags if t.strip()})
    if len(labels) > 1:
        refused["several_locations"] += 1
    s = u.session
    _require_open(u, stocktake_id)
    if location is not None:
        here: str | None = location
    elif len(labels) == 1:
        here = next(iter(labels))
    else:
        here = device_location(s, stocktake_id, device)
    bound = _tag_map(s, round_tags)
    for mid in set(bound.values()):
        ids[mid] += 1
    unbound = tuple(t for t in round_tags if t not in bound)
    distinct = sorted(ids)
    counted = _existing(s, stocktake_id, distinct)
    new = [m for m in distinct if m not in counted]
    statuses = _card_statuses(s, new)
    expected = _expected_locations(s, stocktake_id, new)
    groups: dict[Sighting, list[str]] = {}
    for mid in new:
        code = classify(
            expected=mid in expected,
            expected_location=expected.get(mid),
            seen_location=here,
            ledger_status=statuses.get(mid),
            already_counted=False,
        )
        groups.setdefault(code, []).append(mid)
    repeats = sorted(m for m in distinct if m in counted)
    if repeats:
        groups[Sighting.DUPLICATE] = repeats
    seq: int | None = None
    if distinct or refused or unbound:
        payload: dict[str, Any] = {"location": here, "counted": {k.value: v for k, v in groups.items()}}
        if refused:
            payload["refused"] = dict(sorted(refused.items()))
        if unbound:
            payload["unbound_tags"] = list(unbound)
        several = {mid: ids[mid] for mid in distinct if ids[mid] > 1}
        if several:
            payload["times"] = several  # seen more than once in this batch (the rest: once)
        seq = u.append(EV_BATCH, payload=payload, stocktake_id=stocktake_id, device=device, source=source).seq
    issued = [m for m in new if statuses.get(m) is CardStatus.ISSUED]
    if issued:
        _handed_over_seen(u, issued, {"stocktake_id": stocktake_id, "device": device, "source": source})
    if new:
        s.execute(
            insert(models.StocktakeScan),
            [
                {
                    "stocktake_id": stocktake_id,
                    "management_id": mid,
                    "location": here,
                    "source": source,
                    "times": ids[mid],
                    "first_seq": seq,
                }
                for mid in new
            ],
        )
    by_increment: dict[int, list[str]] = {}
    for mid in repeats:
        by_increment.setdefault(ids[mid], []).append(mid)
    for n, group in by_increment.items():
        for part in _chunks(group):
            s.execute(
                update(models.StocktakeScan)
                .where(
                    models.StocktakeScan.stocktake_id == stocktake_id,
                    models.StocktakeScan.management_id.in_(part),
                )
                .values(times=models.StocktakeScan.times + n)
                .execution_options(synchronize_session=False)
            )
    return BatchVerdict(
        seq,
        source,
        here,
        {k: tuple(v) for k, v in groups.items()},
        dict(refused),
        unbound,
    )


def _tag_map(s: Session, tags: Sequence[str]) -> dict[str, str]:
    # The same lookup as Ledger.card_for_tag, for a whole round at once.
    found: dict[str, str] = {}
    for part in _chunks(tags):
        rows = s.execute(
            select(models.RfidBinding.tag, models.RfidBinding.management_id).where(
                models.RfidBinding.tag.in_(part)
            )
        )
        for key, value in rows:
            found[key] = value
    return found


def _existing(s: Session, stocktake_id: int, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for part in _chunks(ids):
        found.update(
            s.scalars(
                select(models.StocktakeScan.management_id).where(
                    models.StocktakeScan.stocktake_id == stocktake_id,
                    models.StocktakeScan.management_id.in_(part),
                )
            )
        )
    return found


def _card_statuses(s: Session, ids: Sequence[str]) -> dict[str, CardStatus]:
    found: dict[str, CardStatus] = {}
    for part in _chunks(ids):
        rows = s.execute(
            select(models.Card.management_id, models.Card.status).where(models.Card.management_id.in_(part))
        )
        found.update({mid: CardStatus(st) for mid, st in rows})
    return found


def _expected_locations(s: Session, stocktake_id: int, ids: Sequence[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for part in _chunks(ids):
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
_EXCEPTIONS_SQL = text(
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
_MISSING_SQL = text(
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


def _reconcile(s: Session, stocktake_id: int) -> StocktakeResult:
    params = {"id": stocktake_id}
    expected = int(s.scalar(_EXPECTED_COUNT_SQL, params) or 0)
    missing = tuple(
        ResultLine(mid, loc, None, _status(st), 0, None) for mid, loc, st in s.execute(_MISSING_SQL, params)
    )
    lists: dict[str, list[ResultLine]] = {"misplaced": [], "unexpected": [], "unknown": []}
    duplicates: list[ResultLine] = []
    for cls, mid, exp_loc, seen_loc, st, times, src in s.execute(_EXCEPTIONS_SQL, params):
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
        return _reconcile(s, stocktake_id)


def progress(ledger: Ledger, stocktake_id: int) -> Progress:
    """Live counts for the UI's header (the same set operations as `reconcile`)."""
    return reconcile(ledger, stocktake_id).progress


# -- finishing ---------------------------------------------------------------------------------


def finish(
    u: Unit,
    stocktake_id: int,
    decisions: Mapping[str, MissingDecision],
    operator: StaffMember,
    witness: StaffMember,
) -> FinishOutcome:
    """Finish and sign the stocktake (点検完了): two people, one a responsible officer.

    Every card still missing needs a person's decision (`plan_decisions`); nothing is marked missing
    by default. `record_missing` writes `card_missing` and opens an incident; `found_elsewhere` counts
    the card with the note; a card the ledger had as missing and that was seen now comes back
    (`card_found`). If any card is to be searched again, that decision is recorded and returned as the
    outcome: the stocktake stays open. All or nothing otherwise.
    """
    require_two_people(operator, witness, need_officer=True)
    s = u.session
    row = _require_open(u, stocktake_id)
    sign: dict[str, Any] = {"actor_id": operator.id, "witness_id": witness.id, "stocktake_id": stocktake_id}
    missing = [mid for mid, _loc, _st in s.execute(_MISSING_SQL, {"id": stocktake_id})]
    plan = plan_decisions(missing, decisions)
    if not plan.can_finish:
        rec = u.append(EV_SEARCH_AGAIN, payload=SearchAgain(plan.search_again), device=u.kiosk, **sign)
        return FinishOutcome(FinishKind.SEARCH_AGAIN, rec.seq, search_again=plan.search_again)
    gone = [
        mid
        for mid, _ in plan.record_missing
        if (card := s.get(models.Card, mid)) is None
        or card.status not in (*IN_THE_SAFE, CardStatus.OUT.value)
    ]
    if gone:
        raise DecisionError("status_changed", "the ledger changed for these cards meanwhile", gone)
    for mid, note in plan.found_elsewhere:
        rec = u.append(
            EV_COUNTED,
            card_id=mid,
            payload=Counted("found_elsewhere", None, note=note),
            source=SOURCE_DECISION,
            **sign,
        )
        s.add(
            models.StocktakeScan(
                stocktake_id=stocktake_id,
                management_id=mid,
                location=None,
                source=SOURCE_DECISION,
                times=1,
                first_seq=rec.seq,
            )
        )
    s.flush()
    # The signed result: the lists as they stand before the card events below.
    result = _reconcile(s, stocktake_id)
    incidents = []
    for mid, note in plan.record_missing:
        u.card_event(EventKind.CARD_MISSING, mid, payload=Missing(note, stocktake=stocktake_id), **sign)
        rec = u.append(
            EV_INCIDENT,
            card_id=mid,
            payload=IncidentOpened(EventKind.CARD_MISSING, stocktake_id, note),
            **sign,
        )
        incidents.append(rec.seq)
    recovered = [line for line in result.unexpected if line.ledger_status is CardStatus.MISSING]
    for line in recovered:
        found = Found(line.seen_location or WHOLE_SAFE, stocktake=stocktake_id)
        u.card_event(EventKind.CARD_FOUND, line.management_id, payload=found, **sign)
    row.status = FINISHED
    row.finished_at = u.at
    rec = u.append(
        EV_FINISHED,
        device=u.kiosk,
        payload=StocktakeFinished(
            expected=result.expected,
            found=result.found,
            recorded_missing=tuple(m for m, _ in plan.record_missing),
            notes=dict((*plan.record_missing, *plan.found_elsewhere)),
            found_elsewhere=tuple(m for m, _ in plan.found_elsewhere),
            incidents=tuple(incidents),
            recovered=tuple(line.management_id for line in recovered),
            misplaced=tuple(line.management_id for line in result.misplaced),
            unexpected=tuple(line.management_id for line in result.unexpected),
            unknown=tuple(line.management_id for line in result.unknown),
            duplicates=len(result.duplicates),
            sources=dict(result.sources),
            reads=result.reads,
        ),
        **sign,
    )
    return FinishOutcome(FinishKind.FINISHED, rec.seq, result=result)


# -- outside a stocktake -----------------------------------------------------------------------


def record_found(
    u: Unit,
    management_id: str,
    operator: StaffMember,
    witness: StaffMember,
    *,
    note: str,
    location: str = WHOLE_SAFE,
) -> CardState:
    """A card recorded as missing is found and put back in the safe (card_found, two people)."""
    require_two_people(operator, witness)
    if not note.strip():
        raise ValueError("a found record needs a note")
    mid = ManagementId.parse(management_id).value
    try:
        _, state = u.card_event(
            EventKind.CARD_FOUND,
            mid,
            payload=Found(location, note=note.strip()),
            actor_id=operator.id,
            witness_id=witness.id,
        )
    except (TransitionRefused, KeyError) as exc:
        raise StocktakeError("wrong_status", str(exc)) from None
    return state


def record_handover(u: Unit, from_officer: StaffMember, to_officer: StaffMember, witness: StaffMember) -> int:
    """Record a handover of the responsible officer (保管責任者の引継ぎ); a stocktake is then due.

    Returns the event's sequence number.
    """
    if not to_officer.is_officer:
        raise TwoPersonError("need_officer", f"{to_officer.name} is not a responsible officer (保管責任者)")
    require_two_people(from_officer, to_officer)
    require_two_people(to_officer, witness)
    if witness.id == from_officer.id:
        raise TwoPersonError("same_person", "the witness must be a third person")
    rec = u.append(
        EV_HANDOVER,
        actor_id=to_officer.id,
        witness_id=witness.id,
        device=u.kiosk,
        payload=OfficerHandover(from_officer.id, to_officer.id),
    )
    return rec.seq


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
        busy = _open_row(s, ledger.kiosk) is not None
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
        view = _view(s, row)
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
        view=view,
        started_by=(names.get(view.operator_id, "?"), names.get(view.witness_id, "?")),
        signed_by=signed,
        duration=(view.finished_at - view.started_at) if view.finished_at else None,
        finished_seq=fin.seq if fin is not None else None,
        finished_hash=fin.hash if fin is not None else None,
        finish=json.loads(fin.payload) if fin is not None else {},
        event_sources=sources,
    )
