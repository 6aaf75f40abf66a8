"""Restores of the ledger that a supervisor has not acknowledged yet (issue 22).

A `ledger_restored` event stays an alert — on the daily close's paper and the supervisor's page —
until a supervisor records `restore_acknowledged` naming it. Read here, served by the core
(`kiosk.desk.restores`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain.events import EventKind
from kiosk.ledger import models


@dataclass(frozen=True, slots=True)
class RestoreAlert:
    """One restore not yet acknowledged: who confirmed it and what it dropped."""

    seq: int
    at: datetime
    source: str
    restored_head_seq: int
    restored_head_hash: str
    officer: str | None  # the responsible officer who confirmed (None: nothing was dropped, or older)
    supervisor: str | None
    dropped_first_seq: int | None
    dropped_last_seq: int | None
    replaced_head_seq: int | None
    replaced_head_hash: str | None
    carried_staff_events: int
    confirmed_on: str | None

    @property
    def dropped(self) -> int:
        """How many events the restore dropped (0 when none, or not known for an older restore)."""
        if self.dropped_first_seq is None or self.dropped_last_seq is None:
            return 0
        return self.dropped_last_seq - self.dropped_first_seq + 1


def acknowledged(s: Session) -> set[int]:
    """The seqs of the restores a supervisor acknowledged."""
    rows = s.scalars(select(models.Event.payload).where(models.Event.kind == EventKind.RESTORE_ACKNOWLEDGED))
    return {int(json.loads(p)["restored_seq"]) for p in rows}


def unacknowledged(s: Session) -> list[RestoreAlert]:
    """Every `ledger_restored` no supervisor acknowledged, oldest first."""
    done = acknowledged(s)
    rows = [
        r
        for r in s.scalars(
            select(models.Event)
            .where(models.Event.kind == EventKind.LEDGER_RESTORED)
            .order_by(models.Event.seq)
        )
        if r.seq not in done
    ]
    ids = {i for r in rows for i in (r.actor_id, r.witness_id) if i is not None}
    names = (
        dict(s.execute(select(models.Staff.id, models.Staff.name).where(models.Staff.id.in_(ids))).all())
        if ids
        else {}
    )
    alerts = []
    for r in rows:
        data = json.loads(r.payload)
        alerts.append(
            RestoreAlert(
                seq=r.seq,
                at=r.at,
                source=str(data.get("source", "")),
                restored_head_seq=int(data.get("restored_head_seq", 0)),
                restored_head_hash=str(data.get("restored_head_hash", "")),
                officer=names.get(r.actor_id) if r.actor_id is not None else None,
                supervisor=names.get(r.witness_id) if r.witness_id is not None else None,
                dropped_first_seq=data.get("dropped_first_seq"),
                dropped_last_seq=data.get("dropped_last_seq"),
                replaced_head_seq=data.get("replaced_head_seq"),
                replaced_head_hash=data.get("replaced_head_hash"),
                carried_staff_events=int(data.get("carried_staff_events") or 0),
                confirmed_on=data.get("confirmed_on"),
            )
        )
    return alerts
