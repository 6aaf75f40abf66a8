"""Two index pages fewer in every scan's commit: drop ix_events_session, stocktake index partial

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A scan's commit writes one WAL page for each index entry it adds, and its fsync grows with the bytes
# written (about 13 µs a page on the bench machine, with 9 pages a scan). Two of those pages did nothing:
# - ix_events_session (session_id) is the leading column of ix_events_session_kind (0013), which
#   answers every query by session as well;
# - ix_events_stocktake held an entry for every event, though only stocktake events have a
#   stocktake_id: every other event added a NULL entry. Queries ask for one stocktake's events
#   (stocktake_id = ?), which a partial index on the non-NULL rows answers on SQLite and PostgreSQL.
_PARTIAL = sa.text("stocktake_id IS NOT NULL")


def upgrade() -> None:
    # IF EXISTS: a ledger this release made and then stamped older (the upgrade tests do that to stand
    # in for an older release) has the new indexes already.
    op.execute("DROP INDEX IF EXISTS ix_events_session")
    op.execute("DROP INDEX IF EXISTS ix_events_stocktake")
    op.create_index(
        "ix_events_stocktake",
        "events",
        ["stocktake_id"],
        unique=False,
        sqlite_where=_PARTIAL,
        postgresql_where=_PARTIAL,
    )


def downgrade() -> None:
    # The ledger is a legal record: its schema is never downgraded (see 0001).
    raise RuntimeError("the ledger schema is never downgraded")
