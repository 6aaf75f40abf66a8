"""The one text catalogue (`kiosk.texts`) names every code people can meet, in Japanese and in English.

Walks every member of the enums the front ends show (verdicts, next steps, card statuses and kinds, acts,
roles, event kinds, alert kinds, stocktake sightings) and every refusal reason code the domain and the
drivers can give, through the same look-ups the screens, the supervisor's view and paper call. A code added
to an enum without its words fails here, before a clerk meets a raw code or （その他）. Paper's own words
(`kiosk.texts.forms.PaperText`: titles, headings, columns, fixed sentences) are walked the same way.
"""

from __future__ import annotations

import ast
import re
import string
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
from kiosk.texts.forms import PaperText

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


# Paper's words may be marks only (the full-width space, 、, （…）): Japanese there is any CJK character;
# Japanese words are kana or kanji (not the marks, nor ・ between names), and need English words.
PAPER_JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")
JAPANESE_WORDS = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u3400-\u9fff]")


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def _printed(template: str) -> str:
    """What a template prints of its own: its text and its format specs (`%Y年%m月%d日`), not field names."""
    return "".join(text + (spec or "") for text, _, spec, _ in string.Formatter().parse(template))


def _paper_problem(words: PaperText) -> str | None:
    """What is wrong with one of paper's texts: no Japanese, no English, or placeholders that differ."""
    ja, en = _printed(words.ja), _printed(words.en)
    if not PAPER_JAPANESE.search(ja):
        return f"{words.name}: no Japanese ({words.ja!r})"
    if not words.en or PAPER_JAPANESE.search(en) or words.en == words.ja:
        return f"{words.name}: no English ({words.en!r})"
    if JAPANESE_WORDS.search(ja) and not LATIN.search(en):
        return f"{words.name}: Japanese words, but no English words ({words.en!r})"
    if _fields(words.ja) != _fields(words.en):
        fields = f"{sorted(_fields(words.ja))} / {sorted(_fields(words.en))}"
        return f"{words.name}: the languages fill different values ({fields})"
    return None


def test_every_paper_text_has_japanese_and_english_with_the_same_placeholders() -> None:
    problems = [problem for words in PaperText if (problem := _paper_problem(words))]
    assert problems == [], "give these their words in kiosk/texts/forms.py:\n" + "\n".join(problems)
    assert len(PaperText) > 200  # the papers' words are here, not an empty enum
    # The rule itself catches each way a text can lack its words.
    assert _words_of("", "Title") == "X: no Japanese ('')"
    assert _words_of("Title", "Title") == "X: no Japanese ('Title')"
    assert _words_of("{office}", "{office}") == "X: no Japanese ('{office}')"
    assert _words_of("表題", "") == "X: no English ('')"
    assert _words_of("表題", "表題") == "X: no English ('表題')"
    assert _words_of("{n} 件", "{n}") == "X: Japanese words, but no English words ('{n}')"
    assert str(_words_of("第{n}回", "No. {number}")).startswith("X: the languages fill different values")
    assert _words_of("{day:%Y年%m月%d日}", "{day:%Y-%m-%d}") is None  # a format spec prints Japanese
    assert _words_of("\u3000", " ") is None  # a mark: the full-width space, a space in English


def _words_of(ja: str, en: str) -> str | None:
    class Probe:  # quacks like a PaperText member
        name = "X"

    probe = Probe()
    probe.ja, probe.en = ja, en  # type: ignore[attr-defined]
    return _paper_problem(probe)  # type: ignore[arg-type]


def test_paper_text_fills_its_values_in_either_language() -> None:
    from datetime import date

    day = date(2026, 4, 1)
    assert PaperText.DAILY_TITLE.fill(day=day) == "日次締め報告書\u30002026年04月01日"
    assert PaperText.DAILY_TITLE.fill("en", day=day) == "Daily close report 01 April 2026"
    assert PaperText.SEQ.text("en") == "Seq."
    assert PaperText.SEQ.text() == "連番"
