"""Staff rows sealed by the pepper: role, rank, active, lock state and PIN under one MAC; one-time PINs

Revision ID: 0020
Revises: 0013
Create Date: 2026-12-07 13:00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE (not batch mode): batch mode would rebuild `staff`.
    # A PIN an administrator reset is one-time: its owner must set a new one before any act.
    op.add_column(
        "staff", sa.Column("pin_change_due", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # HMAC(pepper, every authorising column): written by the core with each change, checked at every
    # sign-in and authorisation. The migration has no pepper: the first open seals the rows
    # (`kiosk.ledger.meta.seal_staff`, a `staff_sealed` event), and from then on a row without it is refused.
    op.add_column("staff", sa.Column("row_mac", sa.String(length=64), nullable=True))
    # The fold (kiosk.ledger.projections) says a reset PIN is due for a change until `staff_pin_set`;
    # a ledger from before has no `staff_pin_set`, so every member whose PIN was reset owes a new one.
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT payload FROM events WHERE kind = 'staff_pin_reset'")).all()
    due = {int(json.loads(payload)["staff"]) for (payload,) in rows}
    for staff_id in sorted(due):
        bind.execute(sa.text("UPDATE staff SET pin_change_due = :t WHERE id = :id"), {"t": True, "id": staff_id})


def downgrade() -> None:
    # The ledger is a legal record: its schema is never downgraded (see 0001).
    raise RuntimeError("the ledger schema is never downgraded")
