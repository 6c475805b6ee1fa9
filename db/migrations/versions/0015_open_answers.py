"""open answers: the citizen's consent to publish a question and its answer, the publication
itself (when, by whom, the wording published), and the published text in the search index

Columns on `questions`:
- `publish_consent` (false by default): the citizen allowed the council to publish the question
  and its answer without their name (asked by /ask; false for every question asked before).
- `published_at`, `published_by`: set when a secretary publishes an answered question that
  allows it, cleared when it is unpublished (or the citizen objects to the answer).
- `published_text`: the wording published when a secretary edited it to remove personal
  details; None publishes the question's own text. The question's text never changes.

The search index of migration 0013 (`question_search`) gains the published document, so /faq and
the similar answers shown during /ask use the same index as /find:
- SQLite: FTS5 cannot add columns, so the table is made again with two more, `pub_question`
  (the published wording) and `pub_answer` (the answer), both empty unless the question is
  published and answered; the triggers are made again to fill them (the update trigger also
  fires on the publication's columns). A search of published answers filters on these columns.
- PostgreSQL: a `published` tsvector beside `document` (the wording weighted A, the answer B),
  NULL unless published and answered, with a partial GIN index; the refresh function fills both,
  and the trigger also fires on the publication's columns.

The columns are added with ALTER TABLE (`op.add_column`), which does not rebuild `questions` on
SQLite, so the triggers live on; the downgrade drops the columns with a batch rebuild and so
makes migration 0013's index and triggers again afterwards.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 09:00:00.000000
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# -- SQLite ------------------------------------------------------------------------------------

_NOTES = (
    "(SELECT group_concat(detail, char(10)) FROM audit_log "
    "WHERE question_id = {id} AND action = 'note')"
)
_PUBLISHED = "({q}.published_at IS NOT NULL AND {q}.status = 'answered')"
_PUB_QUESTION = "CASE WHEN " + _PUBLISHED + " THEN coalesce({q}.published_text, {q}.text) END"
_PUB_ANSWER = "CASE WHEN " + _PUBLISHED + " THEN {q}.resolution END"
_COLUMNS = "(rowid, text, resolution, notes, pub_question, pub_answer)"


def _values(q: str) -> str:
    return (
        f"{q}.id, {q}.text, {q}.resolution, {_NOTES.format(id=q + '.id')}, "
        f"{_PUB_QUESTION.format(q=q)}, {_PUB_ANSWER.format(q=q)}"
    )


SQLITE_UPGRADE = [
    "DROP TRIGGER IF EXISTS question_search_insert",
    "DROP TRIGGER IF EXISTS question_search_update",
    "DROP TABLE question_search",
    "CREATE VIRTUAL TABLE question_search USING fts5("
    "text, resolution, notes, pub_question, pub_answer, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')",
    f"INSERT INTO question_search {_COLUMNS} SELECT {_values('q')} FROM questions q",
    "CREATE TRIGGER question_search_insert AFTER INSERT ON questions BEGIN "
    f"INSERT INTO question_search {_COLUMNS} SELECT {_values('new')}; END",
    "CREATE TRIGGER question_search_update AFTER UPDATE OF id, text, resolution, status, "
    "published_at, published_text ON questions "
    "BEGIN DELETE FROM question_search WHERE rowid = old.id; "
    f"INSERT INTO question_search {_COLUMNS} SELECT {_values('new')}; END",
    # The delete and note triggers of 0013 name the table, not its columns: they stay as they
    # are (notes are refreshed with an UPDATE of that one column).
]

SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS question_search_note_delete",
    "DROP TRIGGER IF EXISTS question_search_note_update",
    "DROP TRIGGER IF EXISTS question_search_note_insert",
    "DROP TRIGGER IF EXISTS question_search_delete",
    "DROP TRIGGER IF EXISTS question_search_update",
    "DROP TRIGGER IF EXISTS question_search_insert",
    "DROP TABLE IF EXISTS question_search",
]

# -- PostgreSQL --------------------------------------------------------------------------------

POSTGRESQL_UPGRADE = [
    "ALTER TABLE question_search ADD COLUMN published tsvector",
    """
    CREATE FUNCTION question_search_published(question integer) RETURNS tsvector
    LANGUAGE sql STABLE AS $$
        SELECT setweight(to_tsvector('simple', coalesce(q.published_text, q.text)), 'A')
            || setweight(to_tsvector('simple', coalesce(q.resolution, '')), 'B')
        FROM questions q
        WHERE q.id = question AND q.published_at IS NOT NULL AND q.status = 'answered'
    $$
    """,
    "UPDATE question_search SET published = question_search_published(question_id)",
    "CREATE INDEX ix_question_search_published ON question_search USING gin (published) "
    "WHERE published IS NOT NULL",
    """
    CREATE OR REPLACE FUNCTION question_search_refresh(question integer) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM 1 FROM question_search WHERE question_id = question FOR UPDATE;
        INSERT INTO question_search (question_id, document, published)
        SELECT question, question_search_document(question), question_search_published(question)
        WHERE EXISTS (SELECT 1 FROM questions WHERE id = question)
        ON CONFLICT (question_id) DO UPDATE
            SET document = excluded.document, published = excluded.published;
    END
    $$
    """,
    "DROP TRIGGER question_search_question ON questions",
    "CREATE TRIGGER question_search_question AFTER INSERT OR UPDATE OF text, resolution, "
    "status, published_at, published_text ON questions "
    "FOR EACH ROW EXECUTE FUNCTION question_search_question_changed()",
]

POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER question_search_question ON questions",
    "CREATE TRIGGER question_search_question AFTER INSERT OR UPDATE OF text, resolution "
    "ON questions FOR EACH ROW EXECUTE FUNCTION question_search_question_changed()",
    """
    CREATE OR REPLACE FUNCTION question_search_refresh(question integer) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM 1 FROM question_search WHERE question_id = question FOR UPDATE;
        INSERT INTO question_search (question_id, document)
        SELECT question, question_search_document(question)
        WHERE EXISTS (SELECT 1 FROM questions WHERE id = question)
        ON CONFLICT (question_id) DO UPDATE SET document = excluded.document;
    END
    $$
    """,
    "DROP INDEX ix_question_search_published",
    "ALTER TABLE question_search DROP COLUMN published",
    "DROP FUNCTION question_search_published(integer)",
]

COLUMNS = ("publish_consent", "published_at", "published_text", "published_by")


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def _migration_0013() -> ModuleType:
    path = Path(__file__).with_name("0013_question_search.py")
    spec = importlib.util.spec_from_file_location("migration_0013", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    # ALTER TABLE … ADD COLUMN: `questions` is not rebuilt, its triggers stay.
    op.add_column(
        "questions",
        sa.Column("publish_consent", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("questions", sa.Column("published_at", sa.DateTime(timezone=True)))
    op.add_column("questions", sa.Column("published_text", sa.Text()))
    op.add_column("questions", sa.Column("published_by", sa.BigInteger()))
    if op.get_bind().dialect.name == "postgresql":
        _run(POSTGRESQL_UPGRADE)
    else:
        _run(SQLITE_UPGRADE)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    _run(POSTGRESQL_DOWNGRADE if postgresql else SQLITE_DOWNGRADE)
    with op.batch_alter_table("questions") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
    if not postgresql:
        # The batch rebuild of `questions` dropped whatever triggers were left: 0013's index
        # and triggers are made again as 0013 made them.
        _run(_migration_0013().SQLITE_UPGRADE)
