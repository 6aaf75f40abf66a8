"""Scans: index events by (session, kind) so a scan finds who joined its session without reading the day

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 07:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every write inside an open safe session re-reads that session's people (the pair who opened it and
    # the `session_joined` events). With only `ix_events_session`, that read walked every event of the
    # session - each scan of a busy day read all the day's scans before it. (session_id, kind) makes it
    # a seek to the few join events. A plain CREATE INDEX: batch mode would drop the append-only triggers.
    op.create_index("ix_events_session_kind", "events", ["session_id", "kind"], unique=False)


def downgrade() -> None:
    # The ledger is a legal record: its schema is never downgraded (see 0001).
    raise RuntimeError("the ledger schema is never downgraded")
