"""Queries the appliance's own jobs need (the installed timers, `kiosk doctor`): read-only, no rules.

The front ends (`kiosk.cli`) reach the ledger only through the desk; these are the few facts an
installed kiosk asks of it outside the day's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from kiosk.desk import Desk
from kiosk.ledger import models

if TYPE_CHECKING:
    from kiosk.config import Settings


def last_daily_close(desk: Desk) -> datetime | None:
    """When the daily close (日次締め: `kiosk report daily`) last verified the ledger, if ever.

    The daily close records `ledger_verified` on the chain whether or not the ledger verified, so its
    time says that the close was run, not that it passed.
    """

    def work() -> datetime | None:
        with desk.ledger.read() as s:
            return s.scalar(
                select(models.Event.at)
                .where(models.Event.kind == "ledger_verified")
                .order_by(models.Event.seq.desc())
                .limit(1)
            )

    return desk.read(work)


def ledger_head(desk: Desk) -> tuple[int, str]:
    """The chain head (sequence number, hash): a ledger that answers this is reachable."""
    return desk.read(desk.ledger.head)


@dataclass(frozen=True, slots=True)
class LedgerAnswer:
    """Whether the configured ledger opens and passes the start-up check (`kiosk doctor`)."""

    ok: bool
    where: str  # the URL without its password
    detail: str  # the head, or one line saying why not and what to do


def check_ledger(settings: Settings) -> LedgerAnswer:
    """Open the configured ledger as `kiosk run` would (start-up check included), read its head, close."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from kiosk.ledger.anchors import AnchorError, IntegrityRefused
    from kiosk.ledger.service import open_ledger

    url = settings.ledger.url
    try:
        where = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return LedgerAnswer(
            False, url, "[ledger] url is not a database URL (e.g. postgresql://kiosk_app@host/ledger)"
        )
    try:
        ledger = open_ledger(settings)
    except IntegrityRefused as exc:
        return LedgerAnswer(False, where, f"REFUSED: {exc}")
    except AnchorError as exc:
        return LedgerAnswer(False, where, f"the anchor log is not usable: {exc}")
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        return LedgerAnswer(
            False, where, f"cannot open it: {first}: check [ledger] url and the database server"
        )
    except OSError as exc:
        return LedgerAnswer(False, where, f"cannot open it: {exc.strerror or exc}")
    try:
        seq, digest = ledger.head()
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        return LedgerAnswer(False, where, f"cannot read its head: {first}")
    finally:
        ledger.engine.dispose()
    return LedgerAnswer(True, where, f"opens and passes the start-up check; head {seq} {digest[:16]}…")
