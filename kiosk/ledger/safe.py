"""Safe sessions, the pick list, and the scans that move cards in and out of the safe.

Every function is one unit of work on the ledger. Scans return a `Verdict` for the UI; a refused scan
is recorded as a `refused` event in the same way as an accepted one is recorded as a card event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select

from kiosk.domain.card_state import office_date
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.safe_session import (
    Override,
    ScanMode,
    check_close,
    check_open,
    check_override,
)
from kiosk.domain.staff import StaffMember, TwoPersonError, require_two_people
from kiosk.domain.status import Action, CardStatus, TransitionRefused
from kiosk.ledger import models
from kiosk.ledger.service import SESSION_JOINED, Ledger, Unit, Verdict, session_people, today
from kiosk.ledger.statements import Prepared


@dataclass(frozen=True, slots=True)
class SessionView:
    """A safe session as the UI shows it."""

    id: int
    kiosk: str
    opened_at: datetime
    operator_id: int
    witness_id: int
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


def _view(row: models.SafeSession) -> SessionView:
    return SessionView(row.id, row.kiosk, row.opened_at, row.operator_id, row.witness_id, row.closed_at)


def open_session(
    ledger: Ledger,
    operator: StaffMember,
    witness: StaffMember,
    *,
    required: Sequence[str],
    confirmed: Sequence[str],
) -> SessionView:
    """Open the safe (保管庫を開く). Raises TwoPersonError / ChecklistIncomplete / ValueError."""
    check_open(operator, witness, required, confirmed)
    with ledger.unit() as u:
        busy = u.session.scalar(
            select(models.SafeSession.id).where(
                models.SafeSession.kiosk == ledger.kiosk, models.SafeSession.closed_at.is_(None)
            )
        )
        if busy is not None:
            raise ValueError(f"safe session {busy} is still open at this kiosk")
        row = models.SafeSession(
            kiosk=ledger.kiosk, opened_at=u.at, operator_id=operator.id, witness_id=witness.id
        )
        u.session.add(row)
        u.session.flush()
        u.append(
            "session_opened",
            actor_id=operator.id,
            witness_id=witness.id,
            session_id=row.id,
            device=ledger.kiosk,
            payload={"checklist": list(confirmed)},
        )
        return _view(row)


def current_session(ledger: Ledger) -> SessionView | None:
    """The open session at this kiosk, if any (after a restart, the kiosk resumes it)."""
    with ledger.read() as s:
        row = s.scalar(
            select(models.SafeSession).where(
                models.SafeSession.kiosk == ledger.kiosk, models.SafeSession.closed_at.is_(None)
            )
        )
        return _view(row) if row else None


def get_session(ledger: Ledger, session_id: int) -> SessionView | None:
    with ledger.read() as s:
        row = s.get(models.SafeSession, session_id)
        return _view(row) if row else None


def outstanding(ledger: Ledger, session_id: int) -> list[str]:
    """Cards taken out in this session that are neither back nor issued."""
    with ledger.read() as s:
        return list(
            s.scalars(
                select(models.Card.management_id)
                .where(models.Card.out_session_id == session_id, models.Card.status == CardStatus.OUT.value)
                .order_by(models.Card.management_id)
            )
        )


def close_session(
    ledger: Ledger,
    session_id: int,
    operator: StaffMember,
    witness: StaffMember,
    *,
    required: Sequence[str],
    confirmed: Sequence[str],
) -> SessionView:
    """Close the safe. Raises SessionNotClear listing the cards still out, or the two-person errors."""
    with ledger.unit() as u:
        row = u.session.get(models.SafeSession, session_id)
        if row is None or row.closed_at is not None:
            raise ValueError(f"safe session {session_id} is not open")
        still_out = list(
            u.session.scalars(
                select(models.Card.management_id).where(
                    models.Card.out_session_id == session_id, models.Card.status == CardStatus.OUT.value
                )
            )
        )
        check_close(operator, witness, sorted(still_out), required, confirmed)
        row.closed_at = u.at
        row.closed_by_id = operator.id
        row.closed_witness_id = witness.id
        u.append(
            "session_closed",
            actor_id=operator.id,
            witness_id=witness.id,
            session_id=session_id,
            device=ledger.kiosk,
            payload={"checklist": list(confirmed)},
        )
        return _view(row)


def record_missing(
    ledger: Ledger,
    session_id: int | None,
    management_id: str,
    operator: StaffMember,
    witness: StaffMember,
    note: str,
) -> Verdict:
    """The two-person "missing" record (所在不明) for a card that is neither back nor issued."""
    require_two_people(operator, witness)
    if not note.strip():
        raise ValueError("a missing record needs a note")
    with ledger.unit() as u:
        try:
            _, state = u.card_event(
                Action.MARK_MISSING.value,
                management_id,
                payload={"note": note.strip()},
                actor_id=operator.id,
                witness_id=witness.id,
                session_id=session_id,
            )
        except (TransitionRefused, KeyError) as exc:
            rec = u.refuse(
                "wrong_status", attempted="mark_missing", card_id=management_id, actor_id=operator.id
            )
            return Verdict(False, "wrong_status", str(exc), u.card(management_id), rec.seq)
        return Verdict(True, "marked_missing", "recorded as missing", state, state.last_seq)


def join_session(ledger: Ledger, session_id: int, joiner: StaffMember, member: StaffMember) -> int:
    """A third person joins an open session, confirmed by one of its people (both badge and PIN).

    Returns the event's sequence number. Raises ValueError when the session is not open, the confirming
    person is not one of its people, or the joiner already is.
    """
    with ledger.unit() as u:
        people = session_people(u.conn, session_id)
        if people is None:
            raise ValueError(f"safe session {session_id} is not open")
        if member.id not in people:
            raise TwoPersonError("not_in_session", f"{member.name} is not one of this session's people")
        if joiner.id in people:
            raise ValueError(f"{joiner.name} is already one of this session's people")
        rec = u.append(
            SESSION_JOINED,
            actor_id=joiner.id,
            witness_id=member.id,
            session_id=session_id,
            device=ledger.kiosk,
            payload={"staff": joiner.id},
        )
        return rec.seq


def people_of(ledger: Ledger, session_id: int) -> set[int]:
    """The people of an open session (empty when it is closed)."""
    with ledger.read() as s:
        return session_people(s, session_id) or set()


# -- pick list --------------------------------------------------------------------------------


def add_to_pick_list(
    ledger: Ledger, ids: Iterable[str], actor: StaffMember, *, day: date | None = None
) -> tuple[list[str], list[str]]:
    """Book cards for handing over today. Returns (added, problems) — problems name line and reason."""
    day = day or today(ledger.clock)
    added: list[str] = []
    problems: list[str] = []
    with ledger.unit() as u:
        for n, text in enumerate(ids, start=1):
            try:
                mid = ManagementId.parse(text)
            except Refusal as exc:
                u.refuse(exc.reason, attempted="pick_list", actor_id=actor.id)
                problems.append(f"{n}: {exc}")
                continue
            card = u.card(mid.value)
            if card is None:
                problems.append(f"{n}: {mid} is not in the ledger")
                continue
            if card.status not in (CardStatus.IN_SAFE, CardStatus.OUT):
                problems.append(f"{n}: {mid} is {card.status.value}")
                continue
            if u.session.get(models.PickListEntry, (day, mid.value)) is not None:
                continue
            rec = u.append(
                "pick_list_added", card_id=mid.value, actor_id=actor.id, payload={"day": day.isoformat()}
            )
            u.session.add(
                models.PickListEntry(day=day, management_id=mid.value, added_seq=rec.seq, booked_by=actor.id)
            )
            added.append(mid.value)
    return added, problems


def pick_list(ledger: Ledger, day: date | None = None) -> list[str]:
    day = day or today(ledger.clock)
    with ledger.read() as s:
        return list(
            s.scalars(
                select(models.PickListEntry.management_id)
                .where(models.PickListEntry.day == day)
                .order_by(models.PickListEntry.management_id)
            )
        )


# -- scans in a session -----------------------------------------------------------------------


def scan_in_session(
    ledger: Ledger,
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
    """Apply one scanned or typed management ID in an open session, and say what happened."""
    fields: dict[str, Any] = {
        "actor_id": actor.id,
        "session_id": session_id,
        "device": device,
        "source": source,
    }
    try:
        mid = ManagementId.parse(text)
    except Refusal as exc:
        rec = ledger.record_refusal(exc.reason, attempted=mode.value, **fields)
        return Verdict(False, "refused_input", exc.detail, None, rec.seq, detail=exc.reason)
    with ledger.unit() as u:
        if u.checked_session != session_id and session_people(u.conn, session_id) is None:
            rec = u.refuse("no_session", attempted=mode.value, card_id=None, **fields)
            return Verdict(False, "no_session", "the safe is not open", None, rec.seq)
        card = u.card(mid.value)
        if card is None:
            # An unknown ID is not a card of ours: record the refusal without a card reference.
            rec = u.refuse("unknown_id", attempted=mode.value, **fields)
            return Verdict(False, "unknown_id", f"{mid} is not in the ledger", None, rec.seq)
        if mode is ScanMode.TAKE_OUT:
            return _take_out(u, card.management_id, card.status, override, fields)
        if mode is ScanMode.PUT_BACK:
            return _simple(u, Action.PUT_BACK, card.management_id, "put_back", fields, {"location": "safe"})
        if witness is None:
            raise ValueError("handing over needs a witness")
        require_two_people(actor, witness)
        return _simple(
            u, Action.ISSUE, card.management_id, "issued", {**fields, "witness_id": witness.id}, {}
        )


_PICK_LIST = cast(Table, models.PickListEntry.__table__)
# Whether (and by whom) a card is booked for today: read on every take-out, so a plain statement.
_BOOKING = Prepared(
    select(_PICK_LIST.c.booked_by).where(
        _PICK_LIST.c.day == bindparam("day"), _PICK_LIST.c.management_id == bindparam("mid")
    )
)


def _take_out(
    u: Unit, mid: str, status: CardStatus, override: Override | None, fields: dict[str, Any]
) -> Verdict:
    if status is CardStatus.OUT:
        rec = u.refuse("already_out", attempted="take_out", card_id=mid, **fields)
        return Verdict(False, "already_out", "this card is already out", u.card(mid), rec.seq)
    if status is not CardStatus.IN_SAFE:
        rec = u.refuse("wrong_status", attempted="take_out", card_id=mid, **fields)
        return Verdict(False, "wrong_status", f"this card is {status.value}", u.card(mid), rec.seq)
    entry = _BOOKING.one_or_none(u.conn, {"day": _office_day(u), "mid": mid})
    # The one who booked a card may not also take it out alone: that would be one person deciding and
    # doing. Such a take-out needs the supervisor's override, as for a card not booked at all.
    booked_by_taker = entry is not None and entry.booked_by == fields["actor_id"]
    payload: dict[str, object] = {}
    if entry is None or booked_by_taker:
        if override is None:
            code = "booked_by_taker" if booked_by_taker else "not_on_pick_list"
            rec = u.refuse(code, attempted="take_out", card_id=mid, **fields)
            message = "booked by the same person" if booked_by_taker else "not on today's pick list"
            return Verdict(False, "not_on_pick_list", message, u.card(mid), rec.seq, detail=code)
        try:
            check_override(override, int(fields["actor_id"]))
        except ValueError as exc:
            # A refused override is on the record too (who tried to approve, and why it was refused).
            reason = getattr(exc, "reason", "override_invalid")
            rec = u.refuse(f"override_{reason}", attempted="take_out", card_id=mid, **fields)
            return Verdict(False, "override_refused", str(exc), u.card(mid), rec.seq, detail=reason)
        payload = {"override_by": override.supervisor.id, "reason": override.reason.strip()}
    _, state = u.card_event(Action.TAKE_OUT.value, mid, payload=payload, **fields)
    return Verdict(True, "taken_out", "taken out", state, state.last_seq)


def _simple(
    u: Unit, action: Action, mid: str, code: str, fields: dict[str, Any], payload: dict[str, object]
) -> Verdict:
    try:
        _, state = u.card_event(action.value, mid, payload=payload, **fields)
    except TransitionRefused as exc:
        rec = u.refuse(exc.reason, attempted=action.value, card_id=mid, **fields)
        return Verdict(False, "wrong_status", str(exc), u.card(mid), rec.seq)
    return Verdict(True, code, code.replace("_", " "), state, state.last_seq)


def _office_day(u: Unit) -> date:
    return office_date(u.at)
