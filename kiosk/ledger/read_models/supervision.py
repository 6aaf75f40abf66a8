"""What the supervisor's view shows (監督者画面): read models over the whole ledger, never a write.

Every function here reads through `Ledger.read()` and returns frozen dataclasses; the core serves them
(`kiosk.desk.supervision`) and the web front end (kiosk.supervise) renders them and holds no SQL. One
ledger may be shared by several kiosks on PostgreSQL: nothing here filters by `ledger.kiosk`, so the
view shows every safe and every stocktake.

`head_seq` is the cheap poll (one row by primary key) the live view runs twice a second; `overview`
is the whole page, built only when the head moved or the minute changed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain.card_state import OFFICE_TZ, office_date
from kiosk.domain.events import EventKind
from kiosk.domain.guard import REASON_MYNUMBER
from kiosk.domain.retention import RetentionPolicy
from kiosk.domain.safe_session import is_overdue
from kiosk.domain.staff import Role, StaffMember
from kiosk.domain.status import CardStatus
from kiosk.domain.stocktake import DueStatus, Progress
from kiosk.ledger import models
from kiosk.ledger.read_models.due_board import DueBoard, DueSummary, summarise
from kiosk.ledger.read_models.restores import RestoreAlert
from kiosk.ledger.read_models.restores import unacknowledged as unacknowledged_restores
from kiosk.ledger.read_models.safe_door import (
    DeviceStateLine,
    DoorLine,
    acknowledged_incidents,
    device_states,
    doors,
)
from kiosk.ledger.read_models.stocktakes import OPEN as STOCKTAKE_OPEN
from kiosk.ledger.read_models.stocktakes import progress, stocktake_due
from kiosk.ledger.retention_ops import due_lists
from kiosk.ledger.service import Ledger, to_staff

# Roles that may open the supervisor's view.
SUPERVISING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})

# Today's receipts and payments (受払), in the order of the daily close report.
DAY_KINDS = (
    EventKind.CARD_RECEIVED,
    EventKind.CARD_TAKEN_OUT,
    EventKind.CARD_PUT_BACK,
    EventKind.CARD_ISSUED,
    EventKind.CARD_CANCELLED,
    EventKind.CARD_DISPOSED,
    EventKind.CARD_MISSING,
    EventKind.CARD_FOUND,
)

# Device state events: a kiosk records each change of a device (kiosk.desk.base.record_device).
DEVICE_DOWN_KINDS = (EventKind.DEVICE_OFFLINE,)
DEVICE_UP_KINDS = (EventKind.DEVICE_ONLINE,)

INCIDENT_OPENED = EventKind.INCIDENT_OPENED

# Today's events the page lists one by one (or reads a payload of), read together.
TODAY_LISTED = (
    EventKind.CARD_TAKEN_OUT,  # the overrides among them
    EventKind.HANDED_OVER_CARD_SEEN,
    EventKind.REFUSED,
    EventKind.STAFF_LOCKED,
    EventKind.INTEGRITY_ALERT,
)


@dataclass(frozen=True, slots=True)
class SafeLine:
    """One kiosk's safe: its latest session, open or closed."""

    kiosk: str
    session_id: int | None
    is_open: bool
    opened_at: datetime | None
    operator: str
    witness: str
    joined: tuple[str, ...]
    closed_at: datetime | None
    open_minutes: int | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class OutLine:
    """A card out of the safe now: who took it, when, for how long, in which session."""

    management_id: str
    taken_by: str
    taken_at: datetime | None
    minutes_out: int | None
    kiosk: str
    session_id: int | None
    override_reason: str | None = None  # taken out without a booking: the approved reason (予定外)


@dataclass(frozen=True, slots=True)
class SeenLine:
    """An alarm: a card already handed over (交付済) was scanned at the safe."""

    seq: int
    at: datetime
    management_id: str | None
    by: str
    kiosk: str
    attempted: str


@dataclass(frozen=True, slots=True)
class OverrideLine:
    """A take-out without a booking, approved at the kiosk by a supervisor."""

    seq: int
    at: datetime
    management_id: str | None
    taken_by: str
    approver: str
    reason: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class LockLine:
    """A member of staff locked out (now), and when the lock-out was recorded."""

    name: str
    role: Role
    locked_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeviceLine:
    """A device whose last recorded state is offline."""

    kiosk: str
    device: str
    since: datetime


@dataclass(frozen=True, slots=True)
class StocktakeLine:
    """A stocktake in progress on one kiosk, with its live counts."""

    id: int
    kiosk: str
    started_at: datetime
    progress: Progress


@dataclass(frozen=True, slots=True)
class IncidentLine:
    """An incident still open (a card recorded missing and not found since)."""

    seq: int
    at: datetime
    management_id: str | None
    type: str
    note: str


@dataclass(frozen=True, slots=True)
class Integrity:
    """The last verify/anchor result if one is on record; otherwise the chain head as it stands."""

    head_seq: int
    head_hash: str
    head_at: datetime | None
    last_check: str | None  # kind of the last recorded check event, if any
    last_check_at: datetime | None
    last_check_ok: bool | None
    # Today's `integrity_alert` events: (seq, time, table, row) of an authorising row edited outside the
    # core and refused (issue 22).
    alerts: tuple[tuple[int, datetime, str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Overview:
    """Everything on the supervisor's page at one moment."""

    now: datetime
    day: date
    max_open_minutes: int
    safes: tuple[SafeLine, ...]
    out: tuple[OutLine, ...]
    day_counts: tuple[tuple[str, int], ...]
    in_safe: int
    overrides: tuple[OverrideLine, ...]
    refusals: tuple[tuple[str, int], ...]  # reason code → count today (never a value)
    mynumber_attempts: int
    failed_sign_ins: int
    locked: tuple[LockLine, ...]
    lockouts_today: int
    devices_recorded: bool
    devices_offline: tuple[DeviceLine, ...]
    stocktake_due: DueStatus
    stocktakes: tuple[StocktakeLine, ...]
    missing: tuple[str, ...]
    incidents: tuple[IncidentLine, ...]
    due: DueSummary
    integrity: Integrity
    # The safes' doors, locks and modules, and every device's last recorded state.
    doors: tuple[DoorLine, ...] = ()
    devices: tuple[DeviceStateLine, ...] = ()
    handed_over_seen: tuple[SeenLine, ...] = ()  # today's alarms
    # Restores no supervisor has acknowledged yet: an alert until then, whatever the day (issue 22).
    restores: tuple[RestoreAlert, ...] = ()

    @property
    def alert_count(self) -> int:
        """How many alerts the page raises (overdue safes, lock-outs, offline devices, missing …)."""
        return (
            sum(1 for s in self.safes if s.overdue)
            + len(self.overrides)
            + self.mynumber_attempts
            + len(self.locked)
            + len(self.devices_offline)
            + len(self.missing)
            + len(self.incidents)
            + sum(1 for d in self.doors if d.module_online is False)
            + len(self.integrity.alerts)
            + len(self.handed_over_seen)
            + len(self.restores)
        )


def head_seq(ledger: Ledger) -> int:
    """The chain head's sequence number: the live view's cheap poll."""
    with ledger.read() as s:
        return int(s.get_one(models.LedgerHead, 1).seq)


def may_supervise(member: StaffMember) -> bool:
    """Whether this member may open the supervisor's view (a supervisor or an administrator)."""
    return member.active and member.role in SUPERVISING_ROLES


# What ends a member's web sessions issued before it: a sign-out there, and every account change.
SESSION_ENDS = (
    EventKind.WEB_SIGNED_OUT,
    EventKind.STAFF_PIN_RESET,
    EventKind.STAFF_PIN_SET,
    EventKind.STAFF_DEACTIVATED,
    EventKind.STAFF_ROLE_CHANGED,
    EventKind.STAFF_LOCKED,
)


def supervisor(
    ledger: Ledger, staff_id: int, now: datetime, issued_seq: int | None = None
) -> StaffMember | None:
    """The member behind a session cookie, re-read on every request (deactivated, demoted, locked out,
    owing a new PIN, or with an edited row since the sign-in → signed out).

    `issued_seq`: the chain head when the cookie was issued; a sign-out or an account change of this
    member recorded after it ends the session. It is on the chain, so it holds across restarts.
    """
    member = ledger.staff_by_id(staff_id, checked=True)
    if member is None or not may_supervise(member) or member.is_locked(now, ledger.lockout_minutes):
        return None
    if member.pin_change_due:
        return None
    if issued_seq is not None and sessions_ended_since(ledger, staff_id, issued_seq):
        return None
    return member


def sessions_ended_since(ledger: Ledger, staff_id: int, seq: int) -> bool:
    """Whether a sign-out or an account change of this member is on the chain after `seq`."""
    with ledger.read() as s:
        rows = s.execute(
            select(models.Event.kind, models.Event.actor_id, models.Event.payload).where(
                models.Event.kind.in_(SESSION_ENDS), models.Event.seq > seq
            )
        ).all()
    for kind, actor, payload in rows:
        if kind == EventKind.WEB_SIGNED_OUT and actor == staff_id:
            return True
        if json.loads(payload).get("staff") == staff_id:
            return True
    return False


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of an office calendar day (Asia/Tokyo)."""
    start = datetime.combine(day, time(0), tzinfo=OFFICE_TZ)
    return start, start + timedelta(days=1)


def _minutes(since: datetime | None, now: datetime) -> int | None:
    if since is None:
        return None
    return max(0, int((now - since).total_seconds() // 60))


def _payload(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class _Names:
    def __init__(self, staff: Iterable[models.Staff]) -> None:
        self.by_id = {int(r.id): str(r.name) for r in staff}

    def __call__(self, staff_id: object) -> str:
        return self.by_id.get(staff_id, "") if isinstance(staff_id, int) else ""


def _safes(s: Session, names: _Names, now: datetime, max_open_minutes: int) -> list[SafeLine]:
    latest = (
        select(models.SafeSession.kiosk, func.max(models.SafeSession.id).label("id"))
        .group_by(models.SafeSession.kiosk)
        .subquery()
    )
    rows = s.scalars(
        select(models.SafeSession)
        .join(latest, models.SafeSession.id == latest.c.id)
        .order_by(models.SafeSession.kiosk)
    ).all()
    joined: dict[int, list[str]] = {}
    open_ids = [r.id for r in rows if r.closed_at is None]
    if open_ids:
        for sid, actor, payload in s.execute(
            select(models.Event.session_id, models.Event.actor_id, models.Event.payload)
            .where(models.Event.kind == EventKind.SESSION_JOINED, models.Event.session_id.in_(open_ids))
            .order_by(models.Event.seq)
        ):
            if sid is not None:
                joined.setdefault(sid, []).append(names(_payload(payload).get("staff", actor)))
    lines = []
    for r in rows:
        is_open = r.closed_at is None
        lines.append(
            SafeLine(
                kiosk=r.kiosk,
                session_id=r.id,
                is_open=is_open,
                opened_at=r.opened_at,
                operator=names(r.operator_id),
                witness=names(r.witness_id),
                joined=tuple(joined.get(r.id, ())),
                closed_at=r.closed_at,
                open_minutes=_minutes(r.opened_at, now) if is_open else None,
                overdue=is_open and is_overdue(r.opened_at, now, max_open_minutes),
            )
        )
    return lines


def _cards_out(s: Session, names: _Names, now: datetime, kiosks: dict[int, str]) -> list[OutLine]:
    out_ids = list(
        s.scalars(
            select(models.Card.management_id)
            .where(models.Card.status == CardStatus.OUT.value)
            .order_by(models.Card.management_id)
        )
    )
    if not out_ids:
        return []
    last_take = (
        select(func.max(models.Event.seq))
        .where(models.Event.kind == EventKind.CARD_TAKEN_OUT, models.Event.card_id.in_(out_ids))
        .group_by(models.Event.card_id)
    )
    takes = {e.card_id: e for e in s.scalars(select(models.Event).where(models.Event.seq.in_(last_take)))}
    lines = []
    for mid in out_ids:
        ev = takes.get(mid)
        sid = ev.session_id if ev is not None else None
        data = _payload(ev.payload) if ev is not None else {}
        lines.append(
            OutLine(
                management_id=mid,
                taken_by=names(ev.actor_id) if ev is not None else "",
                taken_at=ev.at if ev is not None else None,
                minutes_out=_minutes(ev.at, now) if ev is not None else None,
                kiosk=kiosks.get(sid, ev.device or "") if ev is not None and sid is not None else "",
                session_id=sid,
                override_reason=str(data.get("reason", "")) if "override_by" in data else None,
            )
        )
    # Longest out first: that is the one to chase.
    lines.sort(key=lambda line: -(line.minutes_out or 0))
    return lines


def _day_events(s: Session, start: datetime, end: datetime, kinds: Iterable[str]) -> list[models.Event]:
    return list(
        s.scalars(
            select(models.Event)
            .where(models.Event.at >= start, models.Event.at < end, models.Event.kind.in_(list(kinds)))
            .order_by(models.Event.seq)
        )
    )


def _devices(s: Session) -> tuple[bool, list[DeviceLine]]:
    kinds = (*DEVICE_DOWN_KINDS, *DEVICE_UP_KINDS)
    last = (
        select(func.max(models.Event.seq))
        .where(models.Event.kind.in_(kinds))
        .group_by(models.Event.source, models.Event.device)
    )
    rows = list(s.scalars(select(models.Event).where(models.Event.seq.in_(last))))
    down = [
        DeviceLine(
            kiosk=r.device or "", device=str(_payload(r.payload).get("device", r.source or "")), since=r.at
        )
        for r in rows
        if r.kind in DEVICE_DOWN_KINDS
    ]
    return bool(rows), sorted(down, key=lambda d: (d.kiosk, d.device))


def _incidents(s: Session) -> list[IncidentLine]:
    opened = list(
        s.scalars(select(models.Event).where(models.Event.kind == INCIDENT_OPENED).order_by(models.Event.seq))
    )
    if not opened:
        return []
    cards = [e.card_id for e in opened if e.card_id]
    status = dict(
        s.execute(
            select(models.Card.management_id, models.Card.status).where(models.Card.management_id.in_(cards))
        ).all()
    )
    acknowledged = acknowledged_incidents(s)
    lines = []
    for e in opened:
        # A missing-card incident stays open while the card is still recorded missing.
        if e.card_id and status.get(e.card_id) != CardStatus.MISSING.value:
            continue
        # A forced door's incident stays open until a supervisor acknowledges it.
        if e.seq in acknowledged:
            continue
        data = _payload(e.payload)
        lines.append(
            IncidentLine(e.seq, e.at, e.card_id, str(data.get("type", "")), str(data.get("note", "")))
        )
    return lines


def _integrity(s: Session, alerts: Iterable[models.Event] = ()) -> Integrity:
    head = s.get_one(models.LedgerHead, 1)
    head_at = s.scalar(select(models.Event.at).where(models.Event.seq == head.seq))
    check = s.scalars(
        select(models.Event)
        .where(models.Event.kind.in_((EventKind.LEDGER_VERIFIED, "anchor_checked", "anchor_recorded")))
        .order_by(models.Event.seq.desc())
        .limit(1)
    ).first()
    ok = None
    if check is not None:
        value = _payload(check.payload).get("ok")
        ok = bool(value) if value is not None else None
    return Integrity(
        head_seq=int(head.seq),
        head_hash=head.hash,
        head_at=head_at,
        last_check=check.kind if check is not None else None,
        last_check_at=check.at if check is not None else None,
        last_check_ok=ok,
        alerts=tuple(
            (e.seq, e.at, str(data.get("table", "")), int(data.get("row", 0)))
            for e in alerts
            for data in (_payload(e.payload),)
        ),
    )


def overview(
    ledger: Ledger,
    *,
    now: datetime,
    max_open_minutes: int,
    stocktake_every_days: int,
    policy: RetentionPolicy,
    due: DueBoard | None = None,
) -> Overview:
    """The whole supervisor's page at `now` (the caller's clock, so tests can move it).

    `due`: a board kept for this ledger and `policy` between renders (the live view's); without it
    the work lists are built from every waiting card."""
    day = office_date(now)
    start, end = day_bounds(day)
    with ledger.read() as s:
        staff = list(s.scalars(select(models.Staff).order_by(models.Staff.id)))  # names and lock-outs
        names = _Names(staff)
        kiosks = dict(s.execute(select(models.SafeSession.id, models.SafeSession.kiosk)).all())
        safes = _safes(s, names, now, max_open_minutes)
        out = _cards_out(s, names, now, kiosks)
        # Today's counts, the failed sign-ins among them; then today's events the page lists, in one
        # read (each statement is a round trip on PostgreSQL, and the live view renders on every move).
        by_kind = dict(
            s.execute(
                select(models.Event.kind, func.count())
                .where(
                    models.Event.at >= start,
                    models.Event.at < end,
                    models.Event.kind.in_((*DAY_KINDS, EventKind.AUTH_FAILED)),
                )
                .group_by(models.Event.kind)
            ).all()
        )
        listed: dict[str, list[models.Event]] = {kind: [] for kind in TODAY_LISTED}
        for e in _day_events(s, start, end, TODAY_LISTED):
            listed[e.kind].append(e)
        in_safe = int(
            s.scalar(
                select(func.count())
                .select_from(models.Card)
                .where(models.Card.status == CardStatus.IN_SAFE.value)
            )
            or 0
        )
        overrides = []
        for e in listed[EventKind.CARD_TAKEN_OUT]:
            data = _payload(e.payload)
            if "override_by" in data:
                overrides.append(
                    OverrideLine(
                        e.seq,
                        e.at,
                        e.card_id,
                        names(e.actor_id),
                        names(data["override_by"]),
                        str(data.get("reason", "")),
                        str(data.get("note") or ""),
                    )
                )
        seen = [
            SeenLine(
                e.seq,
                e.at,
                e.card_id,
                names(e.actor_id),
                kiosks.get(e.session_id, e.device or "") if e.session_id is not None else e.device or "",
                str(_payload(e.payload).get("attempted", "")),
            )
            for e in listed[EventKind.HANDED_OVER_CARD_SEEN]
        ]
        reasons: Counter[str] = Counter()
        for e in listed[EventKind.REFUSED]:
            reasons[str(_payload(e.payload).get("reason", "unknown"))] += 1
        failed = int(by_kind.get(EventKind.AUTH_FAILED, 0))
        lock_events = listed[EventKind.STAFF_LOCKED]
        last_lock = {
            int(staff): at
            for staff, at in s.execute(
                select(models.Event.actor_id, func.max(models.Event.at))
                .where(models.Event.kind == EventKind.STAFF_LOCKED)
                .group_by(models.Event.actor_id)
            )
            if staff is not None
        }
        locked = [
            LockLine(m.name, m.role, m.locked_at or last_lock.get(m.id))
            for m in (to_staff(r) for r in staff)
            if m.active and m.is_locked(now, ledger.lockout_minutes)
        ]
        recorded, offline = _devices(s)
        open_stocktakes = list(
            s.scalars(
                select(models.Stocktake)
                .where(models.Stocktake.status == STOCKTAKE_OPEN)
                .order_by(models.Stocktake.kiosk)
            )
        )
        missing = tuple(
            s.scalars(
                select(models.Card.management_id)
                .where(models.Card.status == CardStatus.MISSING.value)
                .order_by(models.Card.management_id)
            )
        )
        incidents = _incidents(s)
        integrity = _integrity(s, listed[EventKind.INTEGRITY_ALERT])
        door_lines = doors(s)
        device_lines = device_states(s)
        restores = tuple(unacknowledged_restores(s))
    stocktakes = tuple(
        StocktakeLine(row.id, row.kiosk, row.started_at, progress(ledger, row.id)) for row in open_stocktakes
    )
    return Overview(
        now=now,
        day=day,
        max_open_minutes=max_open_minutes,
        safes=tuple(safes),
        out=tuple(out),
        day_counts=tuple((kind, int(by_kind.get(kind, 0))) for kind in DAY_KINDS),
        in_safe=in_safe,
        overrides=tuple(overrides),
        refusals=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        mynumber_attempts=reasons.get(REASON_MYNUMBER, 0),
        failed_sign_ins=failed,
        locked=tuple(locked),
        lockouts_today=len(lock_events),
        devices_recorded=recorded,
        devices_offline=tuple(offline),
        stocktake_due=stocktake_due(ledger, day, every_days=stocktake_every_days),
        stocktakes=stocktakes,
        missing=missing,
        incidents=tuple(incidents),
        due=(
            due.summary(day)
            if due is not None and due.policy == policy
            else summarise(due_lists(ledger, policy, day))
        ),
        integrity=integrity,
        restores=restores,
        doors=tuple(door_lines),
        devices=tuple(device_lines),
        handed_over_seen=tuple(seen),
    )
