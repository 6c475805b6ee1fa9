"""event audience per language: "who it is for" is written in each language of the announcement

An event's single `audience_note` was written in one language and shown to readers of every
language. It becomes `audience_kk`, `audience_ru`, `audience_en`, each shown with the texts of its
language. A note already written is kept in the council's default language when the event has a
text in it, otherwise in the first language (kk, ru, en) the event has a title in: the language
it was most likely written in. Downgrading keeps one of them (the same order).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LANGUAGES = ("kk", "ru", "en")


def upgrade() -> None:
    for language in LANGUAGES:
        op.add_column("events", sa.Column(f"audience_{language}", sa.String(512), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT events.id, events.audience_note, councils.default_language, "
            "events.title_kk, events.title_ru, events.title_en "
            "FROM events JOIN councils ON councils.id = events.council_id "
            "WHERE events.audience_note IS NOT NULL"
        )
    ).all()
    for event_id, note, default, *titles in rows:
        written = [language for language, title in zip(LANGUAGES, titles, strict=True) if title]
        language = default if default in written else (written or [default])[0]
        connection.execute(
            sa.text(f"UPDATE events SET audience_{language} = :note WHERE id = :id"),
            {"note": note, "id": event_id},
        )
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch: a batch rebuilds the table, and
    # on SQLite dropping the old one deletes its venues and registrations (ON DELETE CASCADE).
    op.drop_column("events", "audience_note")


def downgrade() -> None:
    op.add_column("events", sa.Column("audience_note", sa.String(512), nullable=True))
    op.execute("UPDATE events SET audience_note = COALESCE(audience_kk, audience_ru, audience_en)")
    for language in LANGUAGES:
        op.drop_column("events", f"audience_{language}")
