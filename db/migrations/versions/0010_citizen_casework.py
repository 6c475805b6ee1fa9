"""citizen casework: an edited question, the citizen's one objection that reopens it, and the
duration of a voice message or video note sent with a question

The new statuses (withdrawn, reopened) need nothing here: `questions.status` is a VARCHAR(16)
without a CHECK constraint on SQLite and PostgreSQL alike (a non-native enum; SQLAlchemy 2 and
migration 0002 create no constraint for it).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("objected_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("objection", sa.Text(), nullable=True))
    with op.batch_alter_table("question_attachments") as batch:
        batch.add_column(sa.Column("duration", sa.Integer(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch: on SQLite a batch rebuilds the
    # table, and dropping the old one deletes the rows that reference it (ON DELETE CASCADE).
    op.drop_column("question_attachments", "duration")
    op.drop_column("questions", "objection")
    op.drop_column("questions", "objected_at")
    op.drop_column("questions", "edited_at")
