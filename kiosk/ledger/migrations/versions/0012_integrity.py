"""Integrity: the ledger's identity and pepper check, PIN hashes bound to their member, no replaced event

Revision ID: 0012
Revises: 0003
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The ledger's identity (a random id written by `kiosk init`) and the pepper's check value, so that a
    # missing or replaced pepper is detected at start-up instead of locking every member out.
    op.create_table(
        "ledger_meta",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_ledger_meta")),
    )
    # A MAC over (staff id, PIN hash) with the pepper: a hash copied from another row no longer matches.
    # Plain ALTER TABLE (not batch mode): batch mode would rebuild `staff`.
    op.add_column("staff", sa.Column("pin_mac", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # `INSERT OR REPLACE` deletes the old row before inserting; without recursive_triggers (a plain
        # sqlite3 shell) the DELETE trigger does not fire, so refuse the insert of an existing seq itself.
        op.execute(
            "CREATE TRIGGER events_no_replace BEFORE INSERT ON events "
            "WHEN EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq) "
            "BEGIN SELECT RAISE(ABORT, 'events are append-only: an existing seq cannot be replaced'); END"
        )


def downgrade() -> None:
    # The ledger is a legal record: its schema is never downgraded (see 0001).
    raise RuntimeError("the ledger schema is never downgraded")
