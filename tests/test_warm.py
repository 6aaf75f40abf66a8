"""The suite's warm `kiosk` commands (tests/warm.py) behave as cold ones: the same output and exit
status, the environment and working directory of the test, a process of their own; and no module of
the kiosk reads the environment at import (which a warm process would have read before the test set
it)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import warm

ROOT = Path(__file__).resolve().parents[1]
KIOSK = [sys.executable, "-m", "kiosk"]


def _both(*args: str, env: dict[str, str], cwd: Path, stdin: str = "") -> tuple[object, object]:
    def run(cold: bool) -> tuple[int, str, str]:
        runner = subprocess.run if cold else warm.run
        done = runner(
            [*KIOSK, *args], input=stdin, capture_output=True, text=True, env=env, cwd=cwd, timeout=120
        )
        return done.returncode, done.stdout, done.stderr

    return run(cold=True), run(cold=False)


def test_a_warm_command_is_a_cold_one(tmp_path: Path) -> None:
    """Two kiosks in two folders, told apart only by the environment and the working directory: each
    warm command sees its own, and says what the cold command says (output, errors, exit status)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    for name in ("a", "b"):
        site = tmp_path / name
        (site / "config").mkdir(parents=True)
        (site / "config" / "kiosk.toml").write_text(f'[kiosk]\nname = "kiosk-{name}"\n', encoding="utf-8")
        assert warm.run([*KIOSK, "init"], capture_output=True, text=True, env=env, cwd=site).returncode == 0
    heads = []
    for name in ("a", "b"):
        site = tmp_path / name
        assert (site / "config" / "var" / "ledger.sqlite3").exists()
        cold, hot = _both("verify", env=env, cwd=site)
        assert cold == hot
        assert hot[0] == 0  # type: ignore[index]
        heads.append(hot[1])  # type: ignore[index]
    assert heads[0] != heads[1]  # each its own ledger (a new ledger's genesis names its own id)
    # Settings from the environment, not from the warm process's.
    cold, hot = _both("staff", "list", env={**env, "KIOSK_KIOSK__NAME": "x"}, cwd=tmp_path / "a")
    assert cold == hot
    # An unknown command, a refused argument.
    cold, hot = _both("no-such-command", env=env, cwd=tmp_path)
    assert cold == hot
    cold, hot = _both("verify", "--anchor", "1:nothex", env=env, cwd=tmp_path / "a")
    assert cold == hot
    assert hot[0] != 0  # type: ignore[index]


def test_each_warm_command_is_a_process_of_its_own() -> None:
    """A command's exit (here every command ends in sys.exit) ends its own process, not the warm one,
    and a command past its timeout is killed and reported as subprocess does."""
    for _ in range(3):
        done = warm.run([*KIOSK, "--help"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0
        assert "Usage" in done.stdout
    assert warm._warm is not None
    first = warm._warm.process
    assert first.poll() is None
    assert first.pid != os.getpid()
    with pytest.raises(subprocess.TimeoutExpired):
        warm.run([*KIOSK, "--help"], capture_output=True, text=True, timeout=1e-6)
    assert warm.run([*KIOSK, "--help"], capture_output=True, text=True, timeout=60).returncode == 0
    assert warm._warm.process is first


def _module_level_env(path: Path) -> list[int]:
    """Lines where a module reads os.environ / os.getenv at import (outside any function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[int] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("environ", "getenv", "environb")
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            found.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_no_module_reads_the_environment_at_import() -> None:
    """A warm process imports the kiosk before a test's environment is set: a module that read it at
    import (kiosk.appliance.printers did, for CUPS's locale) would see the wrong one, and so would the
    kiosk itself where one process imports a module for another's settings."""
    offenders = {
        str(path.relative_to(ROOT)): lines
        for package in ("kiosk", "drivers", "simulator")
        for path in sorted((ROOT / package).rglob("*.py"))
        if (lines := _module_level_env(path))
    }
    assert offenders == {}
