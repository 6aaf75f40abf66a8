"""Private folders and files: the ledger and the logs name staff and cards."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO


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


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a new or renamed file survives a power cut)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private_file(path: Path, data: bytes) -> None:
    """Replace `path` atomically with `data`: a 0600 temporary file beside it, fsynced, renamed."""
    with atomic_output(path) as fh:
        fh.write(data)


class OutputRefused(Exception):
    """An output path that must not be written (one-line reason)."""


@contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """Write `path` through a 0600 temporary file in its folder, renamed over it only when complete.

    A crash leaves the old file (or none) and at worst a stray `.tmp` file; never half a file. The
    rename replaces a directory entry, so it never writes through a symlink at `path`.
    """
    folder = path.parent
    if not folder.exists():
        make_private_dir(folder)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def check_output(path: Path, protected: Iterable[Path]) -> None:
    """Refuse `-o PATH` when it is a symlink, a folder, or (by inode) one of the `protected` files.

    `protected`: the ledger and its -wal/-shm, the pepper, the anchor log and checkpoint, the logs.
    """
    if path.is_symlink():
        raise OutputRefused(f"{path} is a symbolic link; give the real path of a new or report file")
    if path.is_dir():
        raise OutputRefused(f"{path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise OutputRefused(f"{path.parent} is not an existing folder")
    mine = _identity(path)
    target = os.path.realpath(path)
    for guarded in protected:
        same_inode = mine is not None and mine == _identity(guarded)
        if same_inode or target == os.path.realpath(guarded):
            raise OutputRefused(f"{path} is the kiosk's own file {guarded}; choose another output file")


@contextmanager
def safe_output(path: Path, protected: Iterable[Path]) -> Iterator[BinaryIO]:
    """Every `-o`: `check_output`, then `atomic_output` (0600, temporary file + rename)."""
    check_output(path, protected)
    with atomic_output(path) as fh:
        yield fh


@contextmanager
def safe_output_path(path: Path, protected: Iterable[Path]) -> Iterator[Path]:
    """`safe_output` for writers that take a file name (PDF, CSV): they write the yielded temporary
    path (0600, in the same folder), which is renamed over `path` when they finish."""
    check_output(path, protected)
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix or ".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o600)
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(folder)
