"""Ledger operations for retention: notice/reminder dates, holds, work lists, and disposal batches.

Each function is one unit of work. A disposal batch is not a table of its own: it is the fold of its
events (`disposal_prepared` — its sequence number is the batch number —, `disposal_approved`, the cards'
`card_cancelled` events that carry the batch number, and `disposal_finished`). Batches are few and short,
so reading their events is cheap, and the hash chain then protects the batch record as well.

Disposal flow (交付取りやめ・廃棄):
1. `prepare_disposal`: a list from the eligible cards; ineligible cards are refused with the reason.
2. `approve_disposal`: a supervisor (責任者), not the person who prepared it, approves it.
3. `scan_into_disposal`: each card is scanned out of the safe into the batch by two people
   (status in_safe → cancelled); the eligibility is checked again at that moment.
4. `finish_disposal`: two people record the method; every scanned card becomes disposed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain.card_state import CardState, office_date
from kiosk.domain.disposal import (
    DisposalBatch,
    DisposalError,
    PrepareRefused,
    decide_approve,
    decide_finish,
    decide_prepare,
    refuse_disposal_scan,
)
from kiosk.domain.events import (
    Cancelled,
    Disposed,
    EventKind,
    HoldSet,
    SentOn,
)
from kiosk.domain.fiscal import CertificateNo, number_by_fiscal_year
from kiosk.domain.notices import Letter, SentProblem, sent_problem
from kiosk.domain.retention import (
    WAITING_STATUSES,
    Assessment,
    DatedId,
    DatedListRejected,
    DueLists,
    HoldSpan,
    RetentionPolicy,
    build_due_lists,
    ineligibility,
)
from kiosk.domain.staff import StaffMember, require_two_people
from kiosk.domain.status import CardStatus, TransitionRefused
from kiosk.domain.verdicts import Verdict, VerdictCode
from kiosk.ledger import models
from kiosk.ledger.service import Ledger, Unit, session_people, to_card_state, today

# Statuses for which a notice/reminder date or a hold can still be recorded.
_OPEN_STATUSES = frozenset({CardStatus.RECEIVED, CardStatus.IN_SAFE, CardStatus.OUT, CardStatus.MISSING})


# -- notice and reminder dates ----------------------------------------------------------------


def record_sent(
    u: Unit,
    which: str,
    entries: Sequence[DatedId],
    *,
    actor_id: int | None = None,
    source: str | None = None,
) -> list[CardState]:
    """Record the day the issuance notice (`which="notice"`) or reminder (`"reminder"`) was sent.

    All-or-nothing: raises `DatedListRejected` naming every bad line (unknown card, wrong status,
    reminder without or before the notice), and then nothing is written. A notice date before the card
    was received is allowed: a safe moved from a paper ledger enters the kiosk long after the notice.
    """
    if which not in ("notice", "reminder"):
        raise ValueError("which is 'notice' or 'reminder'")
    kind = EventKind.CARD_NOTICE_SENT if which == "notice" else EventKind.CARD_REMINDER_SENT
    problems: list[str] = []
    for entry in entries:
        mid = entry.management_id.value
        card = u.card(mid)
        # The one rule (kiosk.domain.notices), shared with the screens' check before recording.
        problem = sent_problem(card, Letter(which), entry.sent_on)
        if problem is SentProblem.UNKNOWN:
            problems.append(f"line {entry.line}: {mid} is not in the ledger")
        elif problem is SentProblem.CLOSED and card is not None:
            problems.append(f"line {entry.line}: {mid} is {card.status.value}")
        elif problem is SentProblem.NO_NOTICE:
            problems.append(f"line {entry.line}: {mid}: record the notice date first")
        elif problem is SentProblem.BEFORE_NOTICE:
            problems.append(f"line {entry.line}: {mid}: the reminder date is before the notice date")
    if problems:
        raise DatedListRejected(problems)
    states = []
    for entry in entries:
        _, state = u.card_event(
            kind,
            entry.management_id.value,
            payload=SentOn(entry.sent_on.isoformat()),
            actor_id=actor_id,
            source=source,
        )
        states.append(state)
    return states


# -- holds ------------------------------------------------------------------------------------


def set_hold(u: Unit, management_id: str, reason: str, *, actor_id: int) -> CardState:
    """Put a card on hold (保留) with a reason, e.g. 長期入院: every retention period pauses."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("a hold needs a reason")
    if len(reason) > 200:
        raise ValueError("a hold reason has at most 200 characters")
    card = _open_card(u, management_id)
    if card.hold_reason is not None:
        raise ValueError(f"{management_id} is already on hold ({card.hold_reason})")
    _, state = u.card_event(
        EventKind.CARD_HOLD_SET, management_id, payload=HoldSet(reason), actor_id=actor_id
    )
    return state


def release_hold(u: Unit, management_id: str, *, actor_id: int) -> CardState:
    """End a card's hold; the days it was on hold are added to its running periods."""
    card = u.card(management_id)
    if card is None:
        raise ValueError(f"{management_id} is not in the ledger")
    if card.hold_reason is None:
        raise ValueError(f"{management_id} is not on hold")
    _, state = u.card_event(EventKind.CARD_HOLD_RELEASED, management_id, actor_id=actor_id)
    return state


def _open_card(u: Unit, management_id: str) -> CardState:
    card = u.card(management_id)
    if card is None:
        raise ValueError(f"{management_id} is not in the ledger")
    if card.status not in _OPEN_STATUSES:
        raise ValueError(f"{management_id} is {card.status.value}")
    return card


def hold_spans(session: Session, card_ids: Iterable[str] | None = None) -> dict[str, list[HoldSpan]]:
    """Every card's holds, oldest first, from its hold events (start = office date set, end = released)."""
    q = select(models.Event.card_id, models.Event.kind, models.Event.at, models.Event.payload).where(
        models.Event.kind.in_((EventKind.CARD_HOLD_SET, EventKind.CARD_HOLD_RELEASED))
    )
    if card_ids is not None:
        q = q.where(models.Event.card_id.in_(list(card_ids)))
    spans: dict[str, list[HoldSpan]] = defaultdict(list)
    for card_id, kind, at, payload in session.execute(q.order_by(models.Event.seq)):
        if card_id is None:
            continue
        day = office_date(at)
        if kind == EventKind.CARD_HOLD_SET:
            spans[card_id].append(HoldSpan(day, None, str(json.loads(payload).get("reason", ""))))
        elif spans[card_id] and spans[card_id][-1].end is None:
            last = spans[card_id][-1]
            spans[card_id][-1] = HoldSpan(last.start, day, last.reason)
    return dict(spans)


# -- work lists -------------------------------------------------------------------------------


def due_lists(ledger: Ledger, policy: RetentionPolicy, day: date | None = None) -> DueLists:
    """The retention work lists for `day` (default: the office's today). Nothing is changed."""
    day = day or today(ledger.clock)
    with ledger.read() as s:
        rows = s.scalars(
            select(models.Card)
            .where(models.Card.status.in_([st.value for st in WAITING_STATUSES]))
            .order_by(models.Card.management_id)
        ).all()
        cards = [to_card_state(r) for r in rows]
        holds = hold_spans(s)
    return build_due_lists(policy, cards, holds, day)


def assess_card(
    ledger: Ledger, policy: RetentionPolicy, management_id: str, day: date | None = None
) -> Assessment | None:
    """One card's `Assessment` under the policy (None when the card is unknown)."""
    day = day or today(ledger.clock)
    with ledger.read() as s:
        row = s.get(models.Card, management_id)
        if row is None:
            return None
        return policy.assess(to_card_state(row), hold_spans(s, [management_id]).get(management_id, []), day)


# -- disposal batches -------------------------------------------------------------------------

PREPARED = EventKind.DISPOSAL_PREPARED
APPROVED = EventKind.DISPOSAL_APPROVED
FINISHED = EventKind.DISPOSAL_FINISHED


def _load_batch(session: Session, batch_id: int) -> DisposalBatch | None:
    head = session.get(models.Event, batch_id)
    if head is None or head.kind != PREPARED:
        return None
    body = json.loads(head.payload)
    fields: dict[str, Any] = {
        "id": batch_id,
        "prepared_at": head.at,
        "prepared_by": head.actor_id,
        "cards": tuple(body["cards"]),
    }
    scanned: list[str] = []
    rows = session.execute(
        select(models.Event)
        .where(
            models.Event.seq > batch_id,
            models.Event.kind.in_((APPROVED, FINISHED, EventKind.CARD_CANCELLED)),
        )
        .order_by(models.Event.seq)
    ).scalars()
    for ev in rows:
        data = json.loads(ev.payload)
        if data.get("batch") != batch_id:
            continue
        if ev.kind == APPROVED:
            fields.update(approved_at=ev.at, approved_by=ev.actor_id)
        elif ev.kind == EventKind.CARD_CANCELLED and ev.card_id:
            scanned.append(ev.card_id)
        elif ev.kind == FINISHED:
            fields.update(
                finished_at=ev.at,
                finished_seq=ev.seq,
                certificate=_certificate_no(session, ev.seq),
                operator_id=ev.actor_id,
                witness_id=ev.witness_id,
                method=data.get("method"),
                disposed=tuple(data.get("disposed", ())),
            )
    people = {
        i
        for i in (fields.get("prepared_by"), fields.get("approved_by"), fields.get("operator_id"))
        if i is not None
    }
    if fields.get("witness_id") is not None:
        people.add(fields["witness_id"])
    names: dict[int, str] = {}
    if people:
        staff = session.execute(select(models.Staff.id, models.Staff.name).where(models.Staff.id.in_(people)))
        for person in staff:
            names[person.id] = person.name
    return DisposalBatch(scanned=tuple(scanned), names=names, **fields)


def _certificate_no(session: Session, finished_seq: int) -> CertificateNo:
    """The certificate number of the batch finished by event `finished_seq`, from the chain's order.

    Every `disposal_finished` up to it, numbered from 1 within each fiscal year (office dates): the
    events are append-only, so a number never changes and is never given twice.
    """
    rows = session.execute(
        select(models.Event.seq, models.Event.at)
        .where(models.Event.kind == FINISHED, models.Event.seq <= finished_seq)
        .order_by(models.Event.seq)
    ).all()
    return number_by_fiscal_year((seq, office_date(at)) for seq, at in rows)[finished_seq]


def get_batch(ledger: Ledger, batch_id: int) -> DisposalBatch | None:
    """A disposal batch by number, or None."""
    with ledger.read() as s:
        return _load_batch(s, batch_id)


def list_batches(ledger: Ledger) -> list[DisposalBatch]:
    """Every disposal batch, oldest first."""
    with ledger.read() as s:
        seqs = s.scalars(
            select(models.Event.seq).where(models.Event.kind == PREPARED).order_by(models.Event.seq)
        )
        return [b for b in (_load_batch(s, seq) for seq in seqs) if b is not None]


def _holds_of(u: Unit, mid: str) -> list[HoldSpan]:
    return hold_spans(u.session, [mid]).get(mid, [])


def _check_eligible(u: Unit, policy: RetentionPolicy, mid: str) -> tuple[str, str] | None:
    card = u.card(mid)
    if card is None:
        return "unknown_id", "not in the ledger"
    return ineligibility(policy, policy.assess(card, _holds_of(u, mid), office_date(u.at)))


def prepare_disposal(
    u: Unit, policy: RetentionPolicy, actor: StaffMember, management_ids: Sequence[str]
) -> DisposalBatch | DisposalError:
    """Prepare a batch from `management_ids`, or say why not (`decide_prepare`).

    Any ineligible card refuses the whole list with each card's reason: then only the refusals are
    recorded (one each) and the error is returned, for the core to raise once the unit has committed.
    """
    decided = decide_prepare(
        management_ids,
        policy.preset.value,
        lambda mid: _check_eligible(u, policy, mid),
        _cards_in_open_batches(u.session) if management_ids else {},
    )
    if isinstance(decided, DisposalError):
        return decided
    if isinstance(decided, PrepareRefused):
        for card_id, reason in decided.refused:
            u.refuse(reason, attempted="disposal_prepare", card_id=card_id, actor_id=actor.id)
        return decided.error()
    rec = u.append(EventKind.DISPOSAL_PREPARED, actor_id=actor.id, payload=decided)
    batch = _load_batch(u.session, rec.seq)
    assert batch is not None
    return batch


def _cards_in_open_batches(session: Session) -> dict[str, int]:
    found: dict[str, int] = {}
    for seq in session.scalars(select(models.Event.seq).where(models.Event.kind == PREPARED)):
        batch = _load_batch(session, seq)
        if batch is not None and batch.finished_at is None:
            for mid in batch.cards:
                found[mid] = batch.id
    return found


def approve_disposal(u: Unit, batch_id: int, supervisor: StaffMember) -> DisposalBatch:
    """A supervisor approves the batch (`decide_approve`). Raises DisposalError."""
    payload = decide_approve(batch_id, _load_batch(u.session, batch_id), supervisor)
    u.append(EventKind.DISPOSAL_APPROVED, actor_id=supervisor.id, payload=payload)
    approved = _load_batch(u.session, batch_id)
    assert approved is not None
    return approved


def scan_into_disposal(
    u: Unit,
    policy: RetentionPolicy,
    batch_id: int,
    mid: str,
    operator: StaffMember,
    witness: StaffMember,
    *,
    session_id: int | None = None,
    device: str | None = None,
    source: str | None = None,
) -> Verdict:
    """Scan one card out of the safe into an approved batch (交付取りやめ): two people, card eligible now."""
    require_two_people(operator, witness)
    fields: dict[str, Any] = {
        "actor_id": operator.id,
        "witness_id": witness.id,
        "session_id": session_id,
        "device": device,
        "source": source,
    }

    def refuse(code: str, message: str) -> Verdict:
        card_id = mid if u.card(mid) is not None else None
        rec = u.refuse(code, attempted="disposal_scan", card_id=card_id, **fields)
        return Verdict(False, VerdictCode(code), message, u.card(mid), rec.seq)

    # Cards leave the safe only while it is open, in a session with an officer among its people.
    why = refuse_disposal_scan(
        batch_id,
        _load_batch(u.session, batch_id),
        mid,
        safe_open=session_id is not None and session_people(u.conn, session_id) is not None,
        eligibility=lambda card: _check_eligible(u, policy, card),
    )
    if why is not None:
        return refuse(*why)
    try:
        _, state = u.card_event(
            EventKind.CARD_CANCELLED, mid, payload=Cancelled(batch_id, f"disposal-{batch_id}"), **fields
        )
    except TransitionRefused as exc:
        return refuse(exc.reason, str(exc))
    return Verdict(
        True, VerdictCode.CANCELLED, "cancelled and put in the disposal batch", state, state.last_seq
    )


def finish_disposal(
    u: Unit, batch_id: int, operator: StaffMember, witness: StaffMember, method: str
) -> DisposalBatch:
    """Two people record the batch as disposed with the method (`decide_finish`); each scanned card
    becomes disposed. Raises DisposalError."""
    finished = decide_finish(batch_id, _load_batch(u.session, batch_id), operator, witness, method)
    for mid in finished.disposed:
        u.card_event(
            EventKind.CARD_DISPOSED,
            mid,
            payload=Disposed(batch_id, finished.method),
            actor_id=operator.id,
            witness_id=witness.id,
        )
    u.append(EventKind.DISPOSAL_FINISHED, actor_id=operator.id, witness_id=witness.id, payload=finished)
    done = _load_batch(u.session, batch_id)
    assert done is not None
    return done
