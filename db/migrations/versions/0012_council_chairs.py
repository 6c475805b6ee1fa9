"""council chairs: a role on the council's staff and on invites; what the chairs' digests and the
superadmins' weekly summaries claimed

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ROLE = sa.Enum("secretary", "chair", name="staffrole", native_enum=False, length=16)


def upgrade() -> None:
    with op.batch_alter_table("secretaries") as batch:
        batch.add_column(sa.Column("role", ROLE, nullable=False, server_default="secretary"))
    with op.batch_alter_table("invites") as batch:
        batch.add_column(sa.Column("role", ROLE, nullable=False, server_default="secretary"))
    op.create_table(
        "reports_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports_sent")),
        sa.UniqueConstraint(
            "kind", "user_id", "scope", "period", name=op.f("uq_reports_sent_kind")
        ),
    )


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch: on SQLite a batch rebuilds the
    # table, and dropping the old one deletes the rows that reference it (ON DELETE CASCADE).
    op.drop_table("reports_sent")
    op.drop_column("invites", "role")
    op.drop_column("secretaries", "role")
