"""The core's errors: one for storage, and the refusal of an act (re-exported from the domain)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from kiosk.domain.authz import NotAllowed
from kiosk.ledger.anchors import LedgerReplaced

log = logging.getLogger(__name__)

__all__ = ["NotAllowed", "StorageError", "storage_errors"]


class StorageError(RuntimeError):
    """The ledger could not be read or written. `reason` is one line (no SQL, no parameters).

    `code`: `disk_full`, `read_only`, `locked`, `too_long`, `unavailable`, `replaced` (the ledger file
    was replaced under the running kiosk) or `storage`; the TUI shows the
    Japanese text for the code, the CLI the English reason. Nothing of the failed unit of work was kept.
    """

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(reason)


def _classify(exc: BaseException) -> tuple[str, str]:
    text = str(getattr(exc, "orig", None) or exc).lower()
    if "full" in text or "no space" in text:
        return "disk_full", "the disk holding the ledger is full"
    if "readonly" in text or "read-only" in text or "read only" in text or "query_only" in text:
        return "read_only", "the ledger file cannot be written (read-only)"
    if "locked" in text or "busy" in text:
        return "locked", "the ledger is busy (locked by another writer); try again"
    if "too long" in text or "value too long" in text or "stringdatarighttruncation" in text:
        return "too_long", "a value is longer than the ledger accepts"
    if "connect" in text or "server" in text or "unable to open" in text:
        return "unavailable", "the ledger database cannot be reached"
    return "storage", f"the ledger refused the write ({type(exc).__name__})"


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turn SQLAlchemy's and the OS's errors into one `StorageError` (the unit of work rolled back)."""
    try:
        yield
    except LedgerReplaced as exc:
        # The ledger file was replaced or rolled back under this running kiosk: nothing was written,
        # and nothing more will be (kiosk.ledger.watch).
        raise StorageError("replaced", str(exc)) from None
    except SQLAlchemyError as exc:
        code, reason = _classify(exc)
        # The log gets the class, never the statement's parameters (the engine hides them as well).
        log.error("ledger error: %s (%s)", reason, type(exc).__name__)
        raise StorageError(code, reason) from None
    except OSError as exc:
        code, reason = _classify(exc)
        log.error("ledger error: %s (%s)", reason, exc.strerror or type(exc).__name__)
        raise StorageError(code, reason) from None
