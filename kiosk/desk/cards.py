"""Intake, retention records, holds and disposal: the card's life outside the counter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kiosk.desk import imports
from kiosk.desk.base import DeskBase
from kiosk.domain.authz import Act, NotAllowed
from kiosk.domain.card_state import CardState, office_date
from kiosk.domain.delivery import DeliveryCount, DeliveryLine, count_delivery
from kiosk.domain.disposal import DisposalBatch, DisposalError
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.retention import DatedId, DueLists, RetentionPolicy
from kiosk.domain.staff import StaffMember
from kiosk.domain.status import CardKind
from kiosk.domain.verdicts import Verdict, VerdictCode
from kiosk.ledger import retention_ops as ret
from kiosk.ledger.intake import bind_rfid_many, receive_batch, receive_counted
from kiosk.ledger.service import HistoryEntry


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery received at the safe: the cards received, the count, and the discrepancy's record."""

    batch: str
    cards: tuple[CardState, ...]
    count: DeliveryCount
    discrepancy_seq: int | None


class CardsDesk(DeskBase):
    """Commands and queries on cards."""

    @property
    def policy(self) -> RetentionPolicy:
        return RetentionPolicy.from_settings(self.settings.retention)

    # -- intake (受領) ----------------------------------------------------------------------------

    def receive(
        self,
        batch: str,
        lines: Sequence[DeliveryLine],
        operator: StaffMember,
        witness: StaffMember,
        *,
        location: str = "safe",
        store: bool = True,
    ) -> list[CardState]:
        """Receive a checked delivery: an officer and a witness; all or nothing."""
        batch = self.text(batch, "batch", attempted=Act.RECEIVE.value, actor=operator, name=True)
        location = self.text(location, "location", attempted=Act.RECEIVE.value, actor=operator, name=True)
        with self.act(Act.RECEIVE, operator, witness) as u:
            return receive_batch(
                u, batch, lines, actor_id=operator.id, witness_id=witness.id, location=location, store=store
            )

    def delivery_files(self) -> list[imports.DeliveryFile]:
        """The CSV files offered for a delivery: the configured import folders and USB sticks."""
        return imports.delivery_files(self.settings)

    def read_delivery(self, path: Path) -> list[DeliveryLine]:
        """The checked lines of an offered delivery file (`DeliveryRejected` names every bad line)."""
        return imports.read_delivery_file(self.settings, path)

    def receive_delivery(
        self,
        batch: str,
        lines: Sequence[DeliveryLine],
        scans: Sequence[str],
        slip: int,
        operator: StaffMember,
        witness: StaffMember,
        *,
        location: str = "safe",
    ) -> Receipt:
        """Receive a delivery counted in at the safe (受領): an officer and a witness confirm the counts.

        `scans` are the IDs scanned as the cards went into the safe (repeats included), `slip` the count
        on the delivery slip. The listed cards that were scanned are received; every difference (slip vs
        list, missing, extra, scanned twice) is recorded with them as a `delivery_discrepancy`.
        """
        batch = self.text(batch, "batch", attempted=Act.RECEIVE.value, actor=operator, name=True)
        location = self.text(location, "location", attempted=Act.RECEIVE.value, actor=operator, name=True)
        if slip < 0:
            raise ValueError("the slip's count is 0 or more")
        count = count_delivery(list(lines), list(scans), slip)
        with self.act(Act.RECEIVE, operator, witness) as u:
            states, seq = receive_counted(
                u, batch, lines, count, actor_id=operator.id, witness_id=witness.id, location=location
            )
        return Receipt(batch, tuple(states), count, seq)

    def receive_returned(
        self, management_id: str, operator: StaffMember, witness: StaffMember, *, location: str = "safe"
    ) -> CardState:
        """A returned notification card (返納された通知カード) arriving by post, received on its own."""
        mid = ManagementId.parse(management_id)
        batch = f"返送-{office_date(self.ledger.clock()).isoformat()}"
        line = DeliveryLine(1, mid, CardKind.NOTIFICATION_CARD)
        return self.receive(batch, [line], operator, witness, location=location)[0]

    def bind_rfid(
        self, pairs: Sequence[tuple[str, str]], operator: StaffMember, witness: StaffMember
    ) -> list[CardState]:
        with self.act(Act.BIND_RFID, operator, witness) as u:
            return bind_rfid_many(u, pairs, actor_id=operator.id)

    # -- retention --------------------------------------------------------------------------------

    def record_sent(
        self, which: str, entries: Sequence[DatedId], actor: StaffMember, *, source: str | None = None
    ) -> list[CardState]:
        with self.act(Act.RETENTION_RECORD, actor) as u:
            return ret.record_sent(u, which, entries, actor_id=actor.id, source=source)

    def hold(self, management_id: str, reason: str, actor: StaffMember) -> CardState:
        reason = self.text(reason, "reason", attempted=Act.HOLD.value, actor=actor)
        with self.act(Act.HOLD, actor) as u:
            return ret.set_hold(u, management_id, reason, actor_id=actor.id)

    def release(self, management_id: str, actor: StaffMember) -> CardState:
        with self.act(Act.HOLD, actor) as u:
            return ret.release_hold(u, management_id, actor_id=actor.id)

    # -- disposal (交付取りやめ・廃棄) -------------------------------------------------------------

    def disposal_prepare(self, actor: StaffMember, ids: Sequence[str] | None = None) -> DisposalBatch:
        policy = self.policy
        if ids is None:
            ids = [c.management_id for c in self.due_lists().eligible]
        with self.act(Act.DISPOSAL_PREPARE, actor) as u:
            outcome = ret.prepare_disposal(u, policy, actor, ids)
        if isinstance(outcome, DisposalError):
            raise outcome  # the refusals are on record; the list is not
        return outcome

    def disposal_approve(self, batch_id: int, supervisor: StaffMember) -> DisposalBatch:
        """A supervisor other than the preparer approves; a refusal (the preparer, a wrong state) is
        recorded by its reason code and raised as `DisposalError`."""
        try:
            with self.act(Act.DISPOSAL_APPROVE, supervisor) as u:
                return ret.approve_disposal(u, batch_id, supervisor)
        except DisposalError as exc:
            self.record_refusal(exc.reason, attempted=Act.DISPOSAL_APPROVE.value, actor=supervisor)
            raise

    def disposal_scan(
        self,
        batch_id: int,
        text: str,
        operator: StaffMember,
        witness: StaffMember,
        *,
        session_id: int | None,
        device: str | None = None,
        source: str | None = None,
    ) -> Verdict:
        """Scan a card out of the safe into an approved batch: inside an open session, two people."""
        # Without an open session the table refuses (no_session) after checking the two people.
        policy = self.policy
        try:
            mid = ManagementId.parse(text).value
        except Refusal as exc:
            seq = self.record_refusal(exc.reason, attempted="disposal_scan", actor=operator, source=source)
            return Verdict(False, VerdictCode.REFUSED_INPUT, exc.detail, None, seq, detail=exc.reason)
        try:
            with self.act(Act.DISPOSAL_SCAN, operator, witness, session_id=session_id) as u:
                return ret.scan_into_disposal(
                    u,
                    policy,
                    batch_id,
                    mid,
                    operator,
                    witness,
                    session_id=session_id,
                    device=device,
                    source=source,
                )
        except NotAllowed as exc:
            return Verdict(False, VerdictCode.NOT_ALLOWED, str(exc), None, exc.seq, detail=exc.reason)

    def disposal_finish(
        self, batch_id: int, operator: StaffMember, witness: StaffMember, method: str
    ) -> DisposalBatch:
        method = self.text(method, "method", attempted=Act.DISPOSAL_FINISH.value, actor=operator)
        with self.act(Act.DISPOSAL_FINISH, operator, witness) as u:
            return ret.finish_disposal(u, batch_id, operator, witness, method)

    # -- queries ----------------------------------------------------------------------------------

    def card(self, management_id: str) -> CardState | None:
        return self.read(lambda: self.ledger.card(management_id))

    def history(self, management_id: str) -> list[HistoryEntry]:
        return self.read(lambda: self.ledger.history(management_id))

    def due_lists(self, day: date | None = None, *, policy: RetentionPolicy | None = None) -> DueLists:
        """What is due on `day` under `policy` (the configured policy unless another is given)."""
        policy = policy or self.policy
        return self.read(lambda: ret.due_lists(self.ledger, policy, day))

    def disposal_batch(self, batch_id: int) -> DisposalBatch | None:
        return self.read(lambda: ret.get_batch(self.ledger, batch_id))

    def disposal_batches(self) -> list[DisposalBatch]:
        return self.read(lambda: ret.list_batches(self.ledger))
