"""Initial ledger schema: the append-only event log, its head, and the projections

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 07:57:30.866169
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('cards',
    sa.Column('management_id', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=True),
    sa.Column('batch', sa.String(length=64), nullable=True),
    sa.Column('rfid_tag', sa.String(length=64), nullable=True),
    sa.Column('applicant_ref', sa.String(length=64), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('notice_sent_on', sa.Date(), nullable=True),
    sa.Column('reminder_sent_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('hold_reason', sa.String(length=200), nullable=True),
    sa.Column('out_session_id', sa.Integer(), nullable=True),
    sa.Column('last_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('management_id', name=op.f('pk_cards'))
    )
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cards_batch'), ['batch'], unique=False)
        batch_op.create_index(batch_op.f('ix_cards_status'), ['status'], unique=False)

    op.create_table('events',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('card_id', sa.String(length=10), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('witness_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('stocktake_id', sa.Integer(), nullable=True),
    sa.Column('device', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_card_id'), ['card_id'], unique=False)
        batch_op.create_index('ix_events_kind_at', ['kind', 'at'], unique=False)
        batch_op.create_index('ix_events_session', ['session_id'], unique=False)

    op.create_table('ledger_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_head'))
    )
    op.create_table('pick_list',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('management_id', sa.String(length=10), nullable=False),
    sa.Column('added_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('day', 'management_id', name=op.f('pk_pick_list'))
    )
    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('badge', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('pin_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trained_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('badge', name=op.f('uq_staff_badge'))
    )
    op.create_table('rfid_bindings',
    sa.Column('tag', sa.String(length=64), nullable=False),
    sa.Column('management_id', sa.String(length=10), nullable=False),
    sa.Column('bound_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['management_id'], ['cards.management_id'], name=op.f('fk_rfid_bindings_management_id_cards')),
    sa.PrimaryKeyConstraint('tag', name=op.f('pk_rfid_bindings'))
    )
    with op.batch_alter_table('rfid_bindings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rfid_bindings_management_id'), ['management_id'], unique=False)

    op.create_table('safe_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kiosk', sa.String(length=64), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('witness_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_witness_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['staff.id'], name=op.f('fk_safe_sessions_closed_by_id_staff')),
    sa.ForeignKeyConstraint(['closed_witness_id'], ['staff.id'], name=op.f('fk_safe_sessions_closed_witness_id_staff')),
    sa.ForeignKeyConstraint(['operator_id'], ['staff.id'], name=op.f('fk_safe_sessions_operator_id_staff')),
    sa.ForeignKeyConstraint(['witness_id'], ['staff.id'], name=op.f('fk_safe_sessions_witness_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safe_sessions'))
    )
    op.create_table('stocktakes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kiosk', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('witness_id', sa.Integer(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['staff.id'], name=op.f('fk_stocktakes_operator_id_staff')),
    sa.ForeignKeyConstraint(['witness_id'], ['staff.id'], name=op.f('fk_stocktakes_witness_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktakes'))
    )
    op.create_table('stocktake_expected',
    sa.Column('stocktake_id', sa.Integer(), nullable=False),
    sa.Column('management_id', sa.String(length=10), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'], name=op.f('fk_stocktake_expected_stocktake_id_stocktakes')),
    sa.PrimaryKeyConstraint('stocktake_id', 'management_id', name=op.f('pk_stocktake_expected'))
    )
    op.create_table('stocktake_scans',
    sa.Column('stocktake_id', sa.Integer(), nullable=False),
    sa.Column('management_id', sa.String(length=10), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('times', sa.Integer(), nullable=False),
    sa.Column('first_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'], name=op.f('fk_stocktake_scans_stocktake_id_stocktakes')),
    sa.PrimaryKeyConstraint('stocktake_id', 'management_id', name=op.f('pk_stocktake_scans'))
    )

    _install_append_only_guards()
    # The chain starts from a fixed genesis hash, so an empty ledger has a head too.
    op.execute(f"INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}')")


GENESIS_HASH = "0" * 64


def _install_append_only_guards() -> None:
    """Refuse UPDATE and DELETE on events in the database itself (and TRUNCATE on PostgreSQL)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
                f"BEGIN SELECT RAISE(ABORT, 'events are append-only: {verb} refused'); END"
            )
        return
    op.execute(
        """
        CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'events are append-only: % refused', TG_OP;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION events_append_only()"
    )
    op.execute(
        "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()"
    )


def downgrade() -> None:
    # The ledger is a legal record: no migration ever drops it. Restore from a backup instead.
    raise RuntimeError("the ledger schema is never downgraded")
