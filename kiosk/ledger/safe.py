"""Safe sessions and the pick list as the ledger records and reads them.

The application core (`kiosk.desk.safe`) opens an authorised unit, loads the facts, lets the domain
decide and calls the recorders here; the reads are the core's queries. Nothing here decides who may act.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import select

from kiosk.domain.card_state import office_date
from kiosk.domain.events import Booked, Checklist, EventKind, Missing, StaffRef
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.safe_session import check_close
from kiosk.domain.staff import StaffMember, TwoPersonError, require_two_people
from kiosk.domain.status import CardStatus, TransitionRefused
from kiosk.domain.verdicts import Verdict, VerdictCode
from kiosk.ledger import models
from kiosk.ledger.service import Ledger, Unit, session_people, today


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
    u: Unit,
    operator: StaffMember,
    witness: StaffMember,
    confirmed: Sequence[str],
    *,
    manual: str | None = None,
) -> SessionView:
    """Record the opening of the safe (保管庫を開く); ValueError while a session is open at this kiosk.

    `manual` ("key") when the door/lock module is offline and the manual procedure was approved."""
    busy = u.session.scalar(
        select(models.SafeSession.id).where(
            models.SafeSession.kiosk == u.kiosk, models.SafeSession.closed_at.is_(None)
        )
    )
    if busy is not None:
        raise ValueError(f"safe session {busy} is still open at this kiosk")
    row = models.SafeSession(kiosk=u.kiosk, opened_at=u.at, operator_id=operator.id, witness_id=witness.id)
    u.session.add(row)
    u.session.flush()
    u.append(
        EventKind.SESSION_OPENED,
        actor_id=operator.id,
        witness_id=witness.id,
        session_id=row.id,
        device=u.kiosk,
        payload=Checklist(tuple(confirmed), manual=manual),
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
    u: Unit,
    session_id: int,
    operator: StaffMember,
    witness: StaffMember,
    *,
    required: Sequence[str],
    confirmed: Sequence[str],
    door: str | None = None,
    lock: str | None = None,
) -> SessionView:
    """Close the safe. Raises SessionNotClear listing the cards still out, or the two-person errors.

    `door` and `lock`: the door and lock at closing, where the safe has a door contact and a lock."""
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
        EventKind.SESSION_CLOSED,
        actor_id=operator.id,
        witness_id=witness.id,
        session_id=session_id,
        device=u.kiosk,
        payload=Checklist(tuple(confirmed), door=door, lock=lock),
    )
    return _view(row)


def record_missing(
    u: Unit,
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
    try:
        _, state = u.card_event(
            EventKind.CARD_MISSING,
            management_id,
            payload=Missing(note.strip()),
            actor_id=operator.id,
            witness_id=witness.id,
            session_id=session_id,
        )
    except (TransitionRefused, KeyError) as exc:
        rec = u.refuse("wrong_status", attempted="mark_missing", card_id=management_id, actor_id=operator.id)
        return Verdict(False, VerdictCode.WRONG_STATUS, str(exc), u.card(management_id), rec.seq)
    return Verdict(True, VerdictCode.MARKED_MISSING, "recorded as missing", state, state.last_seq)


def join_session(u: Unit, session_id: int, joiner: StaffMember, member: StaffMember) -> int:
    """A third person joins an open session, confirmed by one of its people (both badge and PIN).

    Returns the event's sequence number. Raises ValueError when the session is not open, the confirming
    person is not one of its people, or the joiner already is.
    """
    people = session_people(u.conn, session_id)
    if people is None:
        raise ValueError(f"safe session {session_id} is not open")
    if member.id not in people:
        raise TwoPersonError("not_in_session", f"{member.name} is not one of this session's people")
    if joiner.id in people:
        raise ValueError(f"{joiner.name} is already one of this session's people")
    rec = u.append(
        EventKind.SESSION_JOINED,
        actor_id=joiner.id,
        witness_id=member.id,
        session_id=session_id,
        device=u.kiosk,
        payload=StaffRef(joiner.id),
    )
    return rec.seq


def people_of(ledger: Ledger, session_id: int) -> set[int]:
    """The people of an open session (empty when it is closed)."""
    with ledger.read() as s:
        return session_people(s, session_id) or set()


# -- pick list --------------------------------------------------------------------------------


class PickProblem(NamedTuple):
    """A line of a booking that was not added: its number, the value's ID (if well-formed), why (a code).

    `reason` is a management-ID refusal code, `unknown_id`, or the card's status (`issued` …); `str()`
    gives the English line the CLI and logs print.
    """

    line: int
    management_id: str
    reason: str

    def __str__(self) -> str:
        if self.reason == "unknown_id":
            return f"{self.line}: {self.management_id} is not in the ledger"
        if self.management_id:
            return f"{self.line}: {self.management_id} is {self.reason}"
        return f"{self.line}: not a management ID ({self.reason})"


def add_to_pick_list(
    u: Unit,
    ids: Iterable[str],
    actor: StaffMember,
    *,
    day: date | None = None,
    witness: StaffMember | None = None,
) -> tuple[list[str], list[PickProblem]]:
    """Book cards for handing over. Returns (added, problems) — problems name line and reason."""
    day = day or office_date(u.at)
    added: list[str] = []
    problems: list[PickProblem] = []
    witness_id = witness.id if witness is not None else None
    for n, text in enumerate(ids, start=1):
        try:
            mid = ManagementId.parse(text)
        except Refusal as exc:
            u.refuse(exc.reason, attempted="pick_list", actor_id=actor.id)
            problems.append(PickProblem(n, "", exc.reason))
            continue
        card = u.card(mid.value)
        if card is None:
            problems.append(PickProblem(n, mid.value, "unknown_id"))
            continue
        if card.status not in (CardStatus.IN_SAFE, CardStatus.OUT):
            problems.append(PickProblem(n, mid.value, card.status.value))
            continue
        if u.session.get(models.PickListEntry, (day, mid.value)) is not None:
            continue
        rec = u.append(
            EventKind.PICK_LIST_ADDED,
            card_id=mid.value,
            actor_id=actor.id,
            witness_id=witness_id,
            payload=Booked(day.isoformat()),
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
