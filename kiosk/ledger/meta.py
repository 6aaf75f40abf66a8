"""The ledger's identity and the pepper's check value (`ledger_meta`), both also on the chain.

`kiosk init` writes a random ledger id and the pepper's check value (an HMAC of a fixed text, never the
pepper) into `ledger_meta` and appends `ledger_created` with the same two values, so that a missing or
replaced pepper is detected when the ledger is opened, and `kiosk verify` can rebuild `ledger_meta`
from the chain like every other table. A ledger made before this existed gets them on its first open
(`ledger_identified`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import select

from kiosk.domain.events import EventKind, LedgerIdentity, StaffSealed
from kiosk.domain.staff import ROW_MAC_VERSION, pin_mac, row_mac
from kiosk.ledger import models
from kiosk.ledger.anchors import WHAT_TO_DO, IntegrityRefused

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kiosk.ledger.service import Ledger

LEDGER_ID = "ledger_id"
PEPPER_CHECK = "pepper_check"
EV_CREATED = EventKind.LEDGER_CREATED  # {ledger, pepper_check}: `kiosk init`
EV_IDENTIFIED = EventKind.LEDGER_IDENTIFIED  # {ledger, pepper_check}: an older ledger's first open
# `kiosk restore`: {restored_head_seq, restored_head_hash, source, behind_anchor_seq, behind_anchor_hash}
EV_RESTORED = EventKind.LEDGER_RESTORED
META_EVENTS = frozenset({EV_CREATED, EV_IDENTIFIED})


def pepper_check(pepper: bytes) -> str:
    """The value stored to recognise the pepper (an HMAC of a fixed text; it does not reveal it)."""
    return hmac.new(pepper, b"kiosk-pepper-check", hashlib.sha256).hexdigest()


def seal(pepper: bytes, row: models.Staff) -> None:
    """Put a staff row the core just changed under its MAC (call after every change of the row)."""
    row.row_mac = row_mac(pepper, row)


def staff_sealed(ledger: Ledger) -> bool:
    """Whether the chain says the staff rows carry the row MAC (`staff_sealed`, or a ledger made so)."""
    if getattr(ledger, "_staff_sealed", False):
        return True
    with ledger.read() as s:
        found = chain_sealed(s)
    if found:
        ledger._staff_sealed = True  # type: ignore[attr-defined]
    return found


def chain_sealed(session: Session) -> bool:
    """`staff_sealed` as this session's transaction sees the chain."""
    found = session.scalar(
        select(models.Event.seq)
        .where(
            (models.Event.kind == EventKind.STAFF_SEALED)
            | (models.Event.kind.in_(META_EVENTS) & models.Event.payload.like('%"staff_mac"%'))
        )
        .limit(1)
    )
    return found is not None


def seal_staff(ledger: Ledger) -> int:
    """Seal an older ledger's staff rows (on open): each row's MAC written once, on the chain.

    The rows are sealed as they stand (`kiosk verify` compares them with the events); from this event on,
    a row without its MAC is refused like a row with a wrong one. Returns how many rows were sealed.
    """
    if staff_sealed(ledger):
        return 0
    with ledger.unit() as u:
        rows = list(u.session.scalars(select(models.Staff).order_by(models.Staff.id)))
        for row in rows:
            seal(ledger.pepper, row)
        u.append(
            EventKind.STAFF_SEALED,
            device=ledger.kiosk,
            payload=StaffSealed(ROW_MAC_VERSION, len(rows)),
        )
    ledger._staff_sealed = True  # type: ignore[attr-defined]
    return len(rows)


def read_meta(session: Session) -> dict[str, str]:
    rows = session.execute(select(models.LedgerMeta.key, models.LedgerMeta.value)).all()
    return {str(key): str(value) for key, value in rows}


def ledger_id(ledger: Ledger) -> str:
    """This ledger's id (raises IntegrityRefused when `kiosk init` never ran on it)."""
    cached = getattr(ledger, "_ledger_id", None)
    if isinstance(cached, str):
        return cached
    with ledger.read() as s:
        value = read_meta(s).get(LEDGER_ID)
    if value is None:
        raise IntegrityRefused("this ledger has no identity: run `kiosk init` (as the database owner)")
    ledger._ledger_id = value  # type: ignore[attr-defined]
    return value


def initialise(ledger: Ledger, *, kind: str = EV_CREATED) -> str:
    """Give the ledger its id and the pepper's check value (once), on the chain and in `ledger_meta`."""
    with ledger.unit() as u:
        meta = read_meta(u.session)
        if LEDGER_ID in meta:
            return meta[LEDGER_ID]
        new_id = secrets.token_hex(32)  # 64-hex, like every digest the My Number guard validates by format
        check = pepper_check(ledger.pepper)
        u.session.add_all(
            [models.LedgerMeta(key=LEDGER_ID, value=new_id), models.LedgerMeta(key=PEPPER_CHECK, value=check)]
        )
        if kind == EV_IDENTIFIED:
            # A ledger from before the PIN MAC: bind each member's current hash now (recorded below).
            for row in u.session.scalars(select(models.Staff).where(models.Staff.pin_mac.is_(None))):
                row.pin_mac = pin_mac(ledger.pepper, row.id, row.pin_hash)
        seal_from_start = kind == EV_CREATED
        # A new ledger's rows are sealed from the start (its first member comes after this event).
        payload = LedgerIdentity(new_id, check, ROW_MAC_VERSION if seal_from_start else None)
        u.append(kind, device=ledger.kiosk, payload=payload)
    if seal_from_start:
        ledger._staff_sealed = True  # type: ignore[attr-defined]
    return new_id


def check_identity(ledger: Ledger, pepper_source: str, *, adopt: bool = True) -> None:
    """On every open: the pepper is this ledger's, and `ledger_meta` was not emptied.

    A ledger from before `ledger_meta` existed is given its identity here (`ledger_identified`).
    """
    with ledger.read() as s:
        meta = read_meta(s)
        created = s.scalar(select(models.Event.seq).where(models.Event.kind.in_(META_EVENTS)).limit(1))
    if LEDGER_ID not in meta or PEPPER_CHECK not in meta:
        if created is not None:
            raise IntegrityRefused(
                f"the ledger's identity (ledger_meta) was removed although event {created} recorded it. "
                f"{WHAT_TO_DO}"
            )
        if not adopt:
            raise IntegrityRefused("this ledger has no identity (made before `kiosk init` recorded one)")
        initialise(ledger, kind=EV_IDENTIFIED)
        return
    if not hmac.compare_digest(meta[PEPPER_CHECK], pepper_check(ledger.pepper)):
        raise IntegrityRefused(
            f"the pepper ({pepper_source}) is not this ledger's pepper: it was replaced or regenerated. "
            "Restore the pepper file from its backup. Do not let staff sign in meanwhile: every PIN "
            "would count as wrong and lock them out."
        )
