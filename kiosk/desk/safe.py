"""The safe's work: opening and closing, joining, scans in a session, missing records, the pick list.

Each command runs as load -> decide -> record: it opens a unit authorised for its act and people
(`DeskBase.act`), loads the facts the rule needs, asks the pure decision in `kiosk.domain`, records
what it returned and answers with one `Verdict`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from kiosk.desk.errors import storage_errors
from kiosk.desk.safe_io import SafeIoDesk
from kiosk.domain.authz import Act, NotAllowed
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.safe_session import (
    Alarm,
    Override,
    Refuse,
    ScanMode,
    can_hand_over,
    check_open,
    decide_scan,
)
from kiosk.domain.staff import StaffMember
from kiosk.domain.status import CardStatus
from kiosk.domain.verdicts import NextStep, Verdict, VerdictCode
from kiosk.ledger import safe
from kiosk.ledger.safe import SessionView
from kiosk.ledger.service import FactsChanged, ScanFacts, Unit, session_people

_SCAN_ACTS = {
    ScanMode.TAKE_OUT: Act.TAKE_OUT,
    ScanMode.PUT_BACK: Act.PUT_BACK,
    ScanMode.HAND_OVER: Act.HAND_OVER,
}


class SafeDesk(SafeIoDesk):
    """Commands and queries of the safe session (保管庫利用)."""

    # -- commands ---------------------------------------------------------------------------------

    def open_safe(self, operator: StaffMember, witness: StaffMember, confirmed: Sequence[str]) -> SessionView:
        """Open the safe: two people (one an officer) and the opening checklist confirmed by both.

        Where the safe has a door/lock module, the lock is released only after the opening is on
        record (for `[safe_io] release_seconds`, or until the door opens); with the module offline the
        session opens only by the manual (key) procedure a supervisor approved (`approve_manual`).
        """
        manual = self._check_safe_open(operator)
        with self.act(Act.OPEN_SAFE, operator, witness) as u:
            check_open(operator, witness, self.settings.session.opening_checklist, confirmed)
            view = safe.open_session(u, operator, witness, confirmed, manual=manual)
        if manual is None:
            self._release_after_open()
        else:
            self._manual_used()
        return view

    def close_safe(
        self, session_id: int, operator: StaffMember, witness: StaffMember, confirmed: Sequence[str]
    ) -> SessionView:
        """Close the safe: nothing outstanding, two people (one an officer), the closing checklist."""
        required = self.settings.session.closing_checklist
        door, lock = self._door_and_lock_for_close(operator, session_id)
        with self.act(Act.CLOSE_SAFE, operator, witness, session_id=session_id) as u:
            closed = safe.close_session(
                u, session_id, operator, witness, required=required, confirmed=confirmed, door=door, lock=lock
            )
        self.anchor_head(f"safe session {session_id} closed")
        return closed

    def join_session(self, session_id: int, joiner: StaffMember, member: StaffMember) -> int:
        """A third person joins the open session, confirmed by one of its people (both signed in now)."""
        with self.act(Act.JOIN_SESSION, joiner, member, session_id=session_id) as u:
            return safe.join_session(u, session_id, joiner, member)

    def scan(
        self,
        session_id: int,
        mid: ManagementId,
        mode: ScanMode,
        actor: StaffMember,
        *,
        witness: StaffMember | None = None,
        override: Override | None = None,
        device: str | None = None,
        source: str | None = None,
    ) -> Verdict:
        """One management ID scanned or typed in the open session: load, decide, record (always recorded).

        Taking out needs the card booked today by someone else, or `override` (a supervisor other than
        the taker, with a reason). Handing over needs `witness`, who confirmed just now (never filled in).
        """
        act = _SCAN_ACTS[mode]
        second: StaffMember | None = None
        if mode is ScanMode.HAND_OVER:
            if witness is None:
                return self._hand_over_unwitnessed(session_id, mid, actor, device=device, source=source)
            second = witness
        elif override is not None:
            act, second = Act.OVERRIDE, override.supervisor
            reason = self.text(override.reason, "reason", attempted=act.value, actor=actor)
            note = self.text(override.note, "note", attempted=act.value, actor=actor) if override.note else ""
            override = Override(override.supervisor, reason, note)
        options: dict[str, Any] = {
            "witness": witness,
            "override": override,
            "device": device,
            "source": source,
            "reasons": self.settings.session.override_reasons,
        }
        try:
            try:
                # The facts in one statement and, on PostgreSQL, decided on before the chain's head is
                # locked; if another kiosk changed one of them meanwhile, the scan runs again with the
                # head held from its start (`kiosk.ledger.service.ScanFacts`).
                facts: ScanFacts | None = ScanFacts(mid.value)
                with self.act(act, actor, second, session_id=session_id, facts=facts) as u:
                    return scan_in_unit(u, session_id, mid, mode, actor, **options)
            except FactsChanged:
                with self.act(act, actor, second, session_id=session_id) as u:
                    return scan_in_unit(u, session_id, mid, mode, actor, **options)
        except NotAllowed as exc:
            return Verdict(False, VerdictCode.NOT_ALLOWED, str(exc), None, exc.seq, exc.reason, mid.value)

    def _hand_over_unwitnessed(
        self,
        session_id: int,
        mid: ManagementId,
        actor: StaffMember,
        *,
        device: str | None,
        source: str | None,
    ) -> Verdict:
        """A hand-over scan without its witness: a card that cannot be handed over gets its own refusal
        (or the alarm for a card already handed over) with the next step; any other needs the witness."""
        with storage_errors(), self.ledger.unit() as u:
            people = session_people(u.conn, session_id)
            if people is not None and actor.id not in people:
                # Someone who did not open the safe (and has not joined) is refused as the table
                # refuses them for every act in a session, so the join step is offered as before.
                rec = u.refuse(
                    "not_in_session",
                    attempted=Act.HAND_OVER.value,
                    actor_id=actor.id,
                    session_id=session_id,
                    device=device,
                    source=source,
                )
                return Verdict(
                    False,
                    VerdictCode.NOT_ALLOWED,
                    "not one of the session's people",
                    None,
                    rec.seq,
                    "not_in_session",
                    mid.value,
                )
            if can_hand_over(u.card(mid.value)) is not None:
                # The decision can only refuse or raise the alarm here: nothing is handed over.
                return scan_in_unit(
                    u,
                    session_id,
                    mid,
                    ScanMode.HAND_OVER,
                    actor,
                    witness=None,
                    override=None,
                    device=device,
                    source=source,
                )
            rec = u.refuse(
                "need_witness",
                attempted=Act.HAND_OVER.value,
                actor_id=actor.id,
                session_id=session_id,
                device=device,
                source=source,
            )
            return Verdict(False, VerdictCode.NEED_WITNESS, "a witness must confirm", None, rec.seq)

    def can_hand_over(self, text: str) -> Verdict | None:
        """Could the card `text` names be handed over now? None when yes, else the verdict a hand-over
        scan would get (nothing recorded: the scan itself, if made, records it).

        The counter asks before it calls the witness, so nobody confirms an act that cannot succeed.
        A value that is not a management ID is left to the scan (which records its refusal).
        """
        try:
            mid = ManagementId.parse(text)
        except Refusal:
            return None
        card = self.read(lambda: self.ledger.card(mid.value))
        refused = can_hand_over(card)
        if refused is None:
            return None
        return Verdict(
            False, refused.code, refused.message, card, None, refused.detail, mid.value, refused.next_step
        )

    def refuse_input(
        self,
        refusal: Refusal,
        mode: ScanMode,
        actor: StaffMember | None,
        *,
        session_id: int | None,
        device: str | None = None,
        source: str | None = None,
    ) -> Verdict:
        """A scanned or typed value that is not a management ID: recorded by its reason code only."""
        seq = self.record_refusal(
            refusal.reason,
            attempted=mode.value,
            actor=actor,
            session_id=session_id,
            device=device,
            source=source,
        )
        return Verdict(False, VerdictCode.REFUSED_INPUT, refusal.detail, None, seq, detail=refusal.reason)

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
        with self.act(Act.MARK_MISSING, operator, witness) as u:
            return [safe.record_missing(u, session_id, m, operator, witness, note) for m in ids]

    def book(
        self,
        ids: Iterable[str],
        actor: StaffMember,
        *,
        second: StaffMember | None = None,
        day: date | None = None,
    ) -> tuple[list[str], list[safe.PickProblem]]:
        """Book cards for handing over today (the booker is recorded and may not take them out alone).

        An officer or a supervisor books alone; a clerk needs `second`, a second person confirming now
        (the authorisation table).
        """
        with self.act(Act.BOOK_PICK_LIST, actor, second) as u:
            return safe.add_to_pick_list(u, ids, actor, day=day, witness=second)

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

    def override_reasons(self, ids: list[str]) -> dict[str, str]:
        """The cards among `ids` last taken out without a booking, with the approved reason (予定外)."""
        from kiosk.ledger.ui_queries import override_reasons

        return self.read(lambda: override_reasons(self.ledger, ids))


def scan_in_unit(
    u: Unit,
    session_id: int,
    mid: ManagementId,
    mode: ScanMode,
    actor: StaffMember,
    *,
    witness: StaffMember | None,
    override: Override | None,
    device: str | None,
    source: str | None,
    reasons: Sequence[str] = (),
) -> Verdict:
    """Load the facts of one scan in `u`, let the domain decide, record what it said, and answer."""
    at: dict[str, Any] = {"actor_id": actor.id, "session_id": session_id, "device": device, "source": source}
    if u.checked_session != session_id and session_people(u.conn, session_id) is None:
        # Only a unit that was not authorised for an in-session act gets here without the check.
        rec = u.refuse("no_session", attempted=mode.value, **at)
        return Verdict(
            False,
            VerdictCode.NO_SESSION,
            "the safe is not open",
            None,
            rec.seq,
            "",
            mid.value,
            NextStep.OPEN_SAFE_FIRST,
        )
    card = u.card(mid.value)
    booking = u.booking(mid.value) if mode is ScanMode.TAKE_OUT and card is not None else None
    decision = decide_scan(mode, card, taker_id=actor.id, booking=booking, override=override, reasons=reasons)
    if witness is not None and card is not None:
        at["witness_id"] = witness.id
    if isinstance(decision, Alarm):
        # Not a refused attempt but an alarm on the chain, for the supervisor's page and the alerts.
        rec = u.append(decision.kind, card_id=mid.value, payload=decision.payload, **at)
        return Verdict(
            False, decision.code, decision.message, card, rec.seq, "", mid.value, decision.next_step
        )
    if isinstance(decision, Refuse):
        card_id = mid.value if card is not None else None  # an unknown ID is no card of ours
        rec = u.refuse(decision.reason, attempted=decision.attempted, card_id=card_id, **at)
        message = f"{mid} is {decision.message}" if card is None else decision.message
        return Verdict(
            False, decision.code, message, card, rec.seq, decision.detail, mid.value, decision.next_step
        )
    _, state = u.card_event(decision.kind, mid.value, payload=decision.payload, **at)
    return Verdict(True, decision.code, decision.message, state, state.last_seq, "", mid.value)
