"""Delivery files offered for import (受領): CSVs in the configured import folders and on USB sticks.

The screens list what is here and the clerk picks one; nobody types a path. A file is read only from
one of these folders (after resolving links), and only up to a size no delivery list reaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.domain.delivery import DeliveryLine, DeliveryRejected, Problem, decode_delivery, parse_delivery

if TYPE_CHECKING:
    from kiosk.config import Settings

MEDIA = Path("/media")  # where the desktop (udisks) mounts USB sticks: /media/<user>/<label>
MAX_BYTES = 5_000_000  # a delivery of 100,000 cards is about 2.5 MB
MAX_FILES = 200
_DEPTH = 2  # a folder's files and those of its sub-folders


@dataclass(frozen=True, slots=True)
class DeliveryFile:
    """A CSV that may be a delivery list: where it is (folder shown to people) and its size."""

    path: Path
    folder: Path
    size: int

    @property
    def name(self) -> str:
        return self.path.name


def import_roots(settings: Settings, media: Path = MEDIA) -> list[Path]:
    """The folders searched: the configured ones, then each mounted stick under /media."""
    roots = [folder.absolute() for folder in settings.paths.imports]
    if media.is_dir():
        for first in sorted(media.iterdir()):
            if not first.is_dir():
                continue
            roots.append(first)
    return roots


def delivery_files(settings: Settings, media: Path = MEDIA) -> list[DeliveryFile]:
    """Every `*.csv` in the import folders (and one level below), newest folder order, at most 200."""
    found: list[DeliveryFile] = []
    seen: set[Path] = set()
    for root in import_roots(settings, media):
        for path in _csvs(root, _DEPTH):
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            try:
                size = path.stat().st_size
            except OSError:
                continue
            found.append(DeliveryFile(path, path.parent, size))
            if len(found) >= MAX_FILES:
                return found
    return found


def _csvs(folder: Path, depth: int) -> list[Path]:
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []  # a stick pulled out, a folder without permission: nothing to offer
    out = [p for p in entries if p.suffix.lower() == ".csv" and p.is_file() and not p.name.startswith(".")]
    if depth > 1:
        for sub in entries:
            if sub.is_dir() and not sub.name.startswith("."):
                out += _csvs(sub, depth - 1)
    return out


def read_delivery_file(settings: Settings, path: Path, media: Path = MEDIA) -> list[DeliveryLine]:
    """The checked lines of a delivery file offered by `delivery_files` (`DeliveryRejected` otherwise)."""
    real = path.resolve()
    if not any(real.is_relative_to(root.resolve()) for root in import_roots(settings, media)):
        raise DeliveryRejected([Problem("the file is not in an import folder", "not_in_folder")])
    try:
        size = real.stat().st_size
        if size > MAX_BYTES:
            raise DeliveryRejected(
                [Problem(f"the file is larger than {MAX_BYTES // 1_000_000} MB", "too_large")]
            )
        data = real.read_bytes()
    except OSError as exc:
        raise DeliveryRejected(
            [Problem(f"the file cannot be read ({type(exc).__name__})", "unreadable")]
        ) from None
    return parse_delivery(decode_delivery(data))
