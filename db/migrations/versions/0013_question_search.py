"""question search: a full-text index of each question's text, answer and internal notes

One search document per question — its text, its answer or reason (`resolution`) and its
internal notes (audit_log rows with action "note") — so that words from the question and from a
note about it find it together. The database keeps it current by triggers: every write path (a
new question, an answer, a reason, a note, any later edit or deletion) is searchable without the
service remembering to.

- SQLite: an FTS5 table `question_search` (rowid = question id) with the unicode61 tokenizer,
  which folds case in every script (АЛМАТЫ finds алматы, ҚАЛА finds қала); prefix indexes for
  the short prefixes a search asks for.
- PostgreSQL: a table `question_search` (question id, tsvector) with a GIN index, built with the
  'simple' configuration: there is no Kazakh stemmer, and 'simple' lowercases and splits words
  the same way for kk, ru and en; prefix queries (word:*) stand in for stemming, as on SQLite.
  Trigrams (pg_trgm) would also find word middles, which SQLite's index cannot, so the two
  backends would answer the same search differently.

Neither table is in the models' metadata (db/migrations/env.py leaves `question_search*` out of
comparisons). On SQLite a later migration that *recreates* `questions` or `audit_log` (Alembic's
batch mode, to drop a column or a constraint) drops these triggers with the old table: it must
create them again (tests/test_find.py fails when search stops seeing new questions).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 11:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# -- SQLite ------------------------------------------------------------------------------------

_SQLITE_NOTES = (
    "(SELECT group_concat(detail, char(10)) FROM audit_log "
    "WHERE question_id = {id} AND action = 'note')"
)
_SQLITE_REFRESH_NOTES = (
    "UPDATE question_search SET notes = " + _SQLITE_NOTES + " WHERE rowid = {id};"
)

SQLITE_UPGRADE = [
    "CREATE VIRTUAL TABLE question_search USING fts5("
    "text, resolution, notes, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')",
    "INSERT INTO question_search (rowid, text, resolution, notes) "
    "SELECT q.id, q.text, q.resolution, " + _SQLITE_NOTES.format(id="q.id") + " FROM questions q",
    "CREATE TRIGGER question_search_insert AFTER INSERT ON questions BEGIN "
    "INSERT INTO question_search (rowid, text, resolution, notes) "
    "VALUES (new.id, new.text, new.resolution, " + _SQLITE_NOTES.format(id="new.id") + "); END",
    "CREATE TRIGGER question_search_update AFTER UPDATE OF id, text, resolution ON questions "
    "BEGIN DELETE FROM question_search WHERE rowid = old.id; "
    "INSERT INTO question_search (rowid, text, resolution, notes) "
    "VALUES (new.id, new.text, new.resolution, " + _SQLITE_NOTES.format(id="new.id") + "); END",
    "CREATE TRIGGER question_search_delete AFTER DELETE ON questions BEGIN "
    "DELETE FROM question_search WHERE rowid = old.id; END",
    "CREATE TRIGGER question_search_note_insert AFTER INSERT ON audit_log "
    "WHEN new.action = 'note' AND new.question_id IS NOT NULL BEGIN "
    + _SQLITE_REFRESH_NOTES.format(id="new.question_id")
    + " END",
    "CREATE TRIGGER question_search_note_update "
    "AFTER UPDATE OF action, detail, question_id ON audit_log "
    "WHEN old.action = 'note' OR new.action = 'note' BEGIN "
    + _SQLITE_REFRESH_NOTES.format(id="old.question_id")
    + " "
    + _SQLITE_REFRESH_NOTES.format(id="new.question_id")
    + " END",
    "CREATE TRIGGER question_search_note_delete AFTER DELETE ON audit_log "
    "WHEN old.action = 'note' BEGIN "
    + _SQLITE_REFRESH_NOTES.format(id="old.question_id")
    + " END",
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
    # The document of one question, from its current row and notes.
    """
    CREATE FUNCTION question_search_document(question integer) RETURNS tsvector
    LANGUAGE sql STABLE AS $$
        SELECT to_tsvector('simple', q.text)
            || to_tsvector('simple', coalesce(q.resolution, ''))
            || to_tsvector('simple', coalesce((
                SELECT string_agg(a.detail, E'\\n' ORDER BY a.id) FROM audit_log a
                WHERE a.question_id = q.id AND a.action = 'note'), ''))
        FROM questions q WHERE q.id = question
    $$
    """,
    """
    CREATE TABLE question_search (
        question_id integer PRIMARY KEY REFERENCES questions (id) ON DELETE CASCADE,
        document tsvector NOT NULL
    )
    """,
    "INSERT INTO question_search (question_id, document) "
    "SELECT id, question_search_document(id) FROM questions",
    "CREATE INDEX ix_question_search_document ON question_search USING gin (document)",
    # The document is read again after the row is locked: a statement of a plpgsql function
    # sees what committed before it began, so two notes added at once to one question, in two
    # transactions, are both in its document whichever commits first.
    """
    CREATE FUNCTION question_search_refresh(question integer) RETURNS void
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
    """
    CREATE FUNCTION question_search_question_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM question_search_refresh(NEW.id);
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION question_search_note_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.question_id IS NOT NULL THEN
            PERFORM question_search_refresh(OLD.question_id);
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.question_id IS NOT NULL
                AND NEW.question_id IS DISTINCT FROM OLD.question_id THEN
            PERFORM question_search_refresh(NEW.question_id);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER question_search_question AFTER INSERT OR UPDATE OF text, resolution "
    "ON questions FOR EACH ROW EXECUTE FUNCTION question_search_question_changed()",
    "CREATE TRIGGER question_search_note_insert AFTER INSERT ON audit_log FOR EACH ROW "
    "WHEN (NEW.action = 'note') EXECUTE FUNCTION question_search_note_changed()",
    "CREATE TRIGGER question_search_note_update "
    "AFTER UPDATE OF action, detail, question_id ON audit_log FOR EACH ROW "
    "WHEN (OLD.action = 'note' OR NEW.action = 'note') "
    "EXECUTE FUNCTION question_search_note_changed()",
    "CREATE TRIGGER question_search_note_delete AFTER DELETE ON audit_log FOR EACH ROW "
    "WHEN (OLD.action = 'note') EXECUTE FUNCTION question_search_note_changed()",
]

POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS question_search_note_delete ON audit_log",
    "DROP TRIGGER IF EXISTS question_search_note_update ON audit_log",
    "DROP TRIGGER IF EXISTS question_search_note_insert ON audit_log",
    "DROP TRIGGER IF EXISTS question_search_question ON questions",
    "DROP FUNCTION IF EXISTS question_search_note_changed()",
    "DROP FUNCTION IF EXISTS question_search_question_changed()",
    "DROP FUNCTION IF EXISTS question_search_refresh(integer)",
    "DROP TABLE IF EXISTS question_search",
    "DROP FUNCTION IF EXISTS question_search_document(integer)",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run(POSTGRESQL_UPGRADE)
    else:
        _run(SQLITE_UPGRADE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run(POSTGRESQL_DOWNGRADE)
    else:
        _run(SQLITE_DOWNGRADE)
