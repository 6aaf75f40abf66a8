"""Stocktake (点検) writes: start, count scans from every source, finish (the reads: read_models.stocktakes).

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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import insert, literal, select, update

from kiosk.domain.card_state import CardState
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
    LocationError,
    MissingDecision,
    Sighting,
    StocktakeView,
    classify,
    is_location_label,
    parse_location_label,
    plan_decisions,
    read_batch,
    sort_sightings,
)
from kiosk.domain.verdicts import BatchVerdict, FinishKind, FinishOutcome, StocktakeVerdict
from kiosk.ledger import models
from kiosk.ledger.read_models.stocktakes import (
    EV_FINISHED,
    EV_HANDOVER,
    EV_LOCATION,
    FINISHED,
    MISSING_SQL,
    OPEN,
    SOURCE_BARCODE,
    SOURCE_DECISION,
    StocktakeError,
    card_statuses,
    chunks,
    counted_already,
    device_location,
    expected_locations,
    open_row,
    reconcile_in,
    tag_map,
    view,
)
from kiosk.ledger.service import Unit

EV_STARTED = EventKind.STOCKTAKE_STARTED
EV_COUNTED = EventKind.STOCKTAKE_COUNTED
EV_RECOUNTED = EventKind.STOCKTAKE_RECOUNTED
EV_BATCH = EventKind.STOCKTAKE_BATCH
EV_SEARCH_AGAIN = EventKind.STOCKTAKE_SEARCH_AGAIN
EV_INCIDENT = EventKind.INCIDENT_OPENED

# -- starting and resuming -----------------------------------------------------------------------


def start(u: Unit, operator: StaffMember, witness: StaffMember) -> StocktakeView:
    """Start a stocktake (点検開始): two people, one a responsible officer, both already signed in.

    Freezes the expected set — every card the ledger says is in the safe, with its location — in one
    INSERT … SELECT. Raises TwoPersonError, or StocktakeError(already_open) while one is open here.
    """
    require_two_people(operator, witness, need_officer=True)
    busy = open_row(u.session, u.kiosk)
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
    return view(u.session, row)


def _require_open(u: Unit, stocktake_id: int) -> models.Stocktake:
    row = u.session.get(models.Stocktake, stocktake_id)
    if row is None:
        raise StocktakeError("no_stocktake", f"there is no stocktake {stocktake_id}")
    if row.status != OPEN:
        raise StocktakeError("not_open", f"stocktake {stocktake_id} is {row.status}")
    return row


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
    reading = read_batch(codes, tags)
    ids, refused = reading.ids, reading.refused
    s = u.session
    _require_open(u, stocktake_id)
    if reading.names_location(location):
        here = reading.location(location)
    else:
        here = device_location(s, stocktake_id, device)
    bound = tag_map(s, reading.tags)
    for mid in set(bound.values()):
        ids[mid] += 1
    unbound = tuple(t for t in reading.tags if t not in bound)
    distinct = sorted(ids)
    counted = counted_already(s, stocktake_id, distinct)
    new = [m for m in distinct if m not in counted]
    statuses = card_statuses(s, new)
    groups = sort_sightings(
        new, expected=expected_locations(s, stocktake_id, new), statuses=statuses, here=here
    )
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
        for part in chunks(group):
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
    missing = [mid for mid, _loc, _st in s.execute(MISSING_SQL, {"id": stocktake_id})]
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
    result = reconcile_in(s, stocktake_id)
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
