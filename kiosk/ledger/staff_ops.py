"""Staff accounts (職員) as the ledger records them: add, deactivate, reactivate, role, unlock, PIN,
training records (研修).

The application core calls these inside a unit authorised for the act (an administrator and a second
person); `Ledger.add_staff` and friends wrap them in a unit of their own for `kiosk init`, seeding and
tests. Every change is an event naming who did it; the PIN itself never reaches the chain.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain.authz import Act, StaffChange, authorize_staff_change
from kiosk.domain.card_state import office_date
from kiosk.domain.events import EventKind, PinChanged, RoleChanged, StaffAdded, StaffRef, StaffTrained
from kiosk.domain.guard import ensure_not_individual_number
from kiosk.domain.staff import (
    Role,
    StaffMember,
    check_rank,
    hash_pin,
    normalize_badge,
    normalize_employee_no,
    pin_mac,
    row_bound,
    suggests_same_person,
    validate_pin,
)
from kiosk.domain.staff_admin import StaffUpdate, decide_staff_change
from kiosk.domain.training import StaffRecord, TrainingRecord
from kiosk.ledger import models
from kiosk.ledger.meta import chain_sealed, seal
from kiosk.ledger.service import StaffRowTampered, Unit, to_staff

if TYPE_CHECKING:
    from kiosk.ledger.service import Ledger


def add_staff(
    u: Unit,
    pepper: bytes,
    *,
    name: str,
    badge: str,
    employee_no: str,
    role: Role,
    pin: str,
    rank: int | None = None,
    actor_id: int | None = None,
    witness_id: int | None = None,
    bootstrap: bool = False,
) -> StaffMember:
    """Register a member of staff (PIN hashed with scrypt and the pepper).

    One person, one account: the employee number is unique, and badges are compared after NFKC and
    case folding. `bootstrap` marks the first administrator (`kiosk init`) and the one member that
    administrator adds alone before anyone could witness.
    """
    ensure_not_individual_number(badge, "badge code")
    ensure_not_individual_number(employee_no, "employee number")
    ensure_not_individual_number(name, "name")
    badge = normalize_badge(badge)
    employee_no = normalize_employee_no(employee_no)
    name = " ".join(name.split())
    if not name or not name.isprintable():
        raise ValueError("a name is required, without control characters")
    if len(name) > 100:
        raise ValueError("a name is at most 100 characters")
    check_rank(role, rank)
    pin_hash = hash_pin(pin, pepper)
    if bootstrap:
        existing = int(u.session.scalar(select(func.count()).select_from(models.Staff)) or 0)
        if existing > 1:
            raise ValueError("a second person must witness: the ledger already has staff")
    if u.session.scalar(select(models.Staff.id).where(models.Staff.badge == badge)) is not None:
        raise ValueError("that badge code is already registered")
    taken = u.session.scalar(select(models.Staff.id).where(models.Staff.employee_no == employee_no))
    if taken is not None:
        raise ValueError("that employee number (職員番号) already has an account")
    if u.actor is not None:
        # A command of the core: the staff-change rules that need the new account's details.
        active = _active(u)
        similar = next((m for m in active if suggests_same_person(name, employee_no, m)), None)
        _check(u, StaffChange(Act.STAFF_ADD, None, role, similar, _first_supervisor(active)))
    row = models.Staff(
        name=name,
        badge=badge,
        employee_no=employee_no,
        role=role.value,
        rank=rank,
        pin_hash=pin_hash,
        active=True,
        failed_attempts=0,
        created_at=u.at,
    )
    u.session.add(row)
    u.session.flush()
    row.pin_mac = pin_mac(pepper, row.id, pin_hash)
    seal(pepper, row)
    payload = StaffAdded(
        row.id, row.name, badge, employee_no, role.value, rank, True if bootstrap else None, row.pin_mac
    )
    u.append(EventKind.STAFF_ADDED, actor_id=actor_id, witness_id=witness_id, payload=payload)
    return to_staff(row)


def _check(u: Unit, change: StaffChange) -> None:
    """Inside a command of the core (`u.actor` re-read and authorised): the rules about the subject."""
    if u.actor is not None:
        authorize_staff_change(change, u.actor, u.second)


def _first_supervisor(active: list[StaffMember]) -> bool:
    roles = [m.role for m in active]
    return Role.SUPERVISOR not in roles and roles.count(Role.ADMIN) <= 1


def _active(u: Unit) -> list[StaffMember]:
    return [to_staff(r) for r in u.session.scalars(select(models.Staff).where(models.Staff.active))]


def _member(u: Unit, badge: str, pepper: bytes) -> models.Staff:
    try:
        key = normalize_badge(badge)
    except ValueError:
        raise ValueError("no staff member has that badge code") from None
    row = u.session.scalar(select(models.Staff).where(models.Staff.badge == key))
    if row is None:
        raise ValueError("no staff member has that badge code")
    if not row_bound(pepper, row, sealed=lambda: chain_sealed(u.session)):
        # An edited row is never re-sealed by a change made on top of it (that would launder the edit).
        raise StaffRowTampered(row.id)
    return row


def _staff_event(u: Unit, kind: EventKind, row: models.Staff, **extra: Any) -> None:
    payload: StaffRef | RoleChanged | PinChanged
    if kind == EventKind.STAFF_PIN_RESET:
        payload = PinChanged(row.id, row.pin_mac)  # which PIN hash is the newest (never the hash)
    else:
        payload = RoleChanged(row.id, **extra) if extra else StaffRef(row.id)
    u.append(
        kind,
        actor_id=u.actor.id if u.actor else None,
        witness_id=u.second.id if u.second else None,
        payload=payload,
    )


def _apply(u: Unit, row: models.Staff, pepper: bytes, update: StaffUpdate, **extra: Any) -> StaffMember:
    """Write what `decide_staff_change` said to the row, re-seal it, and record the event."""
    row.active, row.role, row.rank = update.active, update.role.value, update.rank
    if update.unlocks:
        row.failed_attempts = 0
        row.locked_at = None
    if update.pin_change_due:
        row.pin_change_due = True
    seal(pepper, row)
    _staff_event(u, update.kind, row, **extra)
    return to_staff(row)


def deactivate_staff(u: Unit, badge: str, pepper: bytes) -> StaffMember:
    """Deactivate (never delete): the history keeps the name. Not the last active administrator."""
    row = _member(u, badge, pepper)
    subject = to_staff(row)
    _check(u, StaffChange(Act.STAFF_DEACTIVATE, subject))
    update = decide_staff_change(Act.STAFF_DEACTIVATE, subject, active_admins=_active_admins(u))
    return _apply(u, row, pepper, update)


def reactivate_staff(u: Unit, badge: str, pepper: bytes) -> StaffMember:
    row = _member(u, badge, pepper)
    subject = to_staff(row)
    _check(u, StaffChange(Act.STAFF_REACTIVATE, subject))
    update = decide_staff_change(Act.STAFF_REACTIVATE, subject, active_admins=_active_admins(u))
    return _apply(u, row, pepper, update)


def set_role(u: Unit, badge: str, role: Role, rank: int | None, pepper: bytes) -> StaffMember:
    """Change a member's role (and officer rank)."""
    check_rank(role, rank)
    row = _member(u, badge, pepper)
    subject = to_staff(row)
    _check(u, StaffChange(Act.STAFF_SET_ROLE, subject, role, None, _first_supervisor(_active(u))))
    update = decide_staff_change(
        Act.STAFF_SET_ROLE, subject, active_admins=_active_admins(u), role=role, rank=rank
    )
    return _apply(u, row, pepper, update, role=role.value, rank=rank)


def unlock_staff(u: Unit, badge: str, pepper: bytes) -> StaffMember:
    """Clear a lockout (an administrator's act with a witness, recorded)."""
    row = _member(u, badge, pepper)
    subject = to_staff(row)
    _check(u, StaffChange(Act.STAFF_UNLOCK, subject))
    update = decide_staff_change(Act.STAFF_UNLOCK, subject, active_admins=_active_admins(u))
    return _apply(u, row, pepper, update)


def reset_pin(u: Unit, pepper: bytes, badge: str, pin: str) -> StaffMember:
    """Set a one-time PIN (forgotten PIN); clears a lockout. The PIN itself is never on the chain.

    A one-time PIN authorises nothing: its owner signs in with it and chooses a new PIN
    (`Ledger.change_pin`, `staff_pin_set`) before any act.
    """
    validate_pin(pin)
    pin_hash = hash_pin(pin, pepper)
    row = _member(u, badge, pepper)
    subject = to_staff(row)
    _check(u, StaffChange(Act.STAFF_RESET_PIN, subject))
    update = decide_staff_change(Act.STAFF_RESET_PIN, subject, active_admins=_active_admins(u))
    row.pin_hash = pin_hash
    row.pin_mac = pin_mac(pepper, row.id, pin_hash)
    return _apply(u, row, pepper, update)


def _active_admins(u: Unit) -> int:
    return int(
        u.session.scalar(
            select(func.count())
            .select_from(models.Staff)
            .where(models.Staff.role == Role.ADMIN.value, models.Staff.active.is_(True))
        )
        or 0
    )


# -- training (研修) ----------------------------------------------------------------------------


def record_training(u: Unit, pepper: bytes, badge: str, *, on: date, kind: str, trainer: str) -> StaffMember:
    """Record a training of the member with `badge`: the staff row's `trained_on` is the latest date.

    `kind` and `trainer` come guarded from the core (a configured kind, a name).
    """
    row = _member(u, badge, pepper)
    if on > office_date(u.at):
        raise ValueError("a training date cannot be in the future")
    if row.trained_on is None or on > row.trained_on:
        row.trained_on = on
    u.append(
        EventKind.STAFF_TRAINED,
        actor_id=u.actor.id if u.actor else None,
        witness_id=u.second.id if u.second else None,
        payload=StaffTrained(row.id, on.isoformat(), kind, trainer),
    )
    return to_staff(row)


def _trainings(session: Session, staff_id: int | None = None) -> list[TrainingRecord]:
    q = (
        select(models.Event.seq, models.Event.payload)
        .where(models.Event.kind == EventKind.STAFF_TRAINED)
        .order_by(models.Event.seq)
    )
    names = dict(session.execute(select(models.Staff.id, models.Staff.name)).all())
    out = []
    for seq, payload in session.execute(q):
        data = json.loads(payload)
        sid = int(data["staff"])
        if staff_id is not None and sid != staff_id:
            continue
        out.append(
            TrainingRecord(
                seq=seq,
                staff_id=sid,
                name=str(names.get(sid, "")),
                on=date.fromisoformat(str(data["on"])),
                kind=str(data["kind"]),
                trainer=str(data["trainer"]),
            )
        )
    return out


def training_records(ledger: Ledger, staff_id: int | None = None) -> list[TrainingRecord]:
    """Every training on the chain (of one member when `staff_id` is given), oldest first."""
    with ledger.read() as s:
        return _trainings(s, staff_id)


def roster(ledger: Ledger) -> list[StaffRecord]:
    """Every member (deactivated included) with the last training and the day they were added."""
    with ledger.read() as s:
        rows = list(s.scalars(select(models.Staff).order_by(models.Staff.id)))
        last_kind: dict[int, tuple[date, int, str]] = {}
        for record in _trainings(s):
            best = last_kind.get(record.staff_id)
            if best is None or (record.on, record.seq) >= best[:2]:
                last_kind[record.staff_id] = (record.on, record.seq, record.kind)
        return [
            StaffRecord(
                member=to_staff(row),
                trained_on=row.trained_on,
                training_kind=last_kind[row.id][2] if row.id in last_kind else None,
                added_on=office_date(row.created_at) if row.created_at else None,
            )
            for row in rows
        ]
