"""Which input method (IME) this session runs, so a wedge hint can name it ("fcitx5", "IBus").

A Japanese IME left on turns a wedge scanner's digits into full-width text, or holds them in its
composition and takes the scanner's Enter to commit them. Telling the technician *which* IME to switch
off saves a search. Found from the usual environment variables (`XMODIFIERS=@im=fcitx`,
`GTK_IM_MODULE`, `QT_IM_MODULE`) and, failing that, from the processes running (`ibus-daemon`,
`fcitx5`, `mozc_server`, ...). Pure where it matters: both sources are arguments.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

_NAMES = {
    "fcitx5": "fcitx5",
    "fcitx": "fcitx",
    "ibus": "IBus",
    "ibus-daemon": "IBus",
    "uim": "uim",
    "uim-xim": "uim",
    "kime": "kime",
    "scim": "SCIM",
}
_ENGINES = {"mozc_server": "Mozc", "ibus-engine-mozc": "Mozc", "ibus-engine-anthy": "Anthy",
            "ibus-engine-kkc": "KKC", "fcitx5-mozc": "Mozc"}  # fmt: skip


def _from_env(environ: Mapping[str, str]) -> str | None:
    xmod = environ.get("XMODIFIERS", "")
    if "@im=" in xmod:
        name = xmod.split("@im=", 1)[1].split()[0].lower()
        if name and name != "none":
            return _NAMES.get(name, name)
    for var in ("GTK_IM_MODULE", "QT_IM_MODULE", "SDL_IM_MODULE"):
        value = environ.get(var, "").lower()
        if value and value not in ("xim", "none", "simple"):
            return _NAMES.get(value, value)
    return None


def _process_names(proc: Path) -> Iterable[str]:
    try:
        entries = list(proc.iterdir())
    except OSError:
        return []
    names = []
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            names.append((entry / "comm").read_text().strip())
        except OSError:
            continue
    return names


def detect_ime(environ: Mapping[str, str] | None = None, proc: Path | None = None) -> str | None:
    """The IME's name ("fcitx5 with Mozc", "IBus"), or None when none is seen."""
    env = os.environ if environ is None else environ
    running = set(_process_names(proc if proc is not None else Path("/proc")))
    name = _from_env(env)
    if name is None:
        for comm in sorted(running):
            if comm in _NAMES:
                name = _NAMES[comm]
                break
    engine = next((e for comm, e in sorted(_ENGINES.items()) if comm in running), None)
    if name is None:
        return engine
    return f"{name} with {engine}" if engine else name


@lru_cache(maxsize=1)
def session_ime() -> str | None:
    """`detect_ime()` for this process, looked up once."""
    return detect_ime()


def ime_phrase(name: str | None) -> str:
    """ "the IME (fcitx5 with Mozc)" or "the IME (Japanese input)"."""
    return f"the IME ({name})" if name else "the IME (Japanese input)"
