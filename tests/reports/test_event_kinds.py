"""Every event kind is one member of the registry, with both names and its payload type.

The writers cannot append a kind the registry lacks, nor a payload key its type does not carry
(`kiosk.domain.events.encode`, the one mapper every append goes through); no module outside the registry
spells a kind as a string literal; readers of a ledger written before the registry (or edited by hand)
still get every unknown kind named by `verify`.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from kiosk.domain.card_state import CARD_EVENTS
from kiosk.domain.events import KINDS, EventKind, StaffRef, TakenOut, UnknownPayload, kind_name
from kiosk.domain.status import Action
from kiosk.ledger.chain import canonical_json, event_hash
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.reports.conftest import Day

KIOSK = Path(__file__).resolve().parents[2] / "kiosk"
REGISTRY = KIOSK / "domain" / "events.py"
# The same word in another vocabulary (each checked here, so a new use must say which it is):
OTHER_VOCABULARIES = {
    ("kiosk/domain/stocktake.py", "refused"),  # Sighting.REFUSED: a scan that was not an ID
    ("kiosk/domain/label_read.py", "refused"),  # a decoder's own rejection reason
    ("kiosk/cli/decode.py", "refused"),  # the same, in `kiosk decode --json`
    ("kiosk/ledger/stocktake_ops.py", "refused"),  # the stocktake_batch payload's key
    ("kiosk/texts/paper.py", "refused"),  # the payload key and the sighting, on paper
    ("kiosk/domain/authz.py", "officer_handover"),  # Act.OFFICER_HANDOVER, the act
    ("kiosk/texts/screens.py", "refused"),  # the sighting's words
    ("kiosk/texts/__init__.py", "signed_in"),  # the screen's verdict looks
    ("kiosk/texts/__init__.py", "session_opened"),
    ("kiosk/texts/__init__.py", "session_closed"),
    ("kiosk/tui/app.py", "signed_in"),
    ("kiosk/tui/screens/home.py", "session_opened"),
    ("kiosk/tui/screens/session.py", "session_closed"),
    ("kiosk/tui/screens/history.py", "refused"),  # reason keys of the history's refusal lines
    ("kiosk/tui/screens/history.py", "auth_failed"),
    ("kiosk/sim/runner.py", "session_opened"),  # the headless runner's step outcomes
    ("kiosk/sim/runner.py", "session_closed"),
    ("kiosk/sim/runner.py", "stocktake_started"),
    ("kiosk/sim/runner.py", "stocktake_finished"),
    ("kiosk/sim/runner.py", "refused"),
}


def kind_literals() -> set[tuple[str, str]]:
    """(file, kind) for every string literal outside the registry that spells an event kind."""
    values = {k.value for k in EventKind}
    found: set[tuple[str, str]] = set()
    for path in KIOSK.rglob("*.py"):
        if path == REGISTRY:
            continue
        rel = str(path.relative_to(KIOSK.parent))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in values:
                found.add((rel, node.value))
    return found


def test_no_module_spells_an_event_kind_outside_the_registry() -> None:
    found = kind_literals()
    assert found - OTHER_VOCABULARIES == set(), "use EventKind members, not strings"
    assert ("kiosk/domain/stocktake.py", "refused") in found  # the scan itself sees literals


def test_a_kind_or_a_payload_key_outside_the_registry_is_never_written(ledger: Ledger) -> None:
    head = ledger.head()
    with pytest.raises(UnknownPayload, match="made_up_kind"), ledger.unit() as u:
        u.append("made_up_kind", payload={})
    with pytest.raises(UnknownPayload, match="carries no why"), ledger.unit() as u:
        u.append(EventKind.SIGNED_IN, payload={"why": "x"})
    with pytest.raises(UnknownPayload, match="not the payload"), ledger.unit() as u:
        u.append(EventKind.STAFF_LOCKED, payload=TakenOut())
    assert ledger.head() == head
    with ledger.unit() as u:
        rec = u.append(EventKind.STAFF_LOCKED, payload=StaffRef(1))
    assert rec.data == {"staff": 1}


def test_the_status_machine_and_card_events_are_named() -> None:
    for kind in {a.value for a in Action} | CARD_EVENTS:
        assert kind in KINDS, kind
    for code, entry in KINDS.items():
        assert entry.ja, code
        assert "_" not in entry.en, code  # words, not the code
        assert entry.ja != code
        assert kind_name(code, "ja") == entry.ja
        assert kind_name(code, "en") == entry.en
    assert len({e.ja for e in KINDS.values()}) == len(KINDS)  # no two kinds read alike on paper


def test_a_day_at_the_office_writes_only_named_kinds_with_their_payload_keys(
    ledger: Ledger, office_day: Day
) -> None:
    for ev in ledger.events():
        entry = KINDS[EventKind(ev.kind)]
        extra = set(json.loads(ev.payload)) - set(entry.payload)
        assert not extra, (ev.kind, extra)
    assert verify(ledger).ok


def test_verify_names_an_event_of_a_kind_without_names(ledger: Ledger, office_day: Day) -> None:
    # No writer can append it: a hand edit with a consistent chain (or a ledger from elsewhere) can.
    seq, prev = ledger.head()
    at = ledger.clock()
    body = canonical_json({})
    digest = event_hash(
        seq=seq + 1,
        at=at,
        kind="made_up_kind",
        card_id=None,
        actor_id=None,
        witness_id=None,
        session_id=None,
        stocktake_id=None,
        device=None,
        source=None,
        payload=body,
        prev_hash=prev,
    )
    with ledger.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO events (seq, at, kind, payload, prev_hash, hash) "
                "VALUES (:seq, :at, 'made_up_kind', :payload, :prev, :hash)"
            ),
            {"seq": seq + 1, "at": at.replace(tzinfo=None), "payload": body, "prev": prev, "hash": digest},
        )
        conn.execute(
            text("UPDATE ledger_head SET seq = :seq, hash = :hash"), {"seq": seq + 1, "hash": digest}
        )
    report = verify(ledger)
    assert report.first_bad_seq == seq + 1
    assert "'made_up_kind' is not in the event-kind registry" in report.problem
