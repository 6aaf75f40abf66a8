"""The ledger's recorders, reached the way the tests have always reached them: one call, one unit.

The ledger's write functions take a unit of work that the application core opens, authorised for its
act (`kiosk.desk`). Tests that set up a ledger, race two kiosks or attack the file call them directly,
with the ledger first, as before: each function here opens a plain unit (no authorisation, as a direct
ledger call never had) around the recorder. A scan in a session has no recorder of its own any more:
`scan_in_session` runs the core's load/decide/record (`kiosk.desk.safe.scan_in_unit`) in such a unit.
Reads are re-exported unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.desk.safe import scan_in_unit
from kiosk.domain.card_state import CardState
from kiosk.domain.disposal import DisposalBatch, DisposalError
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.retention import DatedId, RetentionPolicy
from kiosk.domain.safe_session import Override, ScanMode, check_open
from kiosk.domain.staff import StaffMember
from kiosk.domain.stocktake import WHOLE_SAFE, DecisionError, MissingDecision, StocktakeResult, StocktakeView
from kiosk.domain.verdicts import BatchVerdict, FinishOutcome, StocktakeVerdict, Verdict
from kiosk.ledger import intake, retention_ops, safe, staff_ops, stocktake_ops
from kiosk.ledger.read_models.stocktakes import *  # noqa: F403
from kiosk.ledger.read_models.stocktakes import SOURCE_BARCODE
from kiosk.ledger.retention_ops import *  # noqa: F403  (the reads, unchanged)
from kiosk.ledger.safe import *  # noqa: F403
from kiosk.ledger.safe import SessionView
from kiosk.ledger.service import Ledger
from kiosk.ledger.stocktake_ops import *  # noqa: F403

# -- the safe ----------------------------------------------------------------------------------------


def open_session(
    ledger: Ledger,
    operator: StaffMember,
    witness: StaffMember,
    *,
    required: Sequence[str],
    confirmed: Sequence[str],
) -> SessionView:
    check_open(operator, witness, required, confirmed)
    with ledger.unit() as u:
        return safe.open_session(u, operator, witness, confirmed)


def close_session(
    ledger: Ledger,
    session_id: int,
    operator: StaffMember,
    witness: StaffMember,
    *,
    required: Sequence[str],
    confirmed: Sequence[str],
) -> SessionView:
    with ledger.unit() as u:
        return safe.close_session(u, session_id, operator, witness, required=required, confirmed=confirmed)


def record_missing(
    ledger: Ledger,
    session_id: int | None,
    management_id: str,
    operator: StaffMember,
    witness: StaffMember,
    note: str,
) -> Verdict:
    with ledger.unit() as u:
        return safe.record_missing(u, session_id, management_id, operator, witness, note)


def join_session(ledger: Ledger, session_id: int, joiner: StaffMember, member: StaffMember) -> int:
    with ledger.unit() as u:
        return safe.join_session(u, session_id, joiner, member)


def add_to_pick_list(
    ledger: Ledger, ids: Iterable[str], actor: StaffMember, *, day: date | None = None
) -> tuple[list[str], list[str]]:
    with ledger.unit() as u:
        return safe.add_to_pick_list(u, ids, actor, day=day)


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
    """One scan in a session: the core's load/decide/record in a plain unit (no authorisation)."""
    try:
        mid = ManagementId.parse(text)
    except Refusal as exc:
        desk = Desk(ledger, Settings())
        return desk.refuse_input(exc, mode, actor, session_id=session_id, device=device, source=source)
    with ledger.unit() as u:
        return scan_in_unit(
            u, session_id, mid, mode, actor, witness=witness, override=override, device=device, source=source
        )


# -- staff -------------------------------------------------------------------------------------------


def deactivate_staff(ledger: Ledger, badge: str) -> StaffMember:
    with ledger.unit() as u:
        return staff_ops.deactivate_staff(u, badge, ledger.pepper)


# -- intake ------------------------------------------------------------------------------------------


def bind_rfid_many(
    ledger: Ledger, pairs: Sequence[tuple[str, str]], *, actor_id: int | None = None
) -> list[CardState]:
    with ledger.unit() as u:
        return intake.bind_rfid_many(u, pairs, actor_id=actor_id)


# -- stocktake ---------------------------------------------------------------------------------------


def start(ledger: Ledger, operator: StaffMember, witness: StaffMember) -> StocktakeView:
    with ledger.unit() as u:
        return stocktake_ops.start(u, operator, witness)


def record_scan(
    ledger: Ledger,
    stocktake_id: int,
    text_or_id: str,
    *,
    source: str = SOURCE_BARCODE,
    device: str | None = None,
    location: str | None = None,
) -> StocktakeVerdict:
    with ledger.unit() as u:
        return stocktake_ops.record_scan(
            u, stocktake_id, text_or_id, source=source, device=device, location=location
        )


def record_many(
    ledger: Ledger,
    stocktake_id: int,
    codes: Iterable[str] = (),
    *,
    tags: Iterable[str] = (),
    source: str,
    device: str | None = None,
    location: str | None = None,
) -> BatchVerdict:
    with ledger.unit() as u:
        return stocktake_ops.record_many(
            u, stocktake_id, codes, tags=tags, source=source, device=device, location=location
        )


def finish_outcome(
    ledger: Ledger,
    stocktake_id: int,
    decisions: Mapping[str, MissingDecision],
    operator: StaffMember,
    witness: StaffMember,
) -> FinishOutcome:
    with ledger.unit() as u:
        return stocktake_ops.finish(u, stocktake_id, decisions, operator, witness)


def finish(
    ledger: Ledger,
    stocktake_id: int,
    decisions: Mapping[str, MissingDecision],
    operator: StaffMember,
    witness: StaffMember,
) -> StocktakeResult:
    """The signed result of a finished stocktake; a test that expects "search again" uses `finish_outcome`."""
    outcome = finish_outcome(ledger, stocktake_id, decisions, operator, witness)
    if outcome.result is None:
        raise DecisionError("search_again", "cards to search for again", outcome.search_again)
    return outcome.result


def record_found(
    ledger: Ledger,
    management_id: str,
    operator: StaffMember,
    witness: StaffMember,
    *,
    note: str,
    location: str = WHOLE_SAFE,
) -> CardState:
    with ledger.unit() as u:
        return stocktake_ops.record_found(u, management_id, operator, witness, note=note, location=location)


def record_handover(
    ledger: Ledger, from_officer: StaffMember, to_officer: StaffMember, witness: StaffMember
) -> int:
    with ledger.unit() as u:
        return stocktake_ops.record_handover(u, from_officer, to_officer, witness)


# -- retention and disposal ----------------------------------------------------------------------------


def record_sent(
    ledger: Ledger,
    which: str,
    entries: Sequence[DatedId],
    *,
    actor_id: int | None = None,
    source: str | None = None,
) -> list[CardState]:
    with ledger.unit() as u:
        return retention_ops.record_sent(u, which, entries, actor_id=actor_id, source=source)


def set_hold(ledger: Ledger, management_id: str, reason: str, *, actor_id: int) -> CardState:
    with ledger.unit() as u:
        return retention_ops.set_hold(u, management_id, reason, actor_id=actor_id)


def release_hold(ledger: Ledger, management_id: str, *, actor_id: int) -> CardState:
    with ledger.unit() as u:
        return retention_ops.release_hold(u, management_id, actor_id=actor_id)


def prepare_disposal(
    ledger: Ledger,
    policy: RetentionPolicy,
    actor: StaffMember,
    management_ids: Sequence[str] | None = None,
) -> DisposalBatch:
    if management_ids is None:
        management_ids = [c.management_id for c in retention_ops.due_lists(ledger, policy).eligible]
    with ledger.unit() as u:
        outcome = retention_ops.prepare_disposal(u, policy, actor, management_ids)
    if isinstance(outcome, DisposalError):
        raise outcome
    return outcome


def approve_disposal(ledger: Ledger, batch_id: int, supervisor: StaffMember) -> DisposalBatch:
    with ledger.unit() as u:
        return retention_ops.approve_disposal(u, batch_id, supervisor)


def scan_into_disposal(
    ledger: Ledger,
    policy: RetentionPolicy,
    batch_id: int,
    text: str,
    operator: StaffMember,
    witness: StaffMember,
    *,
    session_id: int | None = None,
    device: str | None = None,
    source: str | None = None,
) -> Verdict:
    mid = ManagementId.parse(text).value
    with ledger.unit() as u:
        return retention_ops.scan_into_disposal(
            u, policy, batch_id, mid, operator, witness, session_id=session_id, device=device, source=source
        )


def finish_disposal(
    ledger: Ledger, batch_id: int, operator: StaffMember, witness: StaffMember, method: str
) -> DisposalBatch:
    with ledger.unit() as u:
        return retention_ops.finish_disposal(u, batch_id, operator, witness, method)
