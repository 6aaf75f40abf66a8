"""Paper holds no Japanese of its own: every word it prints comes from the text catalogue.

Walks the string literals of the paper modules (`kiosk/reports/*.py`, and `kiosk/labels/*.py`, which title
the label sheets) and fails on one with a Japanese character (kana, kanji, or the full-width marks 、（）
and the ideographic space). The only literals allowed are docstrings: they explain the code to its
readers and are never printed. A heading, a column name or a fixed sentence belongs in
`kiosk.texts.forms.PaperText`, with its English beside it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import kiosk.labels
import kiosk.reports

JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")
PAPER_MODULES = sorted(
    [
        *Path(kiosk.reports.__file__).parent.glob("*.py"),
        *Path(kiosk.labels.__file__).parent.glob("*.py"),
    ]
)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring constants (module, class and function docstrings)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def japanese_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal with Japanese in it, f-string parts included, docstrings not."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and JAPANESE.search(node.value)
    )


def test_the_walk_finds_japanese_in_every_kind_of_literal() -> None:
    source = '''
"""管理簿: a docstring is allowed."""
TITLE = "管理簿"
def f(day, office):
    """日次締め: allowed."""
    return [f"{office}　", f"{day:%Y年%m月%d日}", "、".join(["a"]), "ascii only"]
'''
    assert sorted(text for _, text in japanese_literals(source)) == sorted(
        ["管理簿", "　", "%Y年%m月%d日", "、"]
    )


def test_no_paper_module_prints_japanese_words_of_its_own() -> None:
    assert len(PAPER_MODULES) >= 15  # the walk reads the papers, not an empty folder
    inline = [
        f"{path.relative_to(Path(kiosk.reports.__file__).parents[2])}:{line}: {text!r}"
        for path in PAPER_MODULES
        for line, text in japanese_literals(path.read_text(encoding="utf-8"))
    ]
    assert inline == [], "move these to kiosk/texts/forms.py (PaperText):\n" + "\n".join(inline)
