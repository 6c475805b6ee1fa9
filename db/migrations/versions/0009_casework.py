"""casework: who holds a question, where it was forwarded, files with an answer

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 11:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column("assigned_to", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("forwarded_to", sa.String(length=256), nullable=True))
        batch.add_column(sa.Column("forwarded_from_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_questions_forwarded_from_id_questions", "questions", ["forwarded_from_id"], ["id"]
        )
        batch.create_index("ix_questions_assigned_to", ["assigned_to"])
    # Taking a question made its taker the one who holds it; keep that for questions in work.
    op.execute(
        "UPDATE questions SET assigned_to = taken_by, assigned_at = taken_at "
        "WHERE taken_by IS NOT NULL"
    )
    with op.batch_alter_table("question_attachments") as batch:
        batch.add_column(
            sa.Column("part", sa.String(length=8), nullable=False, server_default="question")
        )
        batch.drop_constraint("uq_question_attachments_question_id", type_="unique")
        batch.create_unique_constraint(
            "uq_question_attachments_question_id", ["question_id", "part", "position"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM question_attachments WHERE part = 'answer'")
    with op.batch_alter_table("question_attachments") as batch:
        batch.drop_constraint("uq_question_attachments_question_id", type_="unique")
        batch.create_unique_constraint(
            "uq_question_attachments_question_id", ["question_id", "position"]
        )
        batch.drop_column("part")
    with op.batch_alter_table("questions") as batch:
        batch.drop_index("ix_questions_assigned_to")
        batch.drop_constraint("fk_questions_forwarded_from_id_questions", type_="foreignkey")
        batch.drop_column("forwarded_from_id")
        batch.drop_column("forwarded_to")
        batch.drop_column("assigned_at")
        batch.drop_column("assigned_to")
