"""broadcast leases: which process sends a broadcast, and until when its claim holds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:53:46.826303
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch: on SQLite a batch rebuilds the
    # table, and dropping the old one deletes the rows that reference it (ON DELETE CASCADE).
    op.drop_column("broadcasts", "lease_until")
    op.drop_column("broadcasts", "owner")
