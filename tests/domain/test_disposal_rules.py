"""The disposal rules (交付取りやめ・廃棄), table-driven, from the facts alone: no database, no core.

Each step takes the batch as its events say, the people and each card's eligibility, and returns what
to record or a refusal; `tests/retention/test_disposal.py` replays the same steps through the core.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from kiosk.domain.disposal import (
    DisposalBatch,
    DisposalError,
    Eligibility,
    PrepareRefused,
    decide_approve,
    decide_finish,
    decide_prepare,
    refuse_disposal_scan,
)
from kiosk.domain.events import DisposalApproved, DisposalFinished, DisposalPrepared
from kiosk.domain.management_id import ManagementId
from kiosk.domain.staff import Role, StaffMember

AT = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
A, B, C = (ManagementId.from_body(f"90000000{n}").value for n in (1, 2, 3))
CLERK = StaffMember(1, "窓口", "C1", Role.CLERK, None, True, employee_no="E1")
OFFICER = StaffMember(2, "正", "O1", Role.OFFICER, 0, True, employee_no="E2")
SUPERVISOR = StaffMember(3, "課長", "S1", Role.SUPERVISOR, None, True, employee_no="E3")
PREPARED = DisposalBatch(10, AT, CLERK.id, (A, B))
APPROVED = replace(PREPARED, approved_at=AT, approved_by=SUPERVISOR.id)
SCANNED = replace(APPROVED, scanned=(A,))
FINISHED = replace(SCANNED, finished_at=AT)


def eligible(*ineligible: str) -> Eligibility:
    def check(mid: str) -> tuple[str, str] | None:
        return ("held", "on hold") if mid in ineligible else None

    return check


def test_prepare_takes_each_eligible_card_once() -> None:
    decided = decide_prepare([A, B, A], "standard", eligible(), {})
    assert decided == DisposalPrepared((A, B), "standard")


@pytest.mark.parametrize(
    ("texts", "ineligible", "open_batches", "refused"),
    [
        ([A, B], (B,), {}, ((B, "held"),)),  # one ineligible card refuses the whole list
        ([A, B], (), {A: 4}, ((A, "in_open_batch"),)),  # already in an unfinished batch
        ([A, "not-an-id"], (), {}, ((None, "not_digits"),)),  # not a management ID: no card named
    ],
)
def test_prepare_refuses_the_whole_list(
    texts: list[str],
    ineligible: tuple[str, ...],
    open_batches: dict[str, int],
    refused: tuple[tuple[str | None, str], ...],
) -> None:
    decided = decide_prepare(texts, "standard", eligible(*ineligible), open_batches)
    assert isinstance(decided, PrepareRefused)
    assert decided.refused == refused
    assert decided.error().reason == "not_eligible"
    assert len(decided.error().problems) == len(refused)


def test_prepare_of_nothing_is_refused() -> None:
    decided = decide_prepare([], "standard", eligible(), {})
    assert isinstance(decided, DisposalError)
    assert decided.reason == "nothing_eligible"


@pytest.mark.parametrize(
    ("batch", "approver", "reason"),
    [
        (PREPARED, SUPERVISOR, None),
        (PREPARED, OFFICER, "need_supervisor"),
        (PREPARED, replace(SUPERVISOR, active=False), "inactive"),
        (PREPARED, replace(SUPERVISOR, failed_attempts=9), "inactive"),
        (None, SUPERVISOR, "unknown_batch"),
        (APPROVED, SUPERVISOR, "wrong_state"),
        (replace(PREPARED, prepared_by=SUPERVISOR.id), SUPERVISOR, "same_person"),
    ],
)
def test_approve(batch: DisposalBatch | None, approver: StaffMember, reason: str | None) -> None:
    if reason is None:
        assert decide_approve(10, batch, approver) == DisposalApproved(10)
        return
    with pytest.raises(DisposalError) as refused:
        decide_approve(10, batch, approver)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("batch", "mid", "safe_open", "ineligible", "reason"),
    [
        (APPROVED, A, True, (), None),
        (APPROVED, A, False, (), "no_session"),
        (None, A, True, (), "unknown_batch"),
        (PREPARED, A, True, (), "wrong_state"),
        (FINISHED, B, True, (), "wrong_state"),
        (APPROVED, C, True, (), "not_in_batch"),
        (SCANNED, A, True, (), "already_scanned"),
        (APPROVED, A, True, (A,), "held"),  # eligibility is checked again at the moment of the scan
    ],
)
def test_scan_into_batch(
    batch: DisposalBatch | None, mid: str, safe_open: bool, ineligible: tuple[str, ...], reason: str | None
) -> None:
    why = refuse_disposal_scan(10, batch, mid, safe_open=safe_open, eligibility=eligible(*ineligible))
    assert (why[0] if why else None) == reason


@pytest.mark.parametrize(
    ("batch", "operator", "witness", "method", "reason"),
    [
        (SCANNED, CLERK, OFFICER, " 裁断  ", None),
        (SCANNED, CLERK, CLERK, "裁断", "same_person"),
        (SCANNED, CLERK, replace(OFFICER, active=False), "裁断", "inactive"),
        (SCANNED, CLERK, OFFICER, "   ", "no_method"),
        (None, CLERK, OFFICER, "裁断", "unknown_batch"),
        (PREPARED, CLERK, OFFICER, "裁断", "wrong_state"),
        (APPROVED, CLERK, OFFICER, "裁断", "nothing_scanned"),
    ],
)
def test_finish(
    batch: DisposalBatch | None, operator: StaffMember, witness: StaffMember, method: str, reason: str | None
) -> None:
    if reason is None:
        # Scanned cards are disposed; the card never scanned stays where it is and is named.
        assert decide_finish(10, batch, operator, witness, method) == DisposalFinished(10, "裁断", (A,), (B,))
        return
    with pytest.raises(DisposalError) as refused:
        decide_finish(10, batch, operator, witness, method)
    assert refused.value.reason == reason
