"""The one text catalogue (`kiosk.texts`) names every code people can meet, in Japanese and in English.

Walks every member of the enums the front ends show (verdicts, next steps, card statuses and kinds, acts,
roles, event kinds, alert kinds, stocktake sightings) and every refusal reason code the domain and the
drivers can give, through the same look-ups the screens, the supervisor's view and paper call. A code added
to an enum without its words fails here, before a clerk meets a raw code or （その他）.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from enum import Enum
from pathlib import Path

import drivers.camera
import drivers.framing
import drivers.text
import kiosk.domain.guard
import kiosk.domain.management_id
from drivers.reasons import EXPLANATIONS
from kiosk import texts
from kiosk.domain.alerts import AlertKind
from kiosk.domain.authz import Act
from kiosk.domain.events import EventKind
from kiosk.domain.staff import Role
from kiosk.domain.status import CardKind, CardStatus
from kiosk.domain.stocktake import Sighting
from kiosk.domain.verdicts import NextStep, VerdictCode
from kiosk.texts import screens, supervisor

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")  # kana or kanji
LATIN = re.compile(r"[A-Za-z]")
DOMAIN = Path(kiosk.domain.guard.__file__).parent
# The refusals of the domain and where each carries its reason code (positional argument).
REFUSING = {"NotAllowed": 0, "TwoPersonError": 0, "Refusal": 0, "Refuse": 1}

PLACEHOLDER = re.compile(r"\{[^}]*\}")
# Japanese texts in Latin letters on purpose: an acronym, the link that switches to English.
ACRONYMS = {
    "kiosk screens": ["st.source.rfid"],
    "supervisor's view": ["lang.switch"],
}  # RFID; the link to English

Lookup = Callable[[Enum, str], str]


def _look(code: Enum, language: str) -> str:
    entry = texts.LOOKS.get(code.value)
    return "" if entry is None else (entry.en if language == "en" else entry.ja)


def _sighting(code: Enum, language: str) -> str:
    entry = texts.LOOKS.get(texts.SIGHTING_LOOKS.get(Sighting(code), ""))  # as the stocktake screen shows it
    return "" if entry is None else (entry.en if language == "en" else entry.ja)


ENUMS: list[tuple[Iterable[Enum], Lookup]] = [
    (VerdictCode, _look),
    (
        [s for s in NextStep if s is not NextStep.NONE],
        lambda m, lang: texts.next_step_text(NextStep(m), lang),
    ),
    (CardStatus, lambda m, lang: texts.status_name(str(m.value), lang)),
    (CardStatus, lambda m, lang: texts.translate(lang, f"card.{m.value}")),
    (CardKind, lambda m, lang: texts.translate(lang, f"kind.{m.value}")),
    (Act, lambda m, lang: texts.act_name(str(m.value), lang)),
    (Act, lambda m, lang: texts.value_ja(m.value) if lang == "ja" else texts.act_name(str(m.value), lang)),
    (Role, lambda m, lang: texts.ROLES[Role(m)](lang)),
    (Role, lambda m, lang: texts.code_label(str(m.value), lang)),
    (EventKind, lambda m, lang: texts.kind_name(str(m.value), lang)),
    (AlertKind, lambda m, lang: texts.alert_name(str(m.value), lang)),
    (Sighting, _sighting),  # the stocktake screen's look of each sighting
]


def _english_only(text: str) -> bool:
    return bool(LATIN.search(text)) and not JAPANESE.search(text)


def _words_problem(code: str, ja: str, en: str) -> str | None:
    if not JAPANESE.search(ja) or ja == "（その他）":
        return f"{code}: no Japanese ({ja!r})"
    if not en or not LATIN.search(en) or en == ja:
        return f"{code}: no English ({en!r})"
    return None


def refusal_reasons() -> set[str]:
    """Every reason code a refusal can carry: the drivers' and the domain's constants, and the literal first
    argument of each refusing exception raised in the domain."""
    codes = set(EXPLANATIONS)
    for module in (
        kiosk.domain.management_id,
        kiosk.domain.guard,
        drivers.text,
        drivers.framing,
        drivers.camera,
    ):
        codes |= {v for k, v in vars(module).items() if k.startswith("REASON_") and isinstance(v, str)}
    for path in DOMAIN.glob("*.py"):
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(function, ast.FunctionDef):
                codes |= _refusals_in(function)
    return codes


def _strings(node: ast.expr, assigned: dict[str, list[ast.expr]]) -> set[str]:
    """The string values an argument can take: a literal, either branch of `a if c else b`, or what a
    local name was assigned (`reason = "booked_by_taker" if … else "not_on_pick_list"`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, assigned) | _strings(node.orelse, assigned)
    if isinstance(node, ast.Name):
        return {s for value in assigned.get(node.id, []) for s in _strings(value, {})}
    return set()  # computed (`f"override_{why}"`): named by its prefix, see value_ja


def _refusals_in(function: ast.FunctionDef) -> set[str]:
    assigned: dict[str, list[ast.expr]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
    codes: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in REFUSING:
            at = REFUSING[node.func.id]
            if len(node.args) > at:
                codes |= _strings(node.args[at], assigned)
    return codes


def test_every_enum_member_has_japanese_and_english_words() -> None:
    problems = []
    walked = 0
    for members, lookup in ENUMS:
        for member in members:
            walked += 1
            problem = _words_problem(
                f"{type(member).__name__}.{member.name}", lookup(member, "ja"), lookup(member, "en")
            )
            if problem:
                problems.append(problem)
    assert problems == [], "give these their words in kiosk/texts:\n" + "\n".join(problems)
    assert walked > 200  # every enum was walked, not an empty list


def test_every_refusal_reason_has_japanese_and_english_words() -> None:
    reasons = refusal_reasons()
    # The walk finds the domain's own refusals, not only the drivers' table.
    assert {"mynumber_refused", "check_digit", "need_officer", "role", "booked_by_taker"} <= reasons
    problems = [
        problem
        for code in sorted(reasons)
        if (problem := _words_problem(code, texts.reason_text(code, "ja"), texts.reason_text(code, "en")))
    ]
    # The short name on paper and on the supervisor's page too (refusals counted by reason).
    problems += [
        f"{code}: no short Japanese name on paper"
        for code in sorted(reasons)
        if not JAPANESE.search(texts.code_label(code, "ja")) or texts.code_label(code, "ja") == "（その他）"
    ]
    assert problems == [], "give these reasons their words in kiosk/texts:\n" + "\n".join(problems)


def test_every_screen_key_is_in_both_languages_and_an_unknown_code_never_looks_like_success() -> None:
    for name, ja, en in (
        ("kiosk screens", texts.JA, texts.EN),
        ("supervisor's view", supervisor.JA, supervisor.EN),
    ):
        assert sorted(set(ja) ^ set(en)) == [], name
        # No Japanese text is in English: words outside the {placeholders} are Japanese (but an acronym).
        english = [k for k, v in ja.items() if _english_only(PLACEHOLDER.sub("", v))]
        assert english == ACRONYMS.get(name, []), name
    # The screens' module holds the sentences; the catalogue adds the enums' names under their keys.
    assert set(texts.JA) - set(screens.JA) == {f"card.{s.value}" for s in CardStatus} | {
        f"kind.{k.value}" for k in CardKind
    }
    assert texts.translate("en", "card.out") == "out"
    assert texts.translate("ja", "no.such.key") == "no.such.key"
    unknown = texts.look("made_up_code")
    assert unknown.tone == "error"
    assert unknown.bells == 3
