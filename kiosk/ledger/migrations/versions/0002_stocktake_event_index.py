"""Stocktake: index events by stocktake (resume, per-device location, report)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A stocktake's events are read back on resume, for each device's current shelf label and for the
    # report; without this index each of those reads scans the whole (million-event) log.
    # A plain CREATE INDEX (not batch mode): rebuilding `events` would drop its append-only triggers.
    op.create_index("ix_events_stocktake", "events", ["stocktake_id"], unique=False)


def downgrade() -> None:
    # The ledger is a legal record: its schema is never downgraded (see 0001).
    raise RuntimeError("the ledger schema is never downgraded")
