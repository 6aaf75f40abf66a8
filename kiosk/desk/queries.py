"""Queries for paper and screens: the ledger's read models, with storage failures as `StorageError`.

Reports (`kiosk.reports`), the status bar, the 管理簿 screen and the CLI read through these and get
frozen dataclasses; none of them holds SQL or a `Ledger`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

from kiosk.desk.base import DeskBase
from kiosk.desk.errors import storage_errors
from kiosk.ledger import read_models as rm
from kiosk.ledger import ui_queries
from kiosk.ledger.read_models import stocktakes as st
from kiosk.ledger.service import today


class QueriesDesk(DeskBase):
    """Read-only views of the whole ledger."""

    def now(self) -> datetime:
        """The ledger's clock (what reports print as their time of making)."""
        return self.ledger.clock()

    def today(self) -> date:
        """Today's office date by the ledger's clock."""
        return today(self.ledger.clock)

    def head(self) -> rm.HeadMark:
        """The newest event of the chain."""
        seq, digest = self.read(self.ledger.head)
        return rm.HeadMark(seq, digest)

    def staff_rows(self) -> tuple[rm.StaffRow, ...]:
        """Every member of staff, active or not (paper keeps the names of people who left)."""
        return self.read(lambda: rm.staff_rows(self.ledger))

    def event_rows(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        card_id: str | None = None,
    ) -> Iterator[rm.EventRecord]:
        """Every event (of a period, of a card), oldest first, read in bounded batches.

        Each batch is its own short read transaction, so a million-event export never holds one open.
        """
        last = 0
        while True:
            with storage_errors():
                rows = rm.event_batch(self.ledger, last, since=since, until=until, card_id=card_id)
            if not rows:
                return
            yield from rows
            last = rows[-1].seq

    def last_before(self, moment: datetime) -> rm.HeadMark | None:
        """The last event recorded before `moment`."""
        return self.read(lambda: rm.last_before(self.ledger, moment))

    def day_facts(
        self,
        start: datetime,
        end: datetime,
        *,
        moved_kinds: Iterable[str],
        refusal_kinds: Iterable[str],
        incident_kinds: Iterable[str],
    ) -> rm.DayFacts:
        """What the ledger holds of one office day (the daily close's numbers)."""
        return self.read(
            lambda: rm.day_facts(
                self.ledger,
                start,
                end,
                moved_kinds=moved_kinds,
                refusal_kinds=refusal_kinds,
                incident_kinds=incident_kinds,
            )
        )

    def last_status_events(self, ids: Sequence[str]) -> list[rm.EventRecord]:
        """Each card's last status event."""
        return self.read(lambda: rm.last_status_events(self.ledger, ids))

    def disposal_finished_mark(self, batch_id: int) -> rm.HeadMark | None:
        """The event that finished a disposal batch, if it is finished."""
        return self.read(lambda: rm.disposal_finished_mark(self.ledger, batch_id))

    def recorded_seqs(self, seqs: Iterable[int]) -> set[int]:
        """Which of these sequence numbers are events in the ledger (a verdict's proof of record)."""
        wanted = list(seqs)
        return self.read(lambda: rm.recorded_seqs(self.ledger, wanted))

    def first_sighting_seq(self, stocktake_id: int, management_id: str) -> int | None:
        """The event that first counted a card in a stocktake (repeat sightings only raise its count)."""
        return self.read(lambda: rm.first_sighting_seq(self.ledger, stocktake_id, management_id))

    def stocktake_record(self, stocktake_id: int) -> st.StocktakeRecord:
        """A stocktake's header for its report: who started and signed it, when, how it was counted."""
        return self.read(lambda: st.stocktake_record(self.ledger, stocktake_id))

    def status_counts(self) -> tuple[int, int]:
        """(cards in the safe, cards out now) for the status bar."""
        return self.read(lambda: ui_queries.status_counts(self.ledger))

    def events_page(
        self,
        *,
        before_seq: int | None = None,
        card_id: str | None = None,
        limit: int = ui_queries.DEFAULT_PAGE,
    ) -> ui_queries.EventPage:
        """A page of events, newest first (keyset paging: the same cost at any depth of the ledger)."""
        return self.read(
            lambda: ui_queries.events_page(self.ledger, before_seq=before_seq, card_id=card_id, limit=limit)
        )
