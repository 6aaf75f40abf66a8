"""Japanese words for event kinds, people, statuses and reason codes as they appear on paper.

Paper shows no codes and no data structures: an event's payload becomes a short Japanese sentence
(`describe_event`), staff IDs become names with their rank (正/副N), lists of cards become a count and
the first few IDs. The words themselves are the text catalogue's (`kiosk.texts`, `kiosk.texts.paper`);
this module puts them together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kiosk.domain.events import EventKind
from kiosk.domain.events import info as kind_info
from kiosk.domain.staff import rank_label
from kiosk.texts import alert_name, kind_name, value_ja
from kiosk.texts.forms import PaperText as W
from kiosk.texts.paper import CHANNEL_JA, KIND_KEY_JA, PAYLOAD_KEY_JA, VALUE_JA

__all__ = [
    "PAYLOAD_KEY_JA",
    "VALUE_JA",
    "People",
    "describe_event",
    "key_ja",
    "kind_ja",
    "value_ja",
]

# Keys whose value is a number of records.
COUNT_KEYS = frozenset({"events", "anchors", "verified", "reads", "carried_staff_events"})
# Where a key means something else for some kinds (a disposal's batch is its list, not a delivery).
DISPOSAL_KINDS = frozenset(
    {
        EventKind.CARD_CANCELLED,
        EventKind.CARD_DISPOSED,
        EventKind.DISPOSAL_APPROVED,
        EventKind.DISPOSAL_FINISHED,
    }
)
# Keys that stay off paper: digests and per-card notes that other keys already show.
# (a badge code is a credential; reads_on_chain is a format flag for `kiosk verify`, nothing to read)
# (pepper_check is a digest that proves the pepper, not something a reader checks by eye)
# (an alert's body repeats what its subject and its source event say, over many lines)
# (pin_mac tells the kiosk which PIN hash is the newest: a digest, nothing a reader checks)
HIDDEN_KEYS = frozenset(
    {"expected_sha256", "notes", "badge", "reads_on_chain", "pepper_check", "body", "pin_mac"}
)
# Keys whose value is a staff ID.
STAFF_KEYS = frozenset({"override_by", "staff", "from", "to", "supervisor"})

MAX_CARDS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class People:
    """Staff as paper names them: the name, and for an officer the rank (保管 正子（正）)."""

    names: Mapping[int, str] = field(default_factory=dict)
    ranks: Mapping[int, int | None] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, str, int | None]]) -> People:
        names: dict[int, str] = {}
        ranks: dict[int, int | None] = {}
        for staff_id, name, rank in rows:
            names[staff_id] = name
            ranks[staff_id] = rank
        return cls(names, ranks)

    def __call__(self, staff_id: int | None) -> str:
        if staff_id is None:
            return ""
        name = self.names.get(staff_id)
        if name is None:
            return W.STAFF_NO.fill(id=staff_id)
        rank = rank_label(self.ranks.get(staff_id))
        return W.NAME_RANK.fill(name=name, rank=rank) if rank else name


def office_lead(office: str) -> str:
    """The office before a line of paper, when there is one ("テスト市 市民課　")."""
    return W.OFFICE_LEAD.fill(office=office) if office else ""


def key_ja(key: str, kind: str | None = None) -> str:
    """A payload field's name on paper (every field of every payload type has one; a test checks)."""
    if kind is not None and (kind, key) in KIND_KEY_JA:
        return KIND_KEY_JA[(EventKind(kind), key)]
    return PAYLOAD_KEY_JA.get(key, W.OTHER_FIELD.ja)


def kind_ja(kind: str) -> str:
    """The Japanese name of an event kind (from the registry)."""
    return kind_name(kind, "ja")


def _cards(values: list[Any]) -> str:
    shown = W.LIST_SEP.ja.join(str(v) for v in values[:MAX_CARDS_SHOWN])
    more = W.MORE_CARDS.fill(n=len(values) - MAX_CARDS_SHOWN) if len(values) > MAX_CARDS_SHOWN else ""
    return W.CARDS_LISTED.fill(n=len(values), shown=shown, more=more) if values else W.NONE.ja


def _value(key: str, value: Any, people: People) -> str | None:
    if value is None or value == "" or value == [] or value == {}:
        return None
    if key in STAFF_KEYS and isinstance(value, int):
        return people(value)
    if key == "rank":
        return rank_label(value if isinstance(value, int) else None) or None
    if key == "checklist" and isinstance(value, list):
        return W.CHECKED_ITEMS.fill(n=len(value))
    if key == "stocktake":
        return W.ORDINAL.fill(n=value)
    if key == "duplicates" and isinstance(value, int):
        return W.CARDS_N.fill(n=value)
    if key in COUNT_KEYS and isinstance(value, int):
        return W.RECORDS_N.fill(n=value)
    if key == "ok" and isinstance(value, bool):
        return W.VERIFIED_OK.ja if value else W.VERIFIED_NOT_OK.ja
    if key == "incidents" and isinstance(value, list):
        return W.RECORDS_N.fill(n=len(value))
    if key == "alert" and isinstance(value, str):
        return alert_name(value)
    if key == "channels" and isinstance(value, list):
        return W.LIST_SEP.ja.join(CHANNEL_JA.get(str(v), str(v)) for v in value)
    if key == "channel" and isinstance(value, str):
        return CHANNEL_JA.get(value, value)
    if isinstance(value, list):
        return _cards(value)
    if isinstance(value, dict):
        # A mapping of lists (a batch's sightings by verdict) is counts, never a list's text.
        parts = [
            f"{value_ja(k)} {_cards(v) if isinstance(v, list) else value_ja(v)}" for k, v in value.items()
        ]
        return W.LIST_SEP.ja.join(parts) or None
    return value_ja(value)


def describe_event(
    payload: str | Mapping[str, Any], people: People | None = None, *, kind: str | None = None
) -> str:
    """An event's payload as a short Japanese phrase for paper ("理由: 本日の交付予定にない、…").

    With `kind`, the keys come in the order the event-kind registry lists them (the reason before the
    attempted act, the card kind before its batch); other keys follow in the payload's order.
    """
    people = people or People()
    data = json.loads(payload) if isinstance(payload, str) else payload
    if not isinstance(data, Mapping):
        return value_ja(data)
    entry = kind_info(kind)
    order = {key: n for n, key in enumerate(entry.payload)} if entry else {}
    parts = []
    for key in sorted(data, key=lambda k: order.get(k, len(order))):
        if key in HIDDEN_KEYS or (key == "staff" and "name" in data):  # the name says who already
            continue
        text = _value(key, data[key], people)
        if text is None:
            continue
        label = W.DISPOSAL_LIST.ja if key == "batch" and kind in DISPOSAL_KINDS else key_ja(key, kind)
        if key == "source" and kind == EventKind.ALERT_QUEUED:
            label = W.ALERT_SOURCE.ja
        parts.append(f"{label}: {text}")
    return W.LIST_SEP.ja.join(parts)
