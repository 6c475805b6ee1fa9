"""audit log by council and time: /audit reads a council's latest entries

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 11:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_log_council_at", "audit_log", ["council_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_council_at", table_name="audit_log")
