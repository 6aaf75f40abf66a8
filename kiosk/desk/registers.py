"""The registers on paper: the card register of the whole cabinet (カード台帳), the safe sessions the
管理簿 names its witnesses from, and the access log (サインイン記録). Read only; frozen rows out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from kiosk.desk.base import DeskBase
from kiosk.domain.events import EventKind
from kiosk.ledger import models
from kiosk.ledger.read_models import SessionRow

# The events each card-register date column is the newest of.
REGISTER_DATES = {
    EventKind.CARD_TAKEN_OUT: "taken_out",
    EventKind.CARD_ISSUED: "issued",
    EventKind.CARD_CANCELLED: "cancelled",
    EventKind.CARD_DISPOSED: "disposed",
}
# Who signed in, failed to, was locked out or unlocked: the access log, not the 管理簿.
ACCESS_KINDS = (
    EventKind.SIGNED_IN,
    EventKind.AUTH_FAILED,
    EventKind.STAFF_LOCKED,
    EventKind.STAFF_UNLOCKED,
    EventKind.STAFF_LOCK_EXPIRED,
)


@dataclass(frozen=True, slots=True)
class CardRegisterRow:
    """One card of the cabinet's register: its state now and the dates of its life."""

    management_id: str
    kind: str
    status: str
    location: str | None
    batch: str | None
    hold_reason: str | None
    received_on: date | None
    notice_sent_on: date | None
    reminder_sent_on: date | None
    taken_out_at: datetime | None  # the last take-out
    issued_at: datetime | None
    cancelled_at: datetime | None
    disposed_at: datetime | None


@dataclass(frozen=True, slots=True)
class StocktakeLine:
    """A stocktake to choose for its report: its number, when it started and finished (if it did)."""

    id: int
    started_at: datetime
    finished_at: datetime | None


class RegistersDesk(DeskBase):
    """Queries for the registers on paper."""

    def card_register_rows(self) -> tuple[CardRegisterRow, ...]:
        """Every card of the ledger, in management-ID order, with its dates."""

        def work() -> tuple[CardRegisterRow, ...]:
            kinds = [k.value for k in REGISTER_DATES]
            with self.ledger.read() as s:
                dates: dict[tuple[str, str], datetime] = {
                    (str(card), str(kind)): at
                    for card, kind, at in s.execute(
                        select(models.Event.card_id, models.Event.kind, func.max(models.Event.at))
                        .where(models.Event.kind.in_(kinds), models.Event.card_id.is_not(None))
                        .group_by(models.Event.card_id, models.Event.kind)
                    )
                }
                cards = s.scalars(select(models.Card).order_by(models.Card.management_id)).all()
                return tuple(
                    CardRegisterRow(
                        management_id=c.management_id,
                        kind=c.kind,
                        status=c.status,
                        location=c.location,
                        batch=c.batch,
                        hold_reason=c.hold_reason,
                        received_on=c.received_on,
                        notice_sent_on=c.notice_sent_on,
                        reminder_sent_on=c.reminder_sent_on,
                        taken_out_at=dates.get((c.management_id, EventKind.CARD_TAKEN_OUT.value)),
                        issued_at=dates.get((c.management_id, EventKind.CARD_ISSUED.value)),
                        cancelled_at=dates.get((c.management_id, EventKind.CARD_CANCELLED.value)),
                        disposed_at=dates.get((c.management_id, EventKind.CARD_DISPOSED.value)),
                    )
                    for c in cards
                )

        return self.read(work)

    def session_rows(self, ids: Iterable[int]) -> dict[int, SessionRow]:
        """The safe sessions `ids` with the two who opened and the two who closed each."""
        wanted = sorted(set(ids))

        def work() -> dict[int, SessionRow]:
            out: dict[int, SessionRow] = {}
            with self.ledger.read() as s:
                for i in range(0, len(wanted), 500):
                    q = select(models.SafeSession).where(models.SafeSession.id.in_(wanted[i : i + 500]))
                    for r in s.scalars(q):
                        out[r.id] = SessionRow(
                            r.id,
                            r.kiosk,
                            r.opened_at,
                            r.operator_id,
                            r.witness_id,
                            r.closed_at,
                            r.closed_by_id,
                            r.closed_witness_id,
                        )
            return out

        return self.read(work)

    def stocktake_lines(self, limit: int = 20) -> tuple[StocktakeLine, ...]:
        """The newest stocktakes, newest first (the papers menu chooses one for its report)."""

        def work() -> tuple[StocktakeLine, ...]:
            with self.ledger.read() as s:
                q = select(models.Stocktake).order_by(models.Stocktake.id.desc()).limit(limit)
                return tuple(StocktakeLine(r.id, r.started_at, r.finished_at) for r in s.scalars(q))

        return self.read(work)
