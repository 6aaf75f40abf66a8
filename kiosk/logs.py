"""Log files: private to the kiosk's user, and never given a scanned value that failed the guard."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.fs import create_private_file

LOG_NAME = "kiosk.log"


def setup_file_logging(log_dir: Path, level: int = logging.INFO) -> Path:
    """Log to `log_dir/kiosk.log`, created 0600 in a 0700 folder (it names staff and cards)."""
    path = log_dir / LOG_NAME
    create_private_file(path)
    root = logging.getLogger()
    if not any(
        isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path.resolve() for h in root.handlers
    ):
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.setLevel(level)
        root.addHandler(handler)
        root.setLevel(min(root.level, level) if root.level else level)
    return path
