"""PostgreSQL: NOTIFY on the ledger's channel whenever the chain head moves (the supervisor's page is pushed)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel is named after the schema that holds `ledger_head`, so ledgers sharing one database (one
# schema each) wake only their own listeners. `kiosk.ledger.head_signal` LISTENs on the same expression.
# A channel name is at most 63 bytes: a long schema name is cut, and two cut names that collide only
# cost a spurious wake-up (the listener re-reads the head).


def upgrade() -> None:
    # SQLite has no NOTIFY: its listeners watch the file's change counter (kiosk.ledger.head_signal).
    if op.get_bind().dialect.name != "postgresql":
        return
    # A trigger, not a statement in the writer's unit: it costs the unit no extra round trip while the
    # head lock is held, and every writer (each kiosk, the CLI, an older release) notifies. NOTIFY needs
    # no privilege, so the application role's least-privilege grants stay as they are. PostgreSQL
    # delivers the notification when the writer's transaction commits, and never for a rollback.
    op.execute(
        """
        CREATE OR REPLACE FUNCTION ledger_head_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify(left('kiosk_head.' || TG_TABLE_SCHEMA, 63), NEW.seq::text);
            RETURN NULL;
        END $$
        """
    )
    # Replaced if there: a ledger this release made and then stamped older (the upgrade tests do that
    # to stand in for an older release) already holds both.
    op.execute("DROP TRIGGER IF EXISTS ledger_head_moved ON ledger_head")
    op.execute(
        "CREATE TRIGGER ledger_head_moved AFTER INSERT OR UPDATE ON ledger_head "
        "FOR EACH ROW EXECUTE FUNCTION ledger_head_notify()"
    )


def downgrade() -> None:
    # The ledger is a legal record: its schema is never downgraded (see 0001).
    raise RuntimeError("the ledger schema is never downgraded")
