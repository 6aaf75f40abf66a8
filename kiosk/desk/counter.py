"""One kiosk station's state between scans, and what each scan means in it (窓口の状態).

The Textual app and the headless runner (`kiosk sim`) each hold one `Counter`: the open safe session or
stocktake and the double-read filter. What a scan means — no session, nobody signed in, a double read, a
take-out, a hand-over that needs its witness, a stocktake count — is decided here once, so the crash,
fault and scenario tests prove the code a clerk runs.

Who scans and in which mode are arguments of each call: the front end owns them (the TUI on its UI
thread) and passes them along with the scan. The counter's own state is touched only by its methods,
which a front end calls from one thread (the TUI's ledger thread), so nothing here is shared between
threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from kiosk.desk import Desk
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.safe_session import Override, RepeatFilter, ScanMode
from kiosk.domain.staff import StaffMember
from kiosk.domain.stocktake import MissingDecision, StocktakeView
from kiosk.domain.verdicts import (
    BatchVerdict,
    FinishKind,
    FinishOutcome,
    StocktakeVerdict,
    Verdict,
    VerdictCode,
)
from kiosk.ledger.read_models.stocktakes import SOURCE_BARCODE, StocktakeError
from kiosk.ledger.safe import SessionView


@dataclass(frozen=True, slots=True)
class Resumed:
    """What a restart found open in the ledger at this kiosk."""

    session: SessionView | None
    stocktake: StocktakeView | None


class Counter:
    """The station: open session and stocktake and the double-read filter, over the application core."""

    def __init__(self, desk: Desk, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.desk = desk
        self.monotonic = monotonic
        self.session: SessionView | None = None
        self.stocktake_id: int | None = None
        self.repeats = RepeatFilter()
        self._act: tuple[int, ScanMode] | None = None  # the person and mode of the last scan

    # -- state ------------------------------------------------------------------------------------

    def resume(self) -> Resumed:
        """After a restart: the open session and the open stocktake at this kiosk (the safe is open)."""
        self.session = self.desk.current_session()
        view = self.desk.open_stocktake()
        self.stocktake_id = view.id if view is not None else None
        self.repeats.clear()
        return Resumed(self.session, view)

    def new_act(self) -> None:
        """The front end chose a mode anew: the next read of the same label is a new act, not a double."""
        self.repeats.clear()

    def in_session(self, member: StaffMember) -> bool:
        """Is `member` one of the open session's people (the two who opened it, or a joiner)?"""
        if self.session is None:
            return False
        return member.id in self.desk.session_people(self.session.id)

    # -- the safe ---------------------------------------------------------------------------------

    def open_safe(self, operator: StaffMember, witness: StaffMember, confirmed: Sequence[str]) -> SessionView:
        self.session = self.desk.open_safe(operator, witness, confirmed)
        self.repeats.clear()
        return self.session

    def join(self, joiner: StaffMember, member: StaffMember) -> int:
        """`joiner` joins the open session, confirmed by `member`, one of its people."""
        if self.session is None:
            raise ValueError("the safe is not open")
        return self.desk.join_session(self.session.id, joiner, member)

    def outstanding(self) -> list[str]:
        return self.desk.outstanding(self.session.id) if self.session is not None else []

    def record_missing(self, operator: StaffMember, witness: StaffMember, note: str) -> list[Verdict]:
        """Record every card still out in this session as missing (所在不明), by two people."""
        session_id = self.session.id if self.session is not None else None
        return self.desk.record_missing(session_id, self.outstanding(), operator, witness, note)

    def close_safe(
        self, operator: StaffMember, witness: StaffMember, confirmed: Sequence[str]
    ) -> SessionView:
        if self.session is None:
            raise ValueError("the safe is not open")
        closed = self.desk.close_safe(self.session.id, operator, witness, confirmed)
        self.session = None
        self.repeats.clear()
        return closed

    def scan(
        self,
        text: str,
        *,
        actor: StaffMember | None,
        mode: ScanMode,
        device: str | None,
        source: str | None,
        witness: StaffMember | None = None,
        override: Override | None = None,
    ) -> Verdict:
        """One scanned or typed value in the open session, by `actor` in `mode`.

        The value is parsed once here and travels on as a `ManagementId`; a value that is not one is
        recorded by its reason code. The same label read twice by the same person in the same mode within
        the double-read window is one act: shown, not recorded again.
        """
        if self.session is None:
            seq = self.desk.record_refusal("no_session", attempted=mode.value, device=device, source=source)
            return Verdict(False, VerdictCode.NO_SESSION, "the safe is not open", None, seq)
        if actor is None:
            return Verdict(False, VerdictCode.NEED_SIGN_IN, "sign in first", None, None)
        try:
            mid = ManagementId.parse(text)
        except Refusal as exc:
            return self.desk.refuse_input(
                exc, mode, actor, session_id=self.session.id, device=device, source=source
            )
        if self._act != (actor.id, mode):
            # Another person, or another mode: a new act, so no double-read memory carries over.
            self._act = (actor.id, mode)
            self.repeats.clear()
        now = self.monotonic()
        if override is None and self.repeats.is_repeat(mid.value, mode, now):
            return Verdict(False, VerdictCode.DUPLICATE, "read twice", self.desk.card(mid.value), None)
        verdict = self.desk.scan(
            self.session.id,
            mid,
            mode,
            actor,
            witness=witness,
            override=override,
            device=device,
            source=source,
        )
        if verdict.ok:
            self.repeats.accepted(mid.value, mode, now)
        return verdict

    def refusal(
        self,
        reason: str,
        *,
        actor: StaffMember | None,
        mode: ScanMode,
        device: str | None,
        source: str | None = "scanner",
    ) -> int | None:
        """A frame a driver refused (IME on, 12 digits, garbage): on record as its reason code only."""
        attempted = "stocktake_scan" if self.stocktake_id is not None else mode.value
        return self.desk.record_refusal(
            reason,
            attempted=attempted,
            actor=actor,
            session_id=self.session.id if self.session else None,
            device=device,
            source=source,
        )

    # -- stocktake --------------------------------------------------------------------------------

    def start_stocktake(self, operator: StaffMember, witness: StaffMember) -> StocktakeView:
        view = self.desk.stocktake_start(operator, witness)
        self.stocktake_id = view.id
        self.repeats.clear()
        return view

    def use_stocktake(self, stocktake_id: int | None) -> None:
        """Count into this open stocktake from now on (a screen resumed it), or into none."""
        self.stocktake_id = stocktake_id

    def count(
        self, text: str, *, actor: StaffMember | None, device: str | None, source: str = SOURCE_BARCODE
    ) -> StocktakeVerdict:
        """Count one scan in the open stocktake, by `actor`."""
        stocktake_id = self._counting(actor)
        assert actor is not None
        return self.desk.stocktake_scan(stocktake_id, text, actor, source=source, device=device)

    def count_many(
        self,
        codes: Iterable[str] = (),
        *,
        tags: Iterable[str] = (),
        actor: StaffMember | None,
        source: str,
        device: str | None,
    ) -> BatchVerdict:
        """A tray photo's codes or an RFID round's tags, by `actor`."""
        stocktake_id = self._counting(actor)
        assert actor is not None
        return self.desk.stocktake_many(stocktake_id, actor, codes, tags=tags, source=source, device=device)

    def finish_stocktake(
        self, decisions: Mapping[str, MissingDecision], operator: StaffMember, witness: StaffMember
    ) -> FinishOutcome:
        """Finish (or record "search again"): the stocktake stays in use until it is finished."""
        if self.stocktake_id is None:
            raise StocktakeError("no_stocktake", "no stocktake is open")
        outcome = self.desk.stocktake_finish(self.stocktake_id, decisions, operator, witness)
        if outcome.kind is FinishKind.FINISHED:
            self.stocktake_id = None
        return outcome

    def _counting(self, actor: StaffMember | None) -> int:
        if self.stocktake_id is None:
            raise StocktakeError("no_stocktake", "no stocktake is open")
        if actor is None:
            raise StocktakeError("need_sign_in", "sign in first")
        return self.stocktake_id
