"""The core's 通知・督促 and 研修 commands: the applicant reference (set, corrected with a reason,
guarded), the sent-date check the screens share with the writer, and training records with the due list.
Each change is checked on the chain and by `verify` (the staff table's `trained_on` is a fold)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from kiosk.desk import Desk, NotAllowed
from kiosk.domain.events import EventKind
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.notices import ApplicantRefError, Letter, NoticeError, SentProblem
from kiosk.domain.retention import DatedId
from kiosk.domain.training import TrainingDueReason
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.conftest import Crew, FakeClock
from tests.ledger.helpers import ids, receive

CARDS = ids(3)


def events_of(ledger: Ledger, kind: EventKind) -> list[dict[str, object]]:
    """The events of `kind` as dicts, the payload decoded."""
    return [
        {"seq": e.seq, "actor_id": e.actor_id, "witness_id": e.witness_id, "payload": json.loads(e.payload)}
        for e in ledger.events()
        if e.kind == kind
    ]


def test_an_applicant_reference_is_set_then_corrected_with_a_reason(
    ledger: Ledger, desk: Desk, crew: Crew
) -> None:
    receive(ledger, CARDS)
    card = desk.set_applicant(CARDS[0], "R8-00123", crew.clerk)
    assert card.applicant_ref == "R8-00123"
    first = events_of(ledger, EventKind.CARD_APPLICANT_SET)[-1]
    # A second value is a correction: refused without a reason, recorded as one with it.
    with pytest.raises(NoticeError) as refused:
        desk.set_applicant(CARDS[0], "R8-00124", crew.clerk)
    assert refused.value.reason == "needs_reason"
    card = desk.set_applicant(CARDS[0], "R8-00124", crew.clerk, correction_reason="記入誤り")
    assert card.applicant_ref == "R8-00124"
    fix = events_of(ledger, EventKind.CARD_APPLICANT_SET)[-1]
    assert fix["payload"] == {"ref": "R8-00124", "corrects": first["seq"], "reason": "記入誤り"}
    assert verify(ledger).ok


def test_an_applicant_reference_is_guarded(ledger: Ledger, desk: Desk, crew: Crew) -> None:
    receive(ledger, CARDS)
    head = ledger.head()[0]
    with pytest.raises(Refusal) as guard:
        desk.set_applicant(CARDS[1], "1234-5678-9012", crew.clerk)  # separators do not hide it
    assert guard.value.reason == "mynumber_refused"
    refusal = ledger.events()[-1]
    assert refusal.kind == EventKind.REFUSED
    assert "5678" not in refusal.payload
    for bad, reason in (
        ("R8 001", "charset"),
        ("申請123", "charset"),
        ("A" * 33, "too_long"),
        (" ", "empty"),
    ):
        with pytest.raises(ApplicantRefError) as exc:
            desk.set_applicant(CARDS[1], bad, crew.clerk)
        assert exc.value.reason == reason
    assert desk.card(CARDS[1]).applicant_ref is None  # type: ignore[union-attr]
    assert ledger.head()[0] == head + 1  # only the guard's refusal


def test_the_sent_check_names_each_problem(ledger: Ledger, desk: Desk, crew: Crew) -> None:
    receive(ledger, CARDS)
    today = desk.today()
    desk.record_sent("notice", [DatedId(1, ManagementId.parse(CARDS[0]), today)], crew.clerk)
    unknown = ids(1, start=900)[0]
    problems = desk.sent_problems(Letter.REMINDER, [CARDS[0], CARDS[1], unknown], today)
    assert problems == {CARDS[1]: SentProblem.NO_NOTICE, unknown: SentProblem.UNKNOWN}
    early = desk.sent_problems(Letter.REMINDER, [CARDS[0]], today - timedelta(days=1))
    assert early == {CARDS[0]: SentProblem.BEFORE_NOTICE}
    assert desk.sent_problems(Letter.NOTICE, [CARDS[1]], today + timedelta(days=1)) == {
        CARDS[1]: SentProblem.FUTURE
    }


def test_training_records_and_who_is_due(ledger: Ledger, desk: Desk, crew: Crew, clock: FakeClock) -> None:
    today = desk.today()
    due = {d.record.member.badge: d.reason for d in desk.training_due()}
    # Nobody has been trained: every active member is due for the arrival training.
    assert due["C001"] is TrainingDueReason.ARRIVAL
    assert len(due) == 6
    desk.record_training(crew.admin, crew.officer, "C001", on=today, kind="着任時研修", trainer="研修 講師")
    rec = events_of(ledger, EventKind.STAFF_TRAINED)[-1]
    assert rec["actor_id"] == crew.admin.id
    assert rec["witness_id"] == crew.officer.id
    assert rec["payload"] == {
        "staff": crew.clerk.id,
        "on": today.isoformat(),
        "kind": "着任時研修",
        "trainer": "研修 講師",
    }
    roster = {r.member.badge: r for r in desk.staff_roster()}
    assert roster["C001"].trained_on == today
    assert roster["C001"].training_kind == "着任時研修"
    assert "C001" not in {d.record.member.badge for d in desk.training_due()}
    # An older record does not move the last training back.
    desk.record_training(crew.admin, crew.officer, "C001", on=date(2025, 4, 1), kind="定期研修", trainer="X")
    assert {r.member.badge: r for r in desk.staff_roster()}["C001"].trained_on == today
    assert verify(ledger).ok
    # A year on, the training is due again (default [staff] training_every_days = 365).
    clock.advance(days=365)
    again = {d.record.member.badge: d for d in desk.training_due()}
    assert again["C001"].reason is TrainingDueReason.PERIODIC
    assert again["C001"].due_on == today + timedelta(days=365)


def test_training_needs_an_administrator_a_witness_and_a_configured_kind(
    ledger: Ledger, desk: Desk, crew: Crew
) -> None:
    today = desk.today()
    with pytest.raises(NotAllowed) as role:
        desk.record_training(crew.officer, crew.clerk, "C001", on=today, kind="定期研修", trainer="X")
    assert role.value.reason == "role"
    with pytest.raises(ValueError, match="configured kinds"):
        desk.record_training(crew.admin, crew.officer, "C001", on=today, kind="茶道", trainer="X")
    with pytest.raises(ValueError, match="future"):
        desk.record_training(
            crew.admin, crew.officer, "C001", on=today + timedelta(days=1), kind="定期研修", trainer="X"
        )
    assert not events_of(ledger, EventKind.STAFF_TRAINED)


def test_the_new_events_read_in_japanese_on_paper(ledger: Ledger, desk: Desk, crew: Crew) -> None:
    from kiosk.reports.terms import describe_event

    receive(ledger, CARDS)
    desk.set_applicant(CARDS[2], "R8-1", crew.clerk)
    desk.set_applicant(CARDS[2], "R8-2", crew.clerk, correction_reason="記入誤り")
    desk.record_training(crew.admin, crew.officer, "C001", on=desk.today(), kind="定期研修", trainer="山田")
    wanted = {EventKind.CARD_APPLICANT_SET, EventKind.STAFF_TRAINED}
    lines = [describe_event(e.payload, kind=e.kind) for e in ledger.events() if e.kind in wanted]
    assert lines[0] == "申請者参照: R8-1"
    assert lines[1].startswith("申請者参照: R8-2、訂正する記録の番号: ")
    assert lines[1].endswith("、理由: 記入誤り")
    assert "研修日: 2026-04-01" in lines[2]
    assert "講師: 山田" in lines[2]
    assert all("備考" not in line for line in lines)


def test_verify_names_a_trained_on_that_the_events_do_not_say(ledger: Ledger, desk: Desk, crew: Crew) -> None:
    from sqlalchemy import text

    desk.record_training(crew.admin, crew.officer, "C001", on=desk.today(), kind="定期研修", trainer="山田")
    assert verify(ledger).ok
    with ledger.engine.begin() as conn:
        conn.execute(text("UPDATE staff SET trained_on = '2020-01-01' WHERE badge = 'C002'"))
    report = verify(ledger)
    assert not report.ok
    assert report.disagreement is not None
    assert (report.disagreement.table, report.disagreement.field) == ("staff", "trained_on")
