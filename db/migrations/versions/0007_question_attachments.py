"""question attachments: every file of an album

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "question_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_id", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_attachments_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_attachments")),
        sa.UniqueConstraint(
            "question_id", "position", name=op.f("uq_question_attachments_question_id")
        ),
    )
    # The single attachment of older questions becomes their first (and only) one.
    op.execute(
        "INSERT INTO question_attachments (question_id, position, kind, file_id) "
        "SELECT id, 0, attachment_kind, attachment_file_id FROM questions "
        "WHERE attachment_kind IS NOT NULL AND attachment_file_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("question_attachments")
