"""The safe's work: opening and closing, joining, scans in a session, missing records, the pick list."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from kiosk.desk.base import DeskBase
from kiosk.domain.authz import Act, NotAllowed
from kiosk.domain.safe_session import Override, ScanMode
from kiosk.domain.staff import StaffMember
from kiosk.domain.status import CardStatus
from kiosk.ledger import safe
from kiosk.ledger.safe import SessionView
from kiosk.ledger.service import Verdict

_SCAN_ACTS = {
    ScanMode.TAKE_OUT: Act.TAKE_OUT,
    ScanMode.PUT_BACK: Act.PUT_BACK,
    ScanMode.HAND_OVER: Act.HAND_OVER,
}


class SafeDesk(DeskBase):
    """Commands and queries of the safe session (保管庫利用)."""

    # -- commands ---------------------------------------------------------------------------------

    def open_safe(self, operator: StaffMember, witness: StaffMember, confirmed: Sequence[str]) -> SessionView:
        """Open the safe: two people (one an officer) and the opening checklist confirmed by both."""
        required = self.settings.session.opening_checklist
        return self.run(
            Act.OPEN_SAFE,
            operator,
            witness,
            lambda: safe.open_session(self.ledger, operator, witness, required=required, confirmed=confirmed),
        )

    def close_safe(
        self, session_id: int, operator: StaffMember, witness: StaffMember, confirmed: Sequence[str]
    ) -> SessionView:
        """Close the safe: nothing outstanding, two people (one an officer), the closing checklist."""
        required = self.settings.session.closing_checklist
        return self.run(
            Act.CLOSE_SAFE,
            operator,
            witness,
            lambda: safe.close_session(
                self.ledger, session_id, operator, witness, required=required, confirmed=confirmed
            ),
            session_id=session_id,
        )

    def join_session(self, session_id: int, joiner: StaffMember, member: StaffMember) -> int:
        """A third person joins the open session, confirmed by one of its people (both signed in now)."""
        return self.run(
            Act.JOIN_SESSION,
            joiner,
            member,
            lambda: safe.join_session(self.ledger, session_id, joiner, member),
            session_id=session_id,
        )

    def scan(
        self,
        session_id: int,
        text: str,
        mode: ScanMode,
        actor: StaffMember,
        *,
        witness: StaffMember | None = None,
        override: Override | None = None,
        device: str | None = None,
        source: str | None = None,
    ) -> Verdict:
        """One scanned or typed management ID in the open session, and what happened (always recorded).

        Taking out needs the card booked today by someone else, or `override` (a supervisor other than
        the taker, with a reason). Handing over needs `witness`, who confirmed just now (never filled in).
        """
        act = _SCAN_ACTS[mode]
        second: StaffMember | None = None
        if mode is ScanMode.HAND_OVER:
            if witness is None:
                seq = self.record_refusal(
                    "need_witness", attempted=act.value, actor=actor, session_id=session_id, device=device
                )
                return Verdict(False, "need_witness", "a witness must confirm the hand-over", None, seq)
            second = witness
        elif override is not None:
            act, second = Act.OVERRIDE, override.supervisor
            reason = self.text(override.reason, "reason", attempted=act.value, actor=actor)
            override = Override(override.supervisor, reason)
        try:
            return self.run(
                act,
                actor,
                second,
                lambda: safe.scan_in_session(
                    self.ledger,
                    session_id,
                    text,
                    mode,
                    actor,
                    witness=witness,
                    override=override,
                    device=device,
                    source=source,
                ),
                session_id=session_id,
            )
        except NotAllowed as exc:
            return Verdict(False, "not_allowed", str(exc), None, exc.seq, detail=exc.reason)

    def record_missing(
        self,
        session_id: int | None,
        ids: Iterable[str],
        operator: StaffMember,
        witness: StaffMember,
        note: str,
    ) -> list[Verdict]:
        """The two-person "missing" record (所在不明) for cards that are neither back nor issued."""
        note = self.text(note, "note", attempted=Act.MARK_MISSING.value, actor=operator)
        wanted = list(ids)
        return self.run(
            Act.MARK_MISSING,
            operator,
            witness,
            lambda: [
                safe.record_missing(self.ledger, session_id, m, operator, witness, note) for m in wanted
            ],
        )

    def book(
        self, ids: Iterable[str], actor: StaffMember, *, day: date | None = None
    ) -> tuple[list[str], list[str]]:
        """Book cards for handing over today (the booker is recorded and may not take them out alone)."""
        wanted = list(ids)
        return self.run(
            Act.BOOK_PICK_LIST,
            actor,
            None,
            lambda: safe.add_to_pick_list(self.ledger, wanted, actor, day=day),
        )

    # -- queries ----------------------------------------------------------------------------------

    def current_session(self) -> SessionView | None:
        return self.read(lambda: safe.current_session(self.ledger))

    def session_people(self, session_id: int) -> set[int]:
        return self.read(lambda: safe.people_of(self.ledger, session_id))

    def outstanding(self, session_id: int) -> list[str]:
        return self.read(lambda: safe.outstanding(self.ledger, session_id))

    def pick_list(self, day: date | None = None) -> list[str]:
        return self.read(lambda: safe.pick_list(self.ledger, day))

    def pick_list_status(self, ids: list[str]) -> dict[str, CardStatus]:
        from kiosk.ledger.ui_queries import pick_list_status

        return self.read(lambda: pick_list_status(self.ledger, ids))
