"""One kiosk station's state between scans, and what each scan means in it (窓口の状態).

The Textual app and the headless runner (`kiosk sim`) each hold one `Counter`: the open safe session or
stocktake, the scan mode, the person signed in, the double-read filter. What a scan means — no session,
nobody signed in, a double read, a take-out, a hand-over that needs its witness, a stocktake count — is
decided here once, so the crash, fault and scenario tests prove the code a clerk runs.

Not thread-safe by itself: each front end calls it from one thread (the TUI from its ledger worker).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from kiosk.desk import Desk
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.safe_session import Override, RepeatFilter, ScanMode
from kiosk.domain.staff import StaffMember
from kiosk.domain.stocktake import MissingDecision
from kiosk.ledger import stocktake_ops as st
from kiosk.ledger.safe import SessionView
from kiosk.ledger.service import Verdict


@dataclass(frozen=True, slots=True)
class Resumed:
    """What a restart found open in the ledger at this kiosk."""

    session: SessionView | None
    stocktake: st.StocktakeView | None


class Counter:
    """The station: session, stocktake, mode and person, over the application core."""

    def __init__(self, desk: Desk, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.desk = desk
        self.monotonic = monotonic
        self.session: SessionView | None = None
        self.stocktake_id: int | None = None
        self.mode = ScanMode.TAKE_OUT
        self.user: StaffMember | None = None
        self.repeats = RepeatFilter()

    # -- state ------------------------------------------------------------------------------------

    def resume(self) -> Resumed:
        """After a restart: the open session and the open stocktake at this kiosk (the safe is open)."""
        self.session = self.desk.current_session()
        view = self.desk.open_stocktake()
        self.stocktake_id = view.id if view is not None else None
        return Resumed(self.session, view)

    def sign_in(self, member: StaffMember | None) -> None:
        """A new person at the kiosk (or nobody): a new act, so no double-read memory carries over."""
        self.user = member
        self.repeats.clear()

    def set_mode(self, mode: ScanMode) -> None:
        if mode is not self.mode:
            self.repeats.clear()
        self.mode = mode

    def in_session(self, member: StaffMember) -> bool:
        """Is `member` one of the open session's people (the two who opened it, or a joiner)?"""
        if self.session is None:
            return False
        return member.id in self.desk.session_people(self.session.id)

    # -- the safe ---------------------------------------------------------------------------------

    def open_safe(self, operator: StaffMember, witness: StaffMember, confirmed: Sequence[str]) -> SessionView:
        self.session = self.desk.open_safe(operator, witness, confirmed)
        self.sign_in(operator)
        self.mode = ScanMode.TAKE_OUT
        return self.session

    def join(self, joiner: StaffMember, member: StaffMember) -> int:
        """`joiner` joins the open session, confirmed by `member`, one of its people."""
        if self.session is None:
            raise ValueError("the safe is not open")
        seq = self.desk.join_session(self.session.id, joiner, member)
        self.sign_in(joiner)
        return seq

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
        device: str | None,
        source: str | None,
        witness: StaffMember | None = None,
        override: Override | None = None,
    ) -> Verdict:
        """One scanned or typed value in the open session, in the current mode, by the person signed in."""
        if self.session is None:
            seq = self.desk.record_refusal(
                "no_session", attempted=self.mode.value, device=device, source=source
            )
            return Verdict(False, "no_session", "the safe is not open", None, seq)
        if self.user is None:
            return Verdict(False, "need_sign_in", "sign in first", None, None)
        try:
            mid: str | None = ManagementId.parse(text).value
        except Refusal:
            mid = None  # the core records the refusal by its reason
        now = self.monotonic()
        if mid is not None and override is None and self.repeats.is_repeat(mid, self.mode, now):
            # The same label read twice is one act: shown, not recorded again.
            return Verdict(False, "duplicate", "read twice", self.desk.card(mid), None)
        verdict = self.desk.scan(
            self.session.id,
            text,
            self.mode,
            self.user,
            witness=witness,
            override=override,
            device=device,
            source=source,
        )
        if verdict.ok and verdict.card is not None:
            self.repeats.accepted(verdict.card.management_id, self.mode, now)
        return verdict

    def refusal(self, reason: str, *, device: str | None, source: str | None = "scanner") -> int | None:
        """A frame a driver refused (IME on, 12 digits, garbage): on record as its reason code only."""
        attempted = "stocktake_scan" if self.stocktake_id is not None else self.mode.value
        return self.desk.record_refusal(
            reason,
            attempted=attempted,
            actor=self.user,
            session_id=self.session.id if self.session else None,
            device=device,
            source=source,
        )

    # -- stocktake --------------------------------------------------------------------------------

    def start_stocktake(self, operator: StaffMember, witness: StaffMember) -> st.StocktakeView:
        view = self.desk.stocktake_start(operator, witness)
        self.stocktake_id = view.id
        self.sign_in(operator)
        return view

    def count(self, text: str, *, device: str | None, source: str = st.SOURCE_BARCODE) -> st.ScanVerdict:
        """Count one scan in the open stocktake, by the person signed in."""
        if self.stocktake_id is None:
            raise st.StocktakeError("no_stocktake", "no stocktake is open")
        if self.user is None:
            raise st.StocktakeError("need_sign_in", "sign in first")
        return self.desk.stocktake_scan(self.stocktake_id, text, self.user, source=source, device=device)

    def count_many(
        self, codes: Iterable[str] = (), *, tags: Iterable[str] = (), source: str, device: str | None
    ) -> st.BatchVerdict:
        """A tray photo's codes or an RFID round's tags, by the person signed in."""
        if self.stocktake_id is None:
            raise st.StocktakeError("no_stocktake", "no stocktake is open")
        if self.user is None:
            raise st.StocktakeError("need_sign_in", "sign in first")
        return self.desk.stocktake_many(
            self.stocktake_id, self.user, codes, tags=tags, source=source, device=device
        )

    def finish_stocktake(
        self, decisions: Mapping[str, MissingDecision], operator: StaffMember, witness: StaffMember
    ) -> st.StocktakeResult:
        if self.stocktake_id is None:
            raise st.StocktakeError("no_stocktake", "no stocktake is open")
        result = self.desk.stocktake_finish(self.stocktake_id, decisions, operator, witness)
        self.stocktake_id = None
        return result
