"""Staff administration: every change by an active administrator with a second person, on the chain."""

from __future__ import annotations

from datetime import date

from kiosk.desk.base import DeskBase
from kiosk.desk.errors import storage_errors
from kiosk.domain.authz import Act
from kiosk.domain.card_state import office_date
from kiosk.domain.staff import Role, StaffMember
from kiosk.domain.training import StaffRecord, TrainingDue, TrainingRecord, training_due
from kiosk.ledger import staff_ops


class TrainingKindRefused(ValueError):
    """A training kind that the configuration (`[staff] training_kinds`) does not name."""

    def __init__(self, kind: str, kinds: list[str]) -> None:
        self.kinds = kinds
        super().__init__(f"the training kind is not one of the configured kinds ({', '.join(kinds)})")


class StaffDesk(DeskBase):
    """Accounts (職員): add, deactivate, reactivate, role change, unlock, PIN reset, training (研修)."""

    def init_administrator(self, *, name: str, badge: str, employee_no: str, pin: str) -> StaffMember:
        """The first administrator of a new ledger (`kiosk init`); refused once the ledger has staff."""
        with storage_errors():
            if self.ledger.staff_count(active_only=False) > 0:
                raise ValueError("the ledger already has staff: the first administrator exists")
            return self.ledger.add_staff(
                name=name, badge=badge, employee_no=employee_no, role=Role.ADMIN, pin=pin, bootstrap=True
            )

    def add_staff(
        self,
        admin: StaffMember,
        witness: StaffMember | None,
        *,
        name: str,
        badge: str,
        employee_no: str,
        role: Role,
        rank: int | None,
        pin: str,
    ) -> StaffMember:
        """Add a member: an administrator and a second person.

        The one exception is the first member the first administrator adds while nobody else exists
        (there is nobody to witness yet); it is marked `bootstrap` on the chain.
        """
        # The one exception: while the first administrator is alone in the ledger, nobody can witness.
        # The administrator is still re-read inside the write, and the ledger refuses a bootstrap add
        # once a second member exists (checked in the same transaction).
        bootstrap = False
        if witness is None and admin.role is Role.ADMIN:
            with storage_errors():
                bootstrap = self.ledger.staff_count(active_only=False) == 1
        with self.act(Act.STAFF_ADD_FIRST if bootstrap else Act.STAFF_ADD, admin, witness) as u:
            return staff_ops.add_staff(
                u,
                self.ledger.pepper,
                name=name,
                badge=badge,
                employee_no=employee_no,
                role=role,
                rank=rank,
                pin=pin,
                actor_id=admin.id,
                witness_id=witness.id if witness else None,
                bootstrap=bootstrap,
            )

    def deactivate(self, admin: StaffMember, witness: StaffMember, badge: str) -> StaffMember:
        with self.act(Act.STAFF_DEACTIVATE, admin, witness) as u:
            return staff_ops.deactivate_staff(u, badge, self.ledger.pepper)

    def reactivate(self, admin: StaffMember, witness: StaffMember, badge: str) -> StaffMember:
        with self.act(Act.STAFF_REACTIVATE, admin, witness) as u:
            return staff_ops.reactivate_staff(u, badge, self.ledger.pepper)

    def set_role(
        self, admin: StaffMember, witness: StaffMember, badge: str, role: Role, rank: int | None
    ) -> StaffMember:
        with self.act(Act.STAFF_SET_ROLE, admin, witness) as u:
            return staff_ops.set_role(u, badge, role, rank, self.ledger.pepper)

    def unlock(self, admin: StaffMember, witness: StaffMember, badge: str) -> StaffMember:
        with self.act(Act.STAFF_UNLOCK, admin, witness) as u:
            return staff_ops.unlock_staff(u, badge, self.ledger.pepper)

    def reset_pin(self, admin: StaffMember, witness: StaffMember, badge: str, pin: str) -> StaffMember:
        with self.act(Act.STAFF_RESET_PIN, admin, witness) as u:
            return staff_ops.reset_pin(u, self.ledger.pepper, badge, pin)

    def change_pin(self, badge: str, pin: str, new_pin: str, *, device: str | None = None) -> StaffMember:
        """A member sets their own PIN with the current one (required after a reset: a one-time PIN).

        Raises `AuthError` when the badge or current PIN is wrong (counted like a sign-in), `ValueError`
        for a PIN that is not 4–12 digits or equals the current one.
        """
        with storage_errors():
            return self.ledger.change_pin(badge, pin, new_pin, device=device or self.kiosk)

    def staff_count(self, *, active_only: bool = True) -> int:
        """How many members of staff the ledger holds (active ones only unless asked)."""
        return self.read(lambda: self.ledger.staff_count(active_only=active_only))

    def staff(self, *, include_inactive: bool = True) -> list[StaffMember]:
        return self.read(lambda: self.ledger.list_staff(include_inactive=include_inactive))

    # -- training (研修) ----------------------------------------------------------------------

    def record_training(
        self,
        admin: StaffMember,
        witness: StaffMember,
        badge: str,
        *,
        on: date,
        kind: str,
        trainer: str,
    ) -> StaffMember:
        """Record a training (date, a configured kind, the trainer's name): an administrator and a witness."""
        attempted = Act.STAFF_TRAINING.value
        kind = self.text(kind, "training kind", attempted=attempted, actor=admin, name=True)
        kinds = list(self.settings.staff.training_kinds)
        if kind not in kinds:
            raise TrainingKindRefused(kind, kinds)
        trainer = self.text(trainer, "trainer", attempted=attempted, actor=admin, name=True)
        with self.act(Act.STAFF_TRAINING, admin, witness) as u:
            return staff_ops.record_training(u, self.ledger.pepper, badge, on=on, kind=kind, trainer=trainer)

    def staff_roster(self) -> list[StaffRecord]:
        """Every member with the last training and the day they joined (the 職員 list)."""
        return self.read(lambda: staff_ops.roster(self.ledger))

    def training_records(self, staff_id: int | None = None) -> list[TrainingRecord]:
        return self.read(lambda: staff_ops.training_records(self.ledger, staff_id))

    def training_due(self, day: date | None = None) -> list[TrainingDue]:
        """Who is due for training on `day` (today by default): `[staff] training_every_days`."""
        day = day or office_date(self.ledger.clock())
        return training_due(self.staff_roster(), day, self.settings.staff.training_every_days)
