"""Private folders and files: the ledger and the logs name staff and cards."""

from __future__ import annotations

import os
from pathlib import Path


def make_private_dir(path: Path) -> None:
    """Create `path` and every missing parent as 0700 (Path.mkdir's mode applies to the last one only,
    and only through the umask)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)


def create_private_file(path: Path) -> None:
    """Create `path` as an empty 0600 file if it does not exist (its folder made private first)."""
    make_private_dir(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
