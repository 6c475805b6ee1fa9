"""question extensions: a reasoned extension of the answer period (APC art. 76)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column("extended_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("extension_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch: on SQLite a batch rebuilds the
    # table, and dropping the old one deletes the rows that reference it (ON DELETE CASCADE).
    op.drop_column("questions", "extension_reason")
    op.drop_column("questions", "extended_at")
