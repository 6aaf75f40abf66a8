"""People first: employee numbers, lockout times, who booked a pick-list entry

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One person, one account: an employee number (職員番号), unique. Existing members get their id as
    # a placeholder number so the column can be unique; an administrator corrects it with set-role.
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("employee_no", sa.String(32), nullable=True))
        batch.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE staff SET employee_no = 'ID-' || id WHERE employee_no IS NULL")
    # Badges are compared after NFKC and case folding; stored upper-case.
    op.execute("UPDATE staff SET badge = upper(badge)")
    op.create_index("uq_staff_employee_no", "staff", ["employee_no"], unique=True)
    with op.batch_alter_table("pick_list") as batch:
        batch.add_column(sa.Column("booked_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    # The ledger is a legal record: its schema is never downgraded (see 0001).
    raise RuntimeError("the ledger schema is never downgraded")
