"""Every event kind the code writes has Japanese and English names in the one registry.

The source of `kiosk/` is scanned for calls that append an event (`u.append(KIND, …)`,
`u.card_event(KIND, …)`, `CardEventSpec(KIND, …)`, `self.append(KIND, …)` in the ledger service) and
each KIND is resolved through string literals, module constants (`EV_COUNTED = "stocktake_counted"`) and
enum members (`Action.TAKE_OUT.value`). A call whose kind cannot be resolved fails the test too, unless
it only passes on a kind its own caller chose (listed below, each checked where it is chosen).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from kiosk.domain.card_state import CARD_EVENTS
from kiosk.domain.event_kinds import KINDS, kind_name
from kiosk.domain.status import Action
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.reports.conftest import Day

KIOSK = Path(__file__).resolve().parents[2] / "kiosk"
WRITERS = frozenset({"append", "card_event", "CardEventSpec", "_next"})
# Receivers of `.append(KIND, …)` that are a unit of work on the ledger (not a list).
UNIT_NAMES = frozenset({"u", "uow", "unit", "work", "tx"})
# Arguments that pass on a kind chosen by the caller: (file, argument text).
PASS_THROUGH = {
    ("kiosk/ledger/service.py", "kind"),  # Unit.append / card_event / _next themselves
    ("kiosk/ledger/service.py", "item.kind"),  # card_events over CardEventSpec items
    ("kiosk/ledger/safe.py", "action.value"),  # put back or issue: members of Action (checked below)
    ("kiosk/ledger/retention_ops.py", "kind"),  # NOTICE_SENT or REMINDER_SENT (resolved below)
}


def constants() -> dict[str, str]:
    """NAME -> string for module-level constants and Class.MEMBER -> value for class attributes."""
    names: dict[str, str] = {}
    for path in KIOSK.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets: list[tuple[str, ast.expr]] = []
            if isinstance(node, ast.Assign):
                targets = [(t.id, node.value) for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.Assign):
                        targets += [
                            (f"{node.name}.{t.id}", item.value)
                            for t in item.targets
                            if isinstance(t, ast.Name)
                        ]
            for name, value in targets:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    names[name] = value.value
    return names


def resolve(arg: ast.expr, names: dict[str, str]) -> list[str] | None:
    """The kinds an argument can be, or None when it cannot be told from the source."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.Name) and arg.id in names:
        return [names[arg.id]]
    if isinstance(arg, ast.Attribute):
        inner = arg.value
        if arg.attr == "value" and isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name):
            found = names.get(f"{inner.value.id}.{inner.attr}")  # Action.TAKE_OUT.value
            return [found] if found else None
        if arg.attr in names:
            return [names[arg.attr]]  # card_state.RFID_BOUND, st.EV_COUNTED
    if isinstance(arg, ast.IfExp):
        body, orelse = resolve(arg.body, names), resolve(arg.orelse, names)
        return body + orelse if body is not None and orelse is not None else None
    return None


def written_kinds() -> tuple[dict[str, list[str]], list[str]]:
    """({kind: ["file:line", …]}, ["file:line: argument" of calls whose kind is unknown])."""
    names = constants()
    kinds: dict[str, list[str]] = {}
    unresolved: list[str] = []
    for path in sorted(KIOSK.rglob("*.py")):
        rel = str(path.relative_to(KIOSK.parent))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Local `kind = …` assignments, so `u.card_event(kind, …)` resolves to every value it is given.
        local: dict[str, list[str]] = {}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                values = resolve(node.value, names)
                if values:
                    local.setdefault(node.targets[0].id, []).extend(values)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            callee = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            if callee not in WRITERS:
                continue
            if callee == "append":
                receiver = func.value if isinstance(func, ast.Attribute) else None
                is_unit = isinstance(receiver, ast.Name) and (
                    receiver.id in UNIT_NAMES or (receiver.id == "self" and rel == "kiosk/ledger/service.py")
                )
                if not is_unit:
                    continue
            arg = (
                node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "kind"), None)
            )
            if arg is None:
                continue
            where = f"{rel}:{node.lineno}"
            found = resolve(arg, names)
            if found is None and isinstance(arg, ast.Name):
                found = local.get(arg.id)
            if found is not None:
                for kind in found:
                    kinds.setdefault(kind, []).append(where)
            elif (rel, ast.unparse(arg)) not in PASS_THROUGH:
                unresolved.append(f"{where}: {ast.unparse(arg)}")
    return kinds, unresolved


def test_every_kind_the_code_writes_has_both_names() -> None:
    kinds, unresolved = written_kinds()
    assert unresolved == [], "event kinds the scan cannot resolve (name them, or list the pass-through)"
    # The scan itself works: it finds kinds written in each way.
    for sample in ("refused", "card_received", "stocktake_search_again", "card_reminder_sent", "rfid_bound"):
        assert sample in kinds, sample
    unnamed = {kind: where for kind, where in kinds.items() if kind not in KINDS}
    assert unnamed == {}, "add these kinds to kiosk/domain/event_kinds.py"


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
        entry = KINDS[ev.kind]
        extra = set(json.loads(ev.payload)) - set(entry.payload)
        assert not extra, (ev.kind, extra)
    assert verify(ledger).ok


def test_verify_names_an_event_of_a_kind_without_names(ledger: Ledger, office_day: Day) -> None:
    with ledger.unit() as u:
        seq = u.append("made_up_kind", payload={}).seq
    report = verify(ledger)
    assert report.first_bad_seq == seq
    assert "'made_up_kind' is not in the event-kind registry" in report.problem
