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
    ("kiosk/ledger/service.py", "item.kind"),  # card_events over CardEventSpec items
    ("kiosk/ledger/safe.py", "action.value"),  # put back or issue: members of Action (checked below)
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


def _calls(tree: ast.AST) -> list[tuple[ast.Call, list[str]]]:
    """Every call with the parameter names of the function it sits in (empty at module level)."""
    out: list[tuple[ast.Call, list[str]]] = []

    def visit(node: ast.AST, params: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(
                    child,
                    [a.arg for a in (*child.args.posonlyargs, *child.args.args, *child.args.kwonlyargs)],
                )
                continue
            if isinstance(child, ast.Call):
                out.append((child, params))
            visit(child, params)

    visit(tree, [])
    return out


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _kind_arg(node: ast.Call, position: int) -> ast.expr | None:
    if len(node.args) > position:
        return node.args[position]
    return next((k.value for k in node.keywords if k.arg == "kind"), None)


def _is_event_write(node: ast.Call, rel: str, writers: dict[str, int]) -> bool:
    callee = _callee(node)
    if callee not in writers:
        return False
    if callee != "append":
        return True
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    return isinstance(receiver, ast.Name) and (
        receiver.id in UNIT_NAMES or (receiver.id == "self" and rel == "kiosk/ledger/service.py")
    )


def written_kinds() -> tuple[dict[str, list[str]], list[str]]:
    """({kind: ["file:line", …]}, ["file:line: argument" of calls whose kind is unknown]).

    A function that passes one of its own parameters on as the kind (`_staff_event(self, u, kind, row)`)
    is a writer too: its callers are checked at that parameter's position.
    """
    names = constants()
    trees = {
        str(p.relative_to(KIOSK.parent)): ast.parse(p.read_text(encoding="utf-8"))
        for p in KIOSK.rglob("*.py")
    }
    writers = dict.fromkeys(WRITERS, 0)
    changed = True
    while changed:  # find wrappers until none is new
        changed = False
        for rel, tree in trees.items():
            for fn in ast.walk(tree):
                if not isinstance(fn, ast.FunctionDef) or fn.name in writers:
                    continue
                params = [a.arg for a in fn.args.args]
                positional = params[1:] if params[:1] == ["self"] else params
                for node in ast.walk(fn):
                    arg = (
                        _kind_arg(node, writers.get(_callee(node), 0)) if isinstance(node, ast.Call) else None
                    )
                    if (
                        isinstance(node, ast.Call)
                        and _is_event_write(node, rel, writers)
                        and isinstance(arg, ast.Name)
                        and arg.id in positional
                    ):
                        writers[fn.name] = positional.index(arg.id)
                        changed = True
                        break
    kinds: dict[str, list[str]] = {}
    unresolved: list[str] = []
    for rel, tree in sorted(trees.items()):
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
        for node, params in _calls(tree):
            if not _is_event_write(node, rel, writers):
                continue
            arg = _kind_arg(node, writers[_callee(node)])
            if arg is None:
                continue
            where = f"{rel}:{node.lineno}"
            found = resolve(arg, names)
            if found is None and isinstance(arg, ast.Name):
                found = local.get(arg.id)
            if found is not None:
                for kind in found:
                    kinds.setdefault(kind, []).append(where)
            elif isinstance(arg, ast.Name) and arg.id in params:
                continue  # a wrapper passing its caller's kind on: checked at its callers
            elif (rel, ast.unparse(arg)) not in PASS_THROUGH:
                unresolved.append(f"{where}: {ast.unparse(arg)}")
    return kinds, unresolved


def test_every_kind_the_code_writes_has_both_names() -> None:
    kinds, unresolved = written_kinds()
    assert unresolved == [], "event kinds the scan cannot resolve (name them, or list the pass-through)"
    # The scan itself works: it finds kinds written in each way.
    samples = ("refused", "card_received", "stocktake_search_again", "card_reminder_sent", "rfid_bound")
    for sample in (*samples, "staff_role_changed"):  # the last through a wrapper, _staff_event
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
