"""The My Number guard on every row the ORM writes: defence in depth at the storage boundary.

`install_guard(sessionmaker)` adds a `before_flush` listener that checks every String/Text column of each
new or changed ORM object (staff names and badges, locations, hold reasons, batch IDs, device and source
labels, event payloads …) with `kiosk.domain.guard`. A refusal raises `TextRefusal` out of the flush, so
the unit of work rolls back and nothing is half-written. Columns holding identifiers with a format are
validated by that format instead (hashes, tag IDs); the PIN hash is a secret that is never shown.

Bulk ORM statements (`session.execute(insert(Model), rows)` in `Unit.card_events` and the stocktake)
bypass the flush; a `do_orm_execute` listener checks their rows' String/Text values the same way (their
events have also passed `Unit._next`, which runs the guard before hashing). The few plain statements of
the scan path check their rows with `check_row`; its events are guarded by `Unit._next` itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from drivers.text import INDIVIDUAL_NUMBER_LENGTH
from kiosk.domain.guard import guard_payload, guard_text, validate_digest, validate_tag

_DIGIT = re.compile(r"\d")  # any Nd digit


def _digest(value: str, field: str) -> None:
    validate_digest(value, field)


def _tag(value: str, field: str) -> None:
    validate_tag(value, field=field)


def _payload(value: str, field: str) -> None:
    # The canonical JSON text: its separators would join neighbouring IDs, so check the decoded values
    # (unless the whole text has fewer than twelve digits, the common case, which needs no decoding).
    if len(_DIGIT.findall(value)) >= INDIVIDUAL_NUMBER_LENGTH:
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
    ("staff", "pin_mac"): _digest,  # HMAC-SHA256 hex (kiosk.ledger.meta.pin_mac)
    ("staff", "row_mac"): _digest,  # HMAC-SHA256 hex (kiosk.ledger.meta.row_mac)
    ("ledger_meta", "value"): _digest,  # the ledger id and the pepper's check value, both 64-hex
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


def _before_bulk(state: ORMExecuteState) -> None:
    # `session.execute(insert(Model), [rows])` / `update(Model)` bypass the flush: check their rows too.
    if not (state.is_insert or state.is_update) or state.bind_mapper is None:
        return
    rows = state.parameters
    if not rows:
        return
    local = state.bind_mapper.local_table
    table = str(getattr(local, "name", ""))
    strings = {c.name for c in local.columns if isinstance(c.type, String)}
    batch: list[Mapping[str, Any]] = (
        [rows] if isinstance(rows, Mapping) else [r for r in rows if isinstance(r, Mapping)]
    )
    for row in batch:
        for name, value in row.items():
            if name in strings and isinstance(value, str):
                COLUMN_CHECKS.get((table, name), _text)(value, f"{table}.{name}")


def check_row(table: str, row: Mapping[str, Any]) -> None:
    """Check the string values of one row written with a plain statement (`Unit.card_event`'s UPDATE)."""
    for name, value in row.items():
        if isinstance(value, str):
            COLUMN_CHECKS.get((table, name), _text)(value, f"{table}.{name}")


def install_guard(factory: sessionmaker[Session]) -> None:
    """Guard every flush and every bulk ORM insert/update of the sessions `factory` makes (idempotent)."""
    if not event.contains(factory, "before_flush", _before_flush):
        event.listen(factory, "before_flush", _before_flush)
    if not event.contains(factory, "do_orm_execute", _before_bulk):
        event.listen(factory, "do_orm_execute", _before_bulk)
