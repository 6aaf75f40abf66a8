"""Cards coming into the ledger: a checked delivery (受領) and the RFID tags bound to its cards.

The application core calls these inside a unit authorised for the act (`Act.RECEIVE`, `Act.BIND_RFID`);
each is all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain.card_state import CardState
from kiosk.domain.delivery import DeliveryCount, DeliveryLine, DeliveryRejected, Problem
from kiosk.domain.events import (
    AtLocation,
    BatchReceived,
    DeliveryDiscrepancy,
    EventKind,
    Received,
    RfidBound,
)
from kiosk.domain.guard import ensure_not_individual_number
from kiosk.ledger import models
from kiosk.ledger.service import CardEventSpec, Unit


def receive_batch(
    u: Unit,
    batch: str,
    lines: Sequence[DeliveryLine],
    *,
    actor_id: int | None = None,
    witness_id: int | None = None,
    location: str = "safe",
    store: bool = True,
) -> list[CardState]:
    """Receive a checked delivery all-or-nothing: if any ID is already in the ledger, nothing is written.

    `store` also records the cards as put in the safe (the usual case: they go in on arrival).
    """
    ensure_not_individual_number(batch, "batch ID")
    ids = [line.management_id.value for line in lines]
    existing = _existing_ids(u.session, set(ids))
    if existing:
        by_id = {line.management_id.value: line.line for line in lines}
        raise DeliveryRejected(
            [
                Problem(f"line {by_id[mid]}: {mid} is already in the ledger", "already_known", by_id[mid])
                for mid in sorted(existing)
            ]
        )
    fields = {"actor_id": actor_id, "witness_id": witness_id}
    specs = []
    for line in lines:
        mid = line.management_id.value
        payload = Received(line.kind.value, batch, location)
        specs.append(CardEventSpec(EventKind.CARD_RECEIVED, mid, payload, fields))
        if store:
            specs.append(CardEventSpec(EventKind.CARD_STORED, mid, AtLocation(location), fields))
    done = u.card_events(specs)
    last = {state.management_id: state for _, state in done}
    states = [last[line.management_id.value] for line in lines]
    u.append(
        EventKind.BATCH_RECEIVED,
        actor_id=actor_id,
        witness_id=witness_id,
        payload=BatchReceived(batch, len(lines)),
    )
    return states


def receive_counted(
    u: Unit,
    batch: str,
    lines: Sequence[DeliveryLine],
    count: DeliveryCount,
    *,
    actor_id: int,
    witness_id: int,
    location: str = "safe",
) -> tuple[list[CardState], int | None]:
    """Receive the cards of a delivery that were counted in at the safe, and record any difference.

    The listed cards that were scanned are received and stored; a card missing from the box is not
    (it never arrived), a card not on the list is not either (its kind is unknown: it goes back to the
    sender or is received with the next list). When the slip, the list and the scans differ, or a card
    was scanned twice, a `delivery_discrepancy` event in the same transaction names every card and the
    counts: the difference is on the chain, never only on the screen. Returns the received cards and
    the discrepancy's sequence number (None when everything matched).
    """
    present = set(count.present)
    taken = [line for line in lines if line.management_id.value in present]
    states = (
        receive_batch(u, batch, taken, actor_id=actor_id, witness_id=witness_id, location=location)
        if taken
        else []
    )
    if count.matches:
        return states, None
    rec = u.append(
        EventKind.DELIVERY_DISCREPANCY,
        actor_id=actor_id,
        witness_id=witness_id,
        payload=DeliveryDiscrepancy(
            batch,
            count.slip,
            len(count.listed),
            len(count.scanned),
            len(taken),
            count.missing,
            count.extra,
            count.duplicates,
        ),
    )
    return states, rec.seq


def bind_rfid_many(
    u: Unit, pairs: Sequence[tuple[str, str]], *, actor_id: int | None = None
) -> list[CardState]:
    """Bind tags to cards in one transaction (a delivery's tags at intake); all or nothing."""
    wanted: dict[str, str] = {}
    for management_id, raw in pairs:
        tag = raw.strip().upper()
        if not tag or not all(c in "0123456789ABCDEF" for c in tag):
            raise ValueError("a tag ID is hexadecimal")
        if wanted.setdefault(tag, management_id) != management_id:
            raise ValueError(f"tag {tag} is given for two cards")
        wanted[tag] = management_id
    bound = dict(
        u.session.execute(
            select(models.RfidBinding.tag, models.RfidBinding.management_id).where(
                models.RfidBinding.tag.in_(list(wanted))
            )
        ).all()
    )
    for tag, mid in wanted.items():
        if bound.get(tag, mid) != mid:
            raise ValueError(f"tag {tag} is already bound to {bound[tag]}")
    known = set(_existing_ids(u.session, set(wanted.values())))
    for mid in wanted.values():
        if mid not in known:
            raise ValueError(f"{mid} is not in the ledger")
    specs = [
        CardEventSpec(EventKind.RFID_BOUND, mid, RfidBound(tag), {"actor_id": actor_id})
        for tag, mid in wanted.items()
    ]
    done = u.card_events(specs)
    for (record, _), (tag, mid) in zip(done, wanted.items(), strict=True):
        if tag not in bound:
            u.session.add(models.RfidBinding(tag=tag, management_id=mid, bound_seq=record.seq))
    return [state for _, state in done]


def _existing_ids(session: Session, ids: set[str]) -> set[str]:
    found: set[str] = set()
    chunk = sorted(ids)
    for i in range(0, len(chunk), 20000):
        part = chunk[i : i + 20000]
        found.update(
            session.scalars(select(models.Card.management_id).where(models.Card.management_id.in_(part)))
        )
    return found
