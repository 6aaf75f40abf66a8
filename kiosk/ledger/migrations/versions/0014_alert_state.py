"""Alerts: the sender's lease and progress (the alerts themselves are events on the chain)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One row: which process may send alerts for this ledger now (a lease, so two kiosks never send the
    # same alert twice), the last event the alert rules have read, and their memory (JSON). A cache of
    # the sender's progress, not a projection: the queued, sent and failed alerts are on the chain.
    op.create_table(
        "alert_state",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("book", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_alert_state")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # `kiosk upgrade` runs as the owner role: give the new table to the application role(s) the owner
        # granted the head to (`kiosk init --app-role`), as `engine.APP_GRANTS` lists it, so the kiosk
        # can send alerts right after an upgrade without granting again.
        op.execute(
            "DO $$ DECLARE r record; BEGIN "
            "FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants "
            "WHERE table_schema = current_schema() AND table_name = 'ledger_head' "
            "AND privilege_type = 'UPDATE' AND grantee <> current_user LOOP "
            "EXECUTE format('GRANT SELECT, INSERT, UPDATE ON alert_state TO %I', r.grantee); "
            "END LOOP; END $$"
        )


def downgrade() -> None:
    # The ledger is a legal record: its schema is never downgraded (see 0001).
    raise RuntimeError("the ledger schema is never downgraded")
