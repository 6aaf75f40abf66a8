"""Log files: private to the kiosk's user, and never given a scanned value that failed the guard.

A log file that cannot be written (a full disk, a read-only volume) is said once, in one line on
standard error, never with logging's `--- Logging error ---` traceback (dozens of lines in front of the
command's own one-line reason, issue 22); later records are dropped while it still fails.
"""

from __future__ import annotations

import logging
import sys
from contextlib import suppress
from pathlib import Path

from kiosk.domain.text import shown_path
from kiosk.fs import create_private_file

LOG_NAME = "kiosk.log"


class LogFileHandler(logging.FileHandler):
    """A FileHandler whose write failures are one line on stderr, once per process."""

    failed: str | None = None

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        if self.failed is None:
            self.failed = reason
            with suppress(OSError, ValueError):  # stderr itself gone: nothing else to tell
                sys.stderr.write(f"kiosk: cannot write the log {shown_path(self.baseFilename)}: {reason}\n")
        # The stream may hold the unwritten bytes: drop them, so the next record does not fail again
        # on the same buffered text, and close it (reopened at the next record).
        try:
            self.close()
        except (OSError, ValueError):
            self.stream = None


def setup_file_logging(log_dir: Path, level: int = logging.INFO) -> Path:
    """Log to `log_dir/kiosk.log`, created 0600 in a 0700 folder (it names staff and cards)."""
    path = log_dir / LOG_NAME
    create_private_file(path)
    root = logging.getLogger()
    if not any(
        isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path.resolve() for h in root.handlers
    ):
        handler = LogFileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.setLevel(level)
        root.addHandler(handler)
        root.setLevel(min(root.level, level) if root.level else level)
    return path
