"""The hash chain: canonical encoding of an event and its SHA-256.

Canonical encoding: JSON of the event's fields with sorted keys, no insignificant white space, UTF-8,
times as ISO 8601 UTC with microseconds and a `Z`. Each hash covers the previous one, so editing,
deleting, inserting or reordering any event breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring as _q
from typing import Any

GENESIS_HASH = "0" * 64


# One encoder for every call: json.dumps with options builds a new encoder each time, which is most of
# the cost of hashing a million events.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any) -> str:
    """The one JSON text form used for payloads and hashing."""
    return _ENCODER.encode(value)


def format_time(at: datetime) -> str:
    """ISO 8601 UTC with microseconds: the form hashed (stable across SQLite and PostgreSQL)."""
    if at.tzinfo is None:
        raise ValueError("event times are UTC-aware")
    # isoformat with fixed microseconds is the same text as "%Y-%m-%dT%H:%M:%S.%fZ", and much faster.
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event as stored and hashed (a frozen view of one `events` row)."""

    seq: int
    at: datetime
    kind: str
    card_id: str | None
    actor_id: int | None
    witness_id: int | None
    session_id: int | None
    stocktake_id: int | None
    device: str | None
    source: str | None
    payload: str
    prev_hash: str
    hash: str

    @property
    def data(self) -> dict[str, Any]:
        """The payload, decoded."""
        decoded: dict[str, Any] = json.loads(self.payload)
        return decoded


def event_hash(
    *,
    seq: int,
    at: datetime,
    kind: str,
    card_id: str | None,
    actor_id: int | None,
    witness_id: int | None,
    session_id: int | None,
    stocktake_id: int | None,
    device: str | None,
    source: str | None,
    payload: str,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) over the canonical encoding of every field and the previous hash."""
    body = canonical_json(
        {
            "seq": seq,
            "at": format_time(at),
            "kind": kind,
            "card": card_id,
            "actor": actor_id,
            "witness": witness_id,
            "session": session_id,
            "stocktake": stocktake_id,
            "device": device,
            "source": source,
            "payload": payload,
            "prev": prev_hash,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def body_text(
    seq: int,
    at: str,
    kind: str,
    card: str | None,
    actor: int | None,
    witness: int | None,
    session: int | None,
    stocktake: int | None,
    device: str | None,
    source: str | None,
    payload: str,
    prev: str,
) -> str:
    """The canonical encoding `event_hash` hashes, given the time already as its text (`format_time`).

    One f-string instead of a dict through the JSON encoder: a third of the hashing's time on the scan
    path and in `verify`. tests/integrity/test_anchors proves it byte for byte `event_hash`'s text.
    """
    return (
        f'{{"actor":{"null" if actor is None else actor},"at":"{at}",'
        f'"card":{"null" if card is None else _q(card)},"device":{"null" if device is None else _q(device)},'
        f'"kind":{_q(kind)},"payload":{_q(payload)},"prev":{_q(prev)},"seq":{seq},'
        f'"session":{"null" if session is None else session},'
        f'"source":{"null" if source is None else _q(source)},'
        f'"stocktake":{"null" if stocktake is None else stocktake},'
        f'"witness":{"null" if witness is None else witness}}}'
    )


def recompute(record: EventRecord) -> str:
    """The hash `record` should carry, given its fields and its stored previous hash."""
    return event_hash(
        seq=record.seq,
        at=record.at,
        kind=record.kind,
        card_id=record.card_id,
        actor_id=record.actor_id,
        witness_id=record.witness_id,
        session_id=record.session_id,
        stocktake_id=record.stocktake_id,
        device=record.device,
        source=record.source,
        payload=record.payload,
        prev_hash=record.prev_hash,
    )
