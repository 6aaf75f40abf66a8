"""Disposal (交付取りやめ・廃棄): the batch as its events say, and the rules of each step, pure.

A batch is prepared from eligible cards, approved by a supervisor who did not prepare it, filled by two
people scanning each card out of the open safe, and finished by two people naming the method. Each rule
here takes the facts the ledger loaded (the batch, the people, each card's eligibility) and returns what
to record or a refusal value; none of them reads or writes storage. The ledger's recorders
(`kiosk/ledger/retention_ops.py`) load the facts, call the rule and record what it said.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from kiosk.domain.events import DisposalApproved, DisposalFinished, DisposalPrepared
from kiosk.domain.fiscal import CertificateNo
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.staff import Role, StaffMember, TwoPersonError, require_two_people


class DisposalError(ValueError):
    """A disposal step refused. `reason` is a stable code; `problems` name each refused card."""

    def __init__(self, reason: str, message: str, problems: Sequence[str] = ()) -> None:
        self.reason = reason
        self.problems = list(problems)
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class DisposalBatch:
    """A disposal batch (廃棄リスト) as its events say. `id` is the seq of `disposal_prepared`."""

    id: int
    prepared_at: datetime
    prepared_by: int | None
    cards: tuple[str, ...]
    approved_at: datetime | None = None
    approved_by: int | None = None
    scanned: tuple[str, ...] = ()
    finished_at: datetime | None = None
    operator_id: int | None = None
    witness_id: int | None = None
    method: str | None = None
    disposed: tuple[str, ...] = ()
    names: dict[int, str] = field(default_factory=dict)
    finished_seq: int | None = None
    # The 廃棄証明書's number (令和8年度 第12号): its place among the batches finished in that fiscal year.
    certificate: CertificateNo | None = None

    @property
    def state(self) -> str:
        if self.finished_at is not None:
            return "disposed"
        if self.approved_at is not None:
            return "approved"
        return "prepared"

    @property
    def not_scanned(self) -> tuple[str, ...]:
        done = set(self.scanned)
        return tuple(c for c in self.cards if c not in done)


# Why a card cannot be disposed today: (reason code, message), or None when it can. The ledger answers it
# from the card's row and hold spans and the policy (`RetentionPolicy.assess` / `ineligibility`).
Eligibility = Callable[[str], "tuple[str, str] | None"]


@dataclass(frozen=True, slots=True)
class PrepareRefused:
    """The whole list is refused: `problems` for people, `refused` (card or None, reason) to record."""

    problems: tuple[str, ...]
    refused: tuple[tuple[str | None, str], ...]

    def error(self) -> DisposalError:
        return DisposalError(
            "not_eligible", f"{len(self.problems)} card(s) cannot be disposed", self.problems
        )


def decide_prepare(
    texts: Sequence[str], preset: str, eligibility: Eligibility, in_open_batch: Mapping[str, int]
) -> DisposalPrepared | PrepareRefused | DisposalError:
    """A batch from the scanned or listed IDs. Any ineligible card refuses the whole list, each with its
    reason (a card already in an unfinished batch is ineligible); a repeated ID counts once."""
    if not texts:
        return DisposalError("nothing_eligible", "no card is eligible for cancellation and disposal today")
    problems: list[str] = []
    refused: list[tuple[str | None, str]] = []
    wanted: list[str] = []
    for text in texts:
        try:
            mid = ManagementId.parse(text).value
        except Refusal as exc:
            problems.append(str(exc))
            refused.append((None, exc.reason))
            continue
        if mid in wanted:
            continue
        why = eligibility(mid)
        if why is None and mid in in_open_batch:
            why = ("in_open_batch", f"already in disposal batch {in_open_batch[mid]}")
        if why is not None:
            problems.append(f"{mid}: {why[0]}: {why[1]}")
            refused.append((mid if why[0] != "unknown_id" else None, why[0]))
            continue
        wanted.append(mid)
    if problems:
        return PrepareRefused(tuple(problems), tuple(refused))
    return DisposalPrepared(tuple(wanted), preset)


def decide_approve(batch_id: int, batch: DisposalBatch | None, supervisor: StaffMember) -> DisposalApproved:
    """A supervisor (責任者) approves; never the person who prepared the batch. Raises DisposalError."""
    if supervisor.role is not Role.SUPERVISOR:
        raise DisposalError("need_supervisor", "only a supervisor (責任者) approves a disposal")
    if not supervisor.active or supervisor.locked:
        raise DisposalError("inactive", f"{supervisor.name} cannot approve (inactive or locked)")
    if batch is None:
        raise DisposalError("unknown_batch", f"there is no disposal batch {batch_id}")
    if batch.state != "prepared":
        raise DisposalError("wrong_state", f"disposal batch {batch_id} is already {batch.state}")
    if batch.prepared_by == supervisor.id:
        raise DisposalError("same_person", "the person who prepared a batch cannot approve it")
    return DisposalApproved(batch_id)


def refuse_disposal_scan(
    batch_id: int, batch: DisposalBatch | None, mid: str, *, safe_open: bool, eligibility: Eligibility
) -> tuple[str, str] | None:
    """Why this card may not be scanned into the batch now (code, message), or None: the safe must be
    open, the batch approved, the card on it and not yet scanned, and still eligible at this moment."""
    if not safe_open:
        return "no_session", "the safe is not open: open a safe session first"
    if batch is None:
        return "unknown_batch", f"there is no disposal batch {batch_id}"
    if batch.state != "approved":
        return "wrong_state", f"disposal batch {batch_id} is {batch.state}, not approved"
    if mid not in batch.cards:
        return "not_in_batch", f"{mid} is not on disposal batch {batch_id}"
    if mid in batch.scanned:
        return "already_scanned", f"{mid} is already in the batch"
    return eligibility(mid)


def decide_finish(
    batch_id: int, batch: DisposalBatch | None, operator: StaffMember, witness: StaffMember, method: str
) -> DisposalFinished:
    """Two people record the method; every scanned card becomes disposed, the others stay where they are
    and are named in the record. Raises DisposalError."""
    try:
        require_two_people(operator, witness)
    except TwoPersonError as exc:
        raise DisposalError(exc.reason, str(exc)) from None
    method = " ".join(method.split())
    if not method:
        raise DisposalError("no_method", "name the disposal method (e.g. 裁断)")
    if batch is None:
        raise DisposalError("unknown_batch", f"there is no disposal batch {batch_id}")
    if batch.state != "approved":
        raise DisposalError("wrong_state", f"disposal batch {batch_id} is {batch.state}, not approved")
    if not batch.scanned:
        raise DisposalError("nothing_scanned", "no card has been scanned into the batch")
    return DisposalFinished(batch_id, method, batch.scanned, batch.not_scanned)
