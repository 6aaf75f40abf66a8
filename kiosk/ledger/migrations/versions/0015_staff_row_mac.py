"""Staff rows sealed by the pepper: role, rank, active, lock state and PIN under one MAC; one-time PINs

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 13:00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Columns already there are kept: a ledger this release made and then stamped older (the upgrade
    # tests do that to stand in for an older release) holds them, sealed, and must stay so.
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("staff")}
    # Plain ALTER TABLE (not batch mode): batch mode would rebuild `staff`.
    # A PIN an administrator reset is one-time: its owner must set a new one before any act.
    if "pin_change_due" not in present:
        op.add_column(
            "staff", sa.Column("pin_change_due", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # HMAC(pepper, every authorising column): written by the core with each change, checked at every
    # sign-in and authorisation. The migration has no pepper: the first open seals the rows
    # (`kiosk.ledger.meta.seal_staff`, a `staff_sealed` event), and from then on a row without it is refused.
    if "row_mac" not in present:
        op.add_column("staff", sa.Column("row_mac", sa.String(length=64), nullable=True))
    # The fold (kiosk.ledger.projections) says a reset PIN is due for a change until `staff_pin_set`;
    # a ledger from before has no `staff_pin_set`, so every member whose PIN was reset owes a new one
    # (a ledger that had the column already says so itself, under its MAC).
    if "pin_change_due" in present:
        return
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT payload FROM events WHERE kind = 'staff_pin_reset'")).all()
    due = {int(json.loads(payload)["staff"]) for (payload,) in rows}
    for staff_id in sorted(due):
        bind.execute(sa.text("UPDATE staff SET pin_change_due = :t WHERE id = :id"), {"t": True, "id": staff_id})


def downgrade() -> None:
    # The ledger is a legal record: its schema is never downgraded (see 0001).
    raise RuntimeError("the ledger schema is never downgraded")
