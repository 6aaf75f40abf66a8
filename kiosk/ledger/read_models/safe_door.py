"""The supervisor's view of each safe's door, lock and module, and of every device's last state.

Read models only (never a write): the door, lock and module of each kiosk are the fold of the core
(`kiosk.domain.safe_door.apply`) over that kiosk's safe events; every device and module is listed with
its last recorded online/offline event, so a device that came back shows when it did.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain.events import EventKind
from kiosk.domain.safe_door import SAFE_KINDS, SafeState, apply
from kiosk.ledger import models

# A device's state events: the scanners' (kiosk.desk.base.record_device) and the safe's module's.
DEVICE_KINDS = (
    EventKind.DEVICE_OFFLINE,
    EventKind.DEVICE_ONLINE,
    EventKind.SAFE_IO_OFFLINE,
    EventKind.SAFE_IO_ONLINE,
)
_ONLINE = frozenset({EventKind.DEVICE_ONLINE, EventKind.SAFE_IO_ONLINE})
_MODULE = frozenset({EventKind.SAFE_IO_OFFLINE, EventKind.SAFE_IO_ONLINE})


@dataclass(frozen=True, slots=True)
class DoorLine:
    """One kiosk's safe door, lock and module as last recorded, and its open forced-door alarms."""

    kiosk: str
    door: str | None  # "open" / "closed" / None (never read)
    door_at: datetime | None
    lock: str | None  # "engaged" / "released" / None
    module_online: bool | None
    module_at: datetime | None
    alarms: int  # forced-door alarms not yet acknowledged
    alarm_at: datetime | None
    manual: bool  # the manual (key) procedure approved during the outage in progress


@dataclass(frozen=True, slots=True)
class DeviceStateLine:
    """A device (scanner, camera, reader) or a safe's module, with its last recorded state."""

    kiosk: str
    device: str
    module: bool  # the safe's door/lock module
    online: bool
    at: datetime
    reason: str


def _payload(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def doors(s: Session) -> list[DoorLine]:
    """Each kiosk that has recorded its safe's door or module, by kiosk name."""
    e = models.Event
    rows = s.execute(
        select(e.seq, e.at, e.kind, e.payload, e.device)
        .where(models.Event.kind.in_([k.value for k in SAFE_KINDS]), models.Event.device.is_not(None))
        .order_by(models.Event.seq)
    ).all()
    states: dict[str, SafeState] = defaultdict(SafeState)
    module_at: dict[str, datetime] = {}
    watched: set[str] = set()
    for seq, at, kind, payload, device in rows:
        if kind == EventKind.INCIDENT_OPENED and "forced" not in payload:
            continue  # a stocktake's incident: not the door's
        kiosk = str(device)
        states[kiosk] = apply(states[kiosk], str(kind), _payload(payload), int(seq), at)
        if kind not in (EventKind.INCIDENT_OPENED, EventKind.SESSION_OPENED):
            watched.add(kiosk)
        if kind in _MODULE:
            module_at[kiosk] = at
    lines = []
    for kiosk in sorted(watched):
        st = states[kiosk]
        lines.append(
            DoorLine(
                kiosk=kiosk,
                door=st.door.value if st.door is not None else None,
                door_at=st.door_at,
                lock=st.lock.value if st.lock is not None else None,
                module_online=st.online,
                module_at=module_at.get(kiosk),
                alarms=len(st.alarms),
                alarm_at=st.alarm.at if st.alarm is not None else None,
                manual=st.manual is not None,
            )
        )
    return lines


def device_states(s: Session) -> list[DeviceStateLine]:
    """Every device and module with its last online/offline event, by kiosk and name."""
    last = (
        select(func.max(models.Event.seq))
        .where(models.Event.kind.in_([k.value for k in DEVICE_KINDS]))
        .group_by(models.Event.device, models.Event.source, models.Event.kind.in_([k.value for k in _MODULE]))
    )
    rows = list(s.scalars(select(models.Event).where(models.Event.seq.in_(last))))
    lines = []
    for r in rows:
        data = _payload(r.payload)
        name = str(data.get("module") or data.get("device") or r.source or "")
        lines.append(
            DeviceStateLine(
                kiosk=r.device or "",
                device=name,
                module=r.kind in _MODULE,
                online=r.kind in _ONLINE,
                at=r.at,
                reason=str(data.get("reason", "")),
            )
        )
    return sorted(lines, key=lambda d: (d.kiosk, not d.module, d.device))


def acknowledged_incidents(s: Session) -> set[int]:
    """The incidents (forced doors) a supervisor acknowledged."""
    out = set()
    for text in s.scalars(
        select(models.Event.payload).where(models.Event.kind == EventKind.SAFE_ALARM_ACKNOWLEDGED)
    ):
        incident = _payload(text).get("incident")
        if isinstance(incident, int):
            out.add(incident)
    return out
