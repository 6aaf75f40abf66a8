"""Restores as alerts: the query the daily close and the supervisor's page show, and the supervisor's
acknowledgement that ends the alert (issue 22)."""

from __future__ import annotations

from kiosk.desk.base import DeskBase
from kiosk.domain.authz import Act
from kiosk.domain.events import EventKind, RestoreAcknowledged
from kiosk.domain.staff import StaffMember
from kiosk.ledger.read_models import restores as rm
from kiosk.ledger.read_models.restores import RestoreAlert

__all__ = ["RestoreAlert", "RestoresDesk"]


class RestoresDesk(DeskBase):
    """Restores not yet acknowledged, and their acknowledgement."""

    def unacknowledged_restores(self) -> list[RestoreAlert]:
        """Every restore of this ledger no supervisor has acknowledged yet, oldest first."""

        def work() -> list[RestoreAlert]:
            with self.ledger.read() as s:
                return rm.unacknowledged(s)

        return self.read(work)

    def acknowledge_restore(self, supervisor: StaffMember, restored_seq: int) -> int:
        """A supervisor acknowledges the restore recorded at `restored_seq` (its alert ends); returns the
        acknowledgement's seq. Raises `NotAllowed` (not a supervisor, inactive, locked) or ValueError
        (no unacknowledged restore at that seq)."""
        with self.act(Act.ACKNOWLEDGE_RESTORE, supervisor) as u:
            pending = {a.seq for a in rm.unacknowledged(u.session)}
            if restored_seq not in pending:
                raise ValueError(f"no unacknowledged restore at seq {restored_seq}")
            return u.append(EventKind.RESTORE_ACKNOWLEDGED, payload=RestoreAcknowledged(restored_seq)).seq
