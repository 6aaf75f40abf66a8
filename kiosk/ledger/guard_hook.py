"""The My Number guard on every row the ORM writes: defence in depth at the storage boundary.

`install_guard(sessionmaker)` adds a `before_flush` listener that checks every String/Text column of each
new or changed ORM object (staff names and badges, locations, hold reasons, batch IDs, device and source
labels, event payloads …) with `kiosk.domain.guard`. A refusal raises `TextRefusal` out of the flush, so
the unit of work rolls back and nothing is half-written. Columns holding identifiers with a format are
validated by that format instead (hashes, tag IDs); the PIN hash is a secret that is never shown.

Bulk statements (`Unit.card_events`) bypass the ORM flush; their events pass `Unit._next`, which runs the
same guard before hashing, and the card rows they write are folds of those guarded payloads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from kiosk.domain.guard import guard_payload, guard_text, validate_digest, validate_tag


def _digest(value: str, field: str) -> None:
    validate_digest(value, field)


def _tag(value: str, field: str) -> None:
    validate_tag(value, field=field)


def _payload(value: str, field: str) -> None:
    # The canonical JSON text: its separators would join neighbouring IDs, so check the decoded values.
    guard_payload(json.loads(value), field)


def _secret(value: str, field: str) -> None:
    """Never shown, never searched: a scrypt hash of the PIN (its salt and digest are random bytes)."""


def _text(value: str, field: str) -> None:
    guard_text(value, field)


# (table, column) -> how the value is checked; every other String/Text column gets `guard_text`.
COLUMN_CHECKS: dict[tuple[str, str], Callable[[str, str], None]] = {
    ("events", "payload"): _payload,
    ("events", "hash"): _digest,
    ("events", "prev_hash"): _digest,
    ("ledger_head", "hash"): _digest,
    ("staff", "pin_hash"): _secret,
    ("cards", "rfid_tag"): _tag,
    ("rfid_bindings", "tag"): _tag,
}


def check_object(obj: Any) -> None:
    """Check every String/Text column of one mapped object; raise `TextRefusal` naming table.column."""
    mapper = inspect(obj).mapper
    for table in mapper.tables:
        for column in table.columns:
            if not isinstance(column.type, String):
                continue
            prop = mapper.get_property_by_column(column)
            value = getattr(obj, prop.key, None)
            if not isinstance(value, str):
                continue
            check = COLUMN_CHECKS.get((table.name, column.name), _text)
            check(value, f"{table.name}.{column.name}")


def check_objects(objects: Iterable[Any]) -> None:
    for obj in objects:
        check_object(obj)


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    check_objects(session.new)
    check_objects(session.dirty)


def install_guard(factory: sessionmaker[Session]) -> None:
    """Guard every flush of the sessions `factory` makes (idempotent)."""
    if not event.contains(factory, "before_flush", _before_flush):
        event.listen(factory, "before_flush", _before_flush)
