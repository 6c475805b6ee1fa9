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
    with op.batch_alter_table("question_attachments") as batch:
        batch.drop_column("duration")
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("objection")
        batch.drop_column("objected_at")
        batch.drop_column("edited_at")
