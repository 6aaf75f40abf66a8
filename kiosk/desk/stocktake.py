"""Stocktakes (点検): start and finish by two people, scans by a signed-in counter, found cards."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date

from kiosk.desk.base import DeskBase
from kiosk.domain.authz import Act
from kiosk.domain.card_state import CardState
from kiosk.domain.staff import StaffMember
from kiosk.domain.stocktake import DueStatus, MissingDecision, Progress, StocktakeResult, StocktakeView
from kiosk.domain.verdicts import BatchVerdict, FinishOutcome, StocktakeVerdict
from kiosk.ledger import stocktake_ops as st
from kiosk.ledger.read_models import stocktakes as reads
from kiosk.ledger.stocktake_glance import GLANCE_LINES, StocktakeGlance, stocktake_glance


class StocktakeDesk(DeskBase):
    """Commands and queries of the stocktake."""

    def stocktake_start(self, operator: StaffMember, witness: StaffMember) -> StocktakeView:
        with self.act(Act.STOCKTAKE_START, operator, witness) as u:
            return st.start(u, operator, witness)

    def stocktake_scan(
        self,
        stocktake_id: int,
        text: str,
        counter: StaffMember,
        *,
        source: str = reads.SOURCE_BARCODE,
        device: str | None = None,
        location: str | None = None,
    ) -> StocktakeVerdict:
        """Count one scanned or typed ID (a typed one has source `manual`), by a signed-in counter."""
        device, location, source = self._labels(counter, device, location, source)
        with self.act(Act.STOCKTAKE_SCAN, counter) as u:
            return st.record_scan(u, stocktake_id, text, source=source, device=device, location=location)

    def stocktake_many(
        self,
        stocktake_id: int,
        counter: StaffMember,
        codes: Iterable[str] = (),
        *,
        tags: Iterable[str] = (),
        source: str,
        device: str | None = None,
        location: str | None = None,
    ) -> BatchVerdict:
        """A tray photo's codes or an RFID round's tags, in one transaction."""
        device, location, source = self._labels(counter, device, location, source)
        codes, tags = list(codes), list(tags)
        with self.act(Act.STOCKTAKE_SCAN, counter) as u:
            return st.record_many(
                u, stocktake_id, codes, tags=tags, source=source, device=device, location=location
            )

    def stocktake_finish(
        self,
        stocktake_id: int,
        decisions: Mapping[str, MissingDecision],
        operator: StaffMember,
        witness: StaffMember,
    ) -> FinishOutcome:
        """Finish and sign: two people (one an officer); every missing card decided by a person.

        Cards to search again are an outcome (recorded; the stocktake stays open), not an error.
        """
        decisions = {
            mid: replace(
                d, note=self.text(d.note, "note", attempted=Act.STOCKTAKE_FINISH.value, actor=operator)
            )
            if d.note
            else d
            for mid, d in decisions.items()
        }
        with self.act(Act.STOCKTAKE_FINISH, operator, witness) as u:
            return st.finish(u, stocktake_id, decisions, operator, witness)

    def record_found(
        self, management_id: str, operator: StaffMember, witness: StaffMember, *, note: str
    ) -> CardState:
        note = self.text(note, "note", attempted=Act.RECORD_FOUND.value, actor=operator)
        with self.act(Act.RECORD_FOUND, operator, witness) as u:
            return st.record_found(u, management_id, operator, witness, note=note)

    def officer_handover(
        self, from_officer: StaffMember, to_officer: StaffMember, witness: StaffMember
    ) -> int:
        with self.act(Act.OFFICER_HANDOVER, to_officer, witness) as u:
            # The unit re-read the incoming officer and the witness; the outgoing officer is re-read
            # the same way, in the unit with the head locked, so one deactivated or locked out since
            # signing in cannot hand over.
            outgoing = self.ledger.reread(u, from_officer.id)
            assert u.actor is not None
            assert u.second is not None
            return st.record_handover(u, outgoing, u.actor, u.second)

    def _labels(
        self, counter: StaffMember, device: str | None, location: str | None, source: str
    ) -> tuple[str | None, str | None, str]:
        """Device, location and source labels of a stocktake scan, guarded (stored form)."""
        act = Act.STOCKTAKE_SCAN.value
        if device is not None:
            device = self.text(device, "device", attempted=act, actor=counter, name=True)
        if location is not None:
            location = self.text(location, "location", attempted=act, actor=counter, name=True)
        source = self.text(source, "source", attempted=act, actor=counter, name=True)
        return device, location, source

    # -- queries ----------------------------------------------------------------------------------

    def open_stocktake(self) -> StocktakeView | None:
        return self.read(lambda: reads.open_stocktake(self.ledger))

    def get_stocktake(self, stocktake_id: int) -> StocktakeView | None:
        return self.read(lambda: reads.get_stocktake(self.ledger, stocktake_id))

    def reconcile(self, stocktake_id: int) -> StocktakeResult:
        return self.read(lambda: reads.reconcile(self.ledger, stocktake_id))

    def stocktake_glance(self, stocktake_id: int, lines: int = GLANCE_LINES) -> StocktakeGlance:
        """Every count of `reconcile` and the first `lines` of each list (the stocktake screen's view)."""
        return self.read(lambda: stocktake_glance(self.ledger, stocktake_id, lines=lines))

    def stocktake_progress(self, stocktake_id: int) -> Progress:
        return self.read(lambda: reads.progress(self.ledger, stocktake_id))

    def stocktake_due(self, today: date) -> DueStatus:
        every = self.settings.stocktake.due_every_days
        return self.read(lambda: reads.stocktake_due(self.ledger, today, every_days=every))
